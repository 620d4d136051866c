from typing import Any

from django.conf import settings
from django.http import HttpRequest


def klantstuur(request: HttpRequest) -> dict[str, Any]:
    return {"demo_mode": settings.DEMO_MODE}

"""The API reads JSON only: a request body of another media type is refused (415),
naming the header, instead of being read as JSON whatever it says it is."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# Endpoints that take another media type on purpose and check it themselves (a raw
# RFC 822 message from a mail provider's inbound webhook: api/mail.py).
RAW_BODY_PATHS = frozenset({"/api/v1/mail/inbound"})


def is_json(content_type: str) -> bool:
    """``application/json`` or a ``+json`` type, any parameters (charset)."""
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


class JsonBodyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            request.path.startswith("/api/")
            and request.method in WRITE_METHODS
            and request.path not in RAW_BODY_PATHS
            and _has_body(request)
            and not is_json(request.headers.get("Content-Type", ""))
        ):
            reason = _("The request body must be JSON (Content-Type: application/json).")
            return JsonResponse(
                {"detail": reason, "errors": [{"field": "Content-Type", "reason": reason}]},
                status=415,
            )
        return self.get_response(request)


def _has_body(request: HttpRequest) -> bool:
    length = request.headers.get("Content-Length", "")
    if length.strip().isdigit():
        return int(length) > 0
    return "Transfer-Encoding" in request.headers

from django.db import connection
from django.db.utils import Error as DatabaseError
from django.http import HttpRequest, HttpResponse, JsonResponse

from . import health


def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database answers, 503 otherwise; ``?verbose=1`` adds the registered
    reports (core.health), such as how far each reaction is behind the journal."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return JsonResponse({"status": "unavailable"}, status=503)
    if request.GET.get("verbose") in ("1", "true", "yes"):
        return JsonResponse({"status": "ok", **health.reports()})
    return JsonResponse({"status": "ok"})


def set_language(request: HttpRequest) -> HttpResponse:
    """Django's language switch, remembered on the person's own user as well."""
    from django.views.i18n import set_language as django_set_language

    from .middleware import SUPPORTED

    response = django_set_language(request)
    language = request.POST.get("language", "")
    user = request.user
    if request.method == "POST" and language in SUPPORTED and user.is_authenticated:
        user.language = language
        user.save(update_fields=["language"])
    return response

"""Database trouble answers 503 with Retry-After, not 500 (issue #15).

When PostgreSQL cannot be reached, the pool has no connection to give within its
timeout, or a statement is cancelled, Django raises ``OperationalError`` (or
``InterfaceError`` for a connection that broke). Django hands every uncaught exception
to ``handler500`` while it is still being handled (klantstuur/urls.py), so the answer
can be told from ``sys.exc_info()``: nothing was changed, try again shortly. It is
logged like any unhandled exception, with its traceback (django.request).
"""

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string

RETRY_AFTER = 5  # seconds: the pool reconnects within this of the database coming back


def is_db_trouble(exc: BaseException | None) -> bool:
    return isinstance(exc, OperationalError | InterfaceError)


def unavailable(request: HttpRequest) -> HttpResponse | None:
    """The 503 for the exception being handled now, when it is database trouble."""
    if not is_db_trouble(sys.exc_info()[1]):
        return None
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(
            {
                "detail": "The database is unavailable for a moment; nothing was changed. "
                f"Please try again in {RETRY_AFTER} seconds.",
                "retry_after": RETRY_AFTER,
            },
            status=503,
        )
    else:
        # No request context: the context processors would ask the database again.
        response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER)
    return response

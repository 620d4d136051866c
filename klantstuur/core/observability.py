"""What an operator sees (issue #15): a request id on every request, response and log
line; every log line one JSON object on stderr; optional Sentry.

``RequestIdMiddleware`` sits first: it takes the caller's ``X-Request-ID`` when it is
sane (a proxy's id, so one request can be followed through both logs), else makes one,
and answers with it. ``RequestIdFilter`` puts it on every log record of the request
(``None`` outside one, e.g. in the worker). Django logs every unhandled exception on
``django.request`` with its traceback; settings.LOGGING sends that here too.
"""

import contextvars
import logging
import re
import uuid
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse

HEADER = "X-Request-ID"
SANE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{7,99}")
current: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)


def request_id_for(request: HttpRequest) -> str:
    offered = request.headers.get(HEADER, "")
    return offered if SANE.fullmatch(offered) else uuid.uuid4().hex


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_for(request)
        request.request_id = request_id  # type: ignore[attr-defined]
        token = current.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            current.reset(token)
        response[HEADER] = request_id
        return response


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every record: the current request's, or the one Django
    passes along with a request it logs."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        record.request_id = getattr(request, "request_id", None) or current.get()
        if request is not None and hasattr(request, "path"):
            record.path = request.path
            record.method = request.method
        return True


def init_sentry(dsn: str, *, environment: str, traces_sample_rate: float = 0.0) -> None:
    """Errors to Sentry as well as to the log, tagged with the request id; no personal
    data (e-mail addresses, cookies, bodies) is sent."""
    import sentry_sdk
    from sentry_sdk.integrations.django import DjangoIntegration

    def tag(event: Any, hint: Any) -> Any:
        if request_id := current.get():
            event.setdefault("tags", {})["request_id"] = request_id
        return event

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        integrations=[DjangoIntegration()],
        traces_sample_rate=traces_sample_rate,
        before_send=tag,
    )

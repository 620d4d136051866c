"""The one place where text enters the system: what PostgreSQL cannot store (NUL) and
what no person types (other control characters, lone surrogates) is refused here,
before any view or query sees it (issue #15, ADR 0015).

``TextGuardMiddleware`` checks the path (404), the query string, form fields, JSON
strings at any depth and header values (422/400 naming the field); cookies with such
characters are dropped, as if never sent. Other entry points call ``refused``,
``check_tree`` or ``cleaned`` themselves: inbound e-mail (mail.parsing) removes the
refused characters from what a person wrote (subject, name, body, file names) and refuses
an address holding one. ``header_value`` makes a value safe for an outgoing e-mail header.
"""

import json
import re
from collections.abc import Callable
from typing import Any

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext as _

from .errors import Invalid

# C0 controls except tab, line feed and carriage return; DEL; C1 controls; surrogates
# (only a lone one survives decoding: a valid pair in JSON becomes one character).
BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
# Header values arrive as Latin-1 (WSGI): UTF-8 bytes there look like C1 characters, so
# headers are held to the C0 controls and DEL only.
BAD_IN_HEADER = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
JSON_TYPES = ("application/json", "+json")
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
# Headers a client may legitimately fill with anything are still text; tab is allowed.
HEADER_PREFIX = "HTTP_"


def refused(value: str) -> bool:
    """True when the text holds a character the system does not accept."""
    return BAD.search(value) is not None


def cleaned(value: str) -> str:
    """The text without the characters the system does not accept (for text that cannot
    be sent back to be corrected: the body of an e-mail)."""
    return BAD.sub("", value)


def shown(name: str) -> str:
    """A field name safe to show: its refused characters written as escapes."""
    return BAD.sub(lambda m: f"\\u{ord(m.group()):04x}", name)[:100]


def check_tree(value: Any, path: str = "") -> str | None:
    """The dotted path of the first refused string (key or value) in parsed JSON, else None."""
    if isinstance(value, str):
        return (path or "body") if refused(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and refused(key):
                return shown(where)
            if (found := check_tree(item, where)) is not None:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if (found := check_tree(item, f"{path}.{index}" if path else str(index))) is not None:
                return found
    return None


def check(value: str, *, field: str) -> str:
    """For entry points outside HTTP (e-mail): the value, or ``Invalid`` naming the field."""
    if refused(value):
        raise Invalid(
            _("Contains characters that are not allowed (control characters)."), field=field
        )
    return value


def header_value(value: str) -> str:
    """One line fit for an outgoing e-mail header: line breaks and other control
    characters become spaces, runs of white space one space."""
    return " ".join(BAD.sub(" ", value).split())


def _api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def _error(request: HttpRequest, status: int, field: str, reason: str) -> HttpResponse:
    if _api(request):
        body = {"detail": f"{field}: {reason}", "errors": [{"field": field, "reason": reason}]}
        return JsonResponse(body, status=status)
    page = (
        '<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>Klantstuur</title></head><body><main><h1>{title}</h1><p>{field}: {reason}</p>"
        "<p>{back}</p></main></body></html>"
    )
    return HttpResponse(
        page.format(
            lang=translation.get_language() or "nl",
            title=escape(_("This could not be accepted")),
            field=escape(field),
            reason=escape(reason),
            back=escape(_("Please go back and correct it.")),
        ),
        status=status,
    )


def _first_bad_field(request: HttpRequest) -> tuple[int, str] | None:
    """(status, field) of the first refused text in the request, else None."""
    for key, value in request.META.items():
        if (
            key.startswith(HEADER_PREFIX)
            and key != "HTTP_COOKIE"
            and BAD_IN_HEADER.search(str(value))
        ):
            return 400, key[len(HEADER_PREFIX) :].replace("_", "-").title()
    for key, values in request.GET.lists():
        if refused(key) or any(refused(v) for v in values):
            return 422, shown(key)
    content_type = request.content_type or ""
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        if content_type.startswith(FORM_TYPES):
            for key, values in request.POST.lists():
                if refused(key) or any(refused(v) for v in values):
                    return 422, shown(key)
        elif content_type.endswith(JSON_TYPES) and b"\\u" in request.body:
            # Raw control characters are invalid JSON (the API answers 400); escaped
            # ones (\\u0000) and lone surrogates only appear after parsing.
            try:
                parsed = json.loads(request.body)
            except ValueError:
                return None  # the API's own parser says what is wrong
            if (field := check_tree(parsed)) is not None:
                return 422, field
    return None


class TextGuardMiddleware:
    """Early in the stack: before sessions (cookies) and anything that queries."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from .middleware import language_for  # the same choice of language as the answer's

        with translation.override(language_for(request)):
            if refused(request.path_info):
                if _api(request):
                    return JsonResponse({"detail": _("No such endpoint.")}, status=404)
                raise Http404(_("No such page."))
            for name in [n for n, v in request.COOKIES.items() if refused(n) or refused(v)]:
                del request.COOKIES[name]
            reason = _("Contains characters that are not allowed (control characters).")
            try:
                found = _first_bad_field(request)
            except TooManyFieldsSent:
                return _error(request, 400, "query", _("Too many parameters."))
            except RequestDataTooBig:
                return _error(request, 400, "body", _("The request body is too large."))
            if found is not None:
                return _error(request, found[0], found[1], reason)
        return self.get_response(request)

"""Which language a request is answered in.

Pages: the person's own choice (saved on their user), else the language
cookie set by the NL/EN switch, else Dutch — not the browser's
Accept-Language, because the product speaks Dutch by default.
Guest pages (the table's link, no login): the NL/EN switch, else the phone's
Accept-Language, else the business's default (``answer_guest_in_language``) — a
tourist's phone reads English, a Dutch one Dutch, whatever the product's default.
API: the language Accept-Language asks for; else, once the token is known, the
caller's own choice (the customer's or staff member's), else their business's default
(``answer_in_language``) — the same on every endpoint; English before anyone is known.
"""

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils import translation
from django.utils.translation.trans_real import parse_accept_lang_header

SUPPORTED = {code for code, _ in settings.LANGUAGES}


def _asked_for(request: HttpRequest) -> str:
    """The first supported language of the Accept-Language header, or ""."""
    for code, _q in parse_accept_lang_header(request.headers.get("Accept-Language", "")):
        base = code.split("-")[0].lower()
        if base in SUPPORTED:
            return base
    return ""


def answer_in_language(request: HttpRequest, *, chosen: str, business: Any) -> str:
    """An API caller is known (their token): unless the request asked for a language,
    answer in theirs, else in their business's default."""
    language = _asked_for(request)
    if not language:
        language = chosen if chosen in SUPPORTED else getattr(business, "language", "")
        if language not in SUPPORTED:
            language = settings.LANGUAGE_CODE
    translation.activate(language)
    request.LANGUAGE_CODE = language
    return language


def answer_guest_in_language(request: HttpRequest, *, business: Any) -> str:
    """A guest without an account, once their party (and so the business) is known:
    their NL/EN switch, else what their phone asks for, else the business's default."""
    language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    if language not in SUPPORTED:
        language = _asked_for(request) or getattr(business, "language", "")
    if language not in SUPPORTED:
        language = settings.LANGUAGE_CODE
    translation.activate(language)
    request.LANGUAGE_CODE = language
    return language


def language_for(request: HttpRequest) -> str:
    if request.path.startswith("/api/"):
        return _asked_for(request) or "en"
    user = getattr(request, "user", None)
    chosen = getattr(user, "language", "") if user is not None and user.is_authenticated else ""
    if chosen in SUPPORTED:
        return chosen
    cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    if cookie in SUPPORTED:
        return cookie
    return settings.LANGUAGE_CODE


class LanguageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = language_for(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        # The API may have chosen another once it knew the caller (answer_in_language).
        response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        translation.deactivate()
        return response


class NoEndlessStreamsUnderWSGI:
    """A Server-Sent Events stream needs the ASGI server (``klantstuur serve``/``demo``).

    Under WSGI (Django's test server, a WSGI deployment) Django collects an async stream
    into a list before sending anything: the browser would wait for ever, and the
    stream's event loop would outlive the process. There the stream answers 204 instead,
    which tells an EventSource to stop; the pages fall back to their periodic refresh.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if (
            isinstance(response, StreamingHttpResponse)
            and response.is_async
            and response.get("Content-Type", "").startswith("text/event-stream")
            and not isinstance(request, ASGIRequest)
        ):
            return HttpResponse(status=204)
        return response

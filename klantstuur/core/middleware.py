"""Which language a request is answered in.

Pages: the person's own choice (saved on their user), else the language
cookie set by the NL/EN switch, else Dutch — not the browser's
Accept-Language, because the product speaks Dutch by default.
API: English for integrators, unless Accept-Language asks for Dutch.
"""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.translation.trans_real import parse_accept_lang_header

SUPPORTED = {code for code, _ in settings.LANGUAGES}


def language_for(request: HttpRequest) -> str:
    if request.path.startswith("/api/"):
        for code, _q in parse_accept_lang_header(request.headers.get("Accept-Language", "")):
            base = code.split("-")[0].lower()
            if base in SUPPORTED:
                return base
        return "en"
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
        response.headers.setdefault("Content-Language", language)
        translation.deactivate()
        return response

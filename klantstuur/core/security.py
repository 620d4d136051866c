"""Response headers of a careful site (issue #15): Permissions-Policy on everything, and
``Cache-Control: no-store`` on whatever a logged-in person or a token holder is shown,
so no shared or browser cache keeps a customer's page. The Content-Security-Policy is
django-csp's (settings.CONTENT_SECURITY_POLICY); HTTPS settings are in settings.py.
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control

# Nothing here uses these browser features; a page that does not need them cannot be
# made to use them (an injected frame or script).
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "autoplay",
        "browsing-topics",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "usb",
    )
)


def personal(request: HttpRequest) -> bool:
    """A response for someone known: a session login or a bearer token."""
    if request.headers.get("Authorization"):
        return True
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated)


class SecurityHeadersMiddleware:
    """After AuthenticationMiddleware (it asks who the request is for)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        if personal(request) or request.path.startswith("/guest/"):
            patch_cache_control(response, no_store=True, private=True)
        return response

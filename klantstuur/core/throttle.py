"""Throttling of guessing and flooding (issue #15), on django-ratelimit's fixed windows
in the shared cache (Redis through ``REDIS_URL`` in production, local memory in the
demo's single process).

Two ways to use a limit:
- count every attempt: ``hit(name, value)`` and refuse when it says so (magic links);
- count only failures: ``wait(name, value)`` before trying, ``hit(name, value)`` after a
  failure (staff passwords, API tokens), so a person who gets it right is never slowed.

Other features call the same helpers with their own limit name (e-mail per sender:
``hit("mail-sender", address)``). Rates are ``settings.KLANTSTUUR["THROTTLE"]``.
"""

import logging
from math import ceil

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django_ratelimit.core import get_usage

from .errors import DomainError

logger = logging.getLogger("klantstuur.throttle")

DEFAULT_RATES = {
    # wrong staff passwords, per address typed and per client address
    "staff-login-user": "5/15m",
    "staff-login-ip": "30/15m",
    # magic-link requests, per e-mail address asked for and per client address
    "magic-link-email": "3/15m",
    "magic-link-ip": "20/h",
    # API requests with an unknown or revoked token, per client address
    "api-token-ip": "30/5m",
    # new needs opened by e-mail per sender address (mail.inbound; every one counts)
    "mail-sender": "10/h",
    # wrong guest-link and table QR tokens per client address (portal.guest; failures only)
    "guest-token-ip": "30/10m",
}


class Throttled(DomainError):
    """Too many attempts (429); ``retry_after`` seconds until the window ends."""

    status = 429

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            _("Too many attempts. Please try again in %(seconds)s seconds.")
            % {"seconds": retry_after},
            retry_after=retry_after,
        )
        self.retry_after = retry_after


def rate(name: str) -> str:
    return {**DEFAULT_RATES, **settings.KLANTSTUUR.get("THROTTLE", {})}[name]


def _usage(name: str, value: str, *, increment: bool) -> dict[str, int] | None:
    try:
        return get_usage(
            None,
            group=f"klantstuur.{name}",
            key=lambda _group, _request: value.strip().lower(),
            rate=rate(name),
            increment=increment,
        )
    except Exception:  # the cache is away: let people in rather than lock everyone out
        logger.exception("throttle cache unavailable for %s", name)
        return None


def _seconds(usage: dict[str, int]) -> int:
    return max(1, ceil(usage["time_left"]))


def hit(name: str, value: str) -> int | None:
    """Count one attempt; the seconds to wait when this one is over the limit, else None."""
    usage = _usage(name, value, increment=True)
    if usage is None or not usage["should_limit"]:
        return None
    logger.warning("throttled %s (%s attempts)", name, usage["count"])
    return _seconds(usage)


def wait(name: str, value: str) -> int | None:
    """Without counting: the seconds to wait when the limit is already reached, else None."""
    usage = _usage(name, value, increment=False)
    if usage is None or usage["count"] < usage["limit"]:
        return None
    return _seconds(usage)


def check_hit(name: str, value: str) -> None:
    """``hit``, raising ``Throttled`` when over the limit."""
    if (seconds := hit(name, value)) is not None:
        raise Throttled(seconds)


def client_ip(request: HttpRequest) -> str:
    """The client's address as the server saw it (uvicorn sets it from the trusted
    proxy's X-Forwarded-For, docs/operations.md)."""
    return str(request.META.get("REMOTE_ADDR", ""))


def page(request: HttpRequest, seconds: int) -> HttpResponse:
    """The 429 page: a clear message and ``Retry-After``."""
    minutes = max(1, ceil(seconds / 60))
    response = HttpResponse(
        render_to_string("throttled.html", {"seconds": seconds, "minutes": minutes}, request),
        status=429,
    )
    response["Retry-After"] = str(seconds)
    return response

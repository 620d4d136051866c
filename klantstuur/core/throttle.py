"""Throttling of guessing and flooding (issue #15), on django-ratelimit's fixed windows
in the shared cache (Redis through ``REDIS_URL`` in production, local memory in the
demo's single process).

Two ways to use a limit:
- count every attempt: ``hit(name, value)`` and refuse when it says so (magic links);
- count only failures: ``wait(name, value)`` before trying, ``hit(name, value)`` after a
  failure (staff passwords, API tokens), so a person who gets it right is never slowed.

Other features call the same helpers with their own limit name (e-mail per sender:
``hit("mail-sender", address)``). A view whose 404 means a wrong key in its URL (the
guest link, a table's QR code) takes ``guessing_throttled``: failures per client address.
Rates are ``settings.KLANTSTUUR["THROTTLE"]``.
"""

import functools
import logging
from collections.abc import Callable
from inspect import iscoroutinefunction
from math import ceil
from typing import Any, TypeVar, cast

from asgiref.sync import sync_to_async
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
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


View = TypeVar("View", bound=Callable[..., Any])


def _guessed(name: str, request: HttpRequest, kwargs: dict[str, Any], key: Any) -> None:
    """A 404 of a guarded view: one failure, unless the key in the URL is a real one."""
    if key is None or not key(**kwargs):
        hit(name, client_ip(request))


def guessing_throttled(
    name: str, *, real: Callable[..., bool] | None = None
) -> Callable[[View], View]:
    """For a view whose URL holds the key (a guest link's token, a table's QR code): its
    404s from one client address are counted under ``name`` and, past the limit, every
    request of that address to such a view waits (the 429 page, ``Retry-After``) — also
    one with a right key, or guessing would go on. What is found never counts, so guests
    using their link are never slowed however many share one address.

    ``real(**url_kwargs)``: True when the key exists after all (a 404 for another reason,
    e.g. a party that has left): then it does not count either."""

    def decorate(view: View) -> View:
        if iscoroutinefunction(view):

            @functools.wraps(view)
            async def guarded_async(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
                seconds = await sync_to_async(wait)(name, client_ip(request))
                if seconds is not None:
                    return await sync_to_async(page)(request, seconds)
                try:
                    return await view(request, *args, **kwargs)
                except Http404:
                    await sync_to_async(_guessed)(name, request, kwargs, real)
                    raise

            return cast(View, guarded_async)

        @functools.wraps(view)
        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if (seconds := wait(name, client_ip(request))) is not None:
                return page(request, seconds)
            try:
                response: HttpResponseBase = view(request, *args, **kwargs)
            except Http404:
                _guessed(name, request, kwargs, real)
                raise
            if response.status_code == 404:
                _guessed(name, request, kwargs, real)
            return response

        return cast(View, guarded)

    return decorate

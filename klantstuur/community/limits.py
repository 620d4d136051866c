"""Rate limits per customer: how much one customer may share, answer and report.

Counted from the rows themselves (each list has its index), inside the writing
transaction after the customer's row is locked, so two requests at once cannot both
slip under the limit. Settings: ``KLANTSTUUR["COMMUNITY_LIMITS"]``.
"""

from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.utils.translation import gettext as _

from klantstuur.core.errors import DomainError
from klantstuur.customers.models import Customer

DEFAULTS: dict[str, tuple[int, int]] = {
    # name: (how many, per how many seconds)
    "answers": (10, 3600),
    "shares": (10, 86400),
    "reports": (20, 86400),
    "neighbour_requests": (10, 86400),
}


class RateLimited(DomainError):
    """Too many in too short a time (429)."""

    status = 429


def limit(name: str) -> tuple[int, int]:
    configured = getattr(settings, "KLANTSTUUR", {}).get("COMMUNITY_LIMITS", {})
    n, seconds = configured.get(name, DEFAULTS[name])
    return int(n), int(seconds)


def lock_customer(customer: Customer) -> None:
    Customer.objects.select_for_update().only("pk").get(pk=customer.pk)


def require_under(
    name: str, *, count_since: Callable[[datetime], int], field: str, now: datetime
) -> None:
    """``count_since(t)``: how many of this kind the customer made since ``t``."""
    n, seconds = limit(name)
    if count_since(now - timedelta(seconds=seconds)) >= n:
        raise RateLimited(
            _("Too many at once: at most %(n)d in %(minutes)d minutes. Try again later.")
            % {"n": n, "minutes": seconds // 60},
            field=field,
            retry_after_seconds=seconds,
        )

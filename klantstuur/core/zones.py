"""A business's time zone: every date a person reads is in the business's zone."""

from collections.abc import Iterator
from contextlib import contextmanager
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.utils import timezone


def zone(name: str) -> ZoneInfo:
    """The named zone; an unknown name falls back to the site's zone rather than failing."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(settings.TIME_ZONE)


@contextmanager
def business_time(name: str) -> Iterator[None]:
    """Show every date rendered inside in the business's time zone."""
    with timezone.override(zone(name)):
        yield

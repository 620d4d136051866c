"""Small presentation helpers shared by the console and the portal templates."""

from datetime import UTC, datetime

from django import template
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from klantstuur.needs.models import RemedyKind

register = template.Library()


@register.filter
def euro(cents: int | None) -> str:
    """1250 -> "€ 12,50" (always the Dutch notation: money is in euros)."""
    if cents is None:
        return ""
    cents = int(cents)
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    whole = f"{cents // 100:,}".replace(",", ".")
    return f"{sign}€ {whole},{cents % 100:02d}"


@register.filter
def remedy_label(kind: str) -> str:
    try:
        return str(RemedyKind(kind).label)
    except ValueError:
        return kind


@register.filter
def as_datetime(value: str | datetime | None) -> datetime | None:
    """An ISO timestamp kept in a journal event's data, as an aware datetime."""
    if value is None or isinstance(value, datetime):
        return value
    parsed = parse_datetime(value)
    if parsed is not None and timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, UTC)
    return parsed

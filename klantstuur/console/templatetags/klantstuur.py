"""Small presentation helpers shared by the console and the portal templates."""

from datetime import UTC, datetime
from typing import Any

from django import template
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from klantstuur.catalog.models import course_label
from klantstuur.core import formats, money
from klantstuur.needs.models import RemedyKind

register = template.Library()


@register.filter
def euro(cents: int | None) -> str:
    return money.euro(cents)


@register.filter
def number(value: Any, digits: int = 0) -> str:
    """A number in the reader's language, rounded to ``digits`` (core.formats)."""
    return formats.number(value, digits)


@register.filter
def figure(value: Any) -> Any:
    """A dashboard figure in the reader's language (core.formats.figure)."""
    return formats.figure(value)


@register.filter
def percent_points(value: Any) -> str | None:
    """A figure on 0–100 as a percentage in the reader's language ("60,7%")."""
    return formats.percent_points(value)


@register.filter
def touchpoint_label(code: str) -> str:
    """A journey's touchpoint code in the reader's words (the factor chips)."""
    from klantstuur.metrics.experience import touchpoint_words

    return touchpoint_words(str(code or ""))


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


@register.filter
def course(code: str) -> str:
    """A course code ("main") in words, translated ("Hoofdgerecht")."""
    return course_label(code or "")

"""One formatting layer: numbers, money and percentages in the reader's language, through
Django's localisation (``django.utils.formats``). Dutch: "1.234,50", "€ 12,50", "60,7%";
English: "1,234.50", "€12.50", "60.7%". Pages, charts, e-mails and exports use these (or the
template filters ``euro`` and ``percent`` that call them), never an f-string of a float."""

from decimal import Decimal
from typing import Any

from django.utils import formats
from django.utils.translation import get_language


def _dutch() -> bool:
    return (get_language() or "nl").startswith("nl")


def number(value: Any, digits: int = 0, *, grouping: bool = True) -> str:
    """A number rounded to ``digits`` decimals, with the reader's separators."""
    if value is None:
        return ""
    rounded = round(Decimal(str(value)), digits)
    return formats.number_format(rounded, digits, use_l10n=True, force_grouping=grouping)


def money(cents: int | None, *, compact: bool = False) -> str:
    """Whole cents in euros: nl "€ 1.234,50" (in a sentence, ``compact``: "€1234,50"),
    en "€1,234.50" (``compact``: "€1234.50")."""
    if cents is None:
        return ""
    cents = int(cents)
    sign = "-" if cents < 0 else ""
    text = number(Decimal(abs(cents)) / 100, 2, grouping=not compact)
    space = " " if _dutch() and not compact else ""
    return f"{sign}€{space}{text}"


def percent(fraction: Any, digits: int = 1) -> str | None:
    """0.607 -> nl "60,7%", en "60.7%"; None stays None (shown as a dash)."""
    if fraction is None:
        return None
    return f"{number(float(fraction) * 100, digits)}%"


def percent_points(points: Any, digits: int = 1) -> str | None:
    """A figure already on 0–100 (CSAT as the API gives it): 60.7 -> nl "60,7%"."""
    if points is None:
        return None
    return f"{number(points, digits)}%"


def figure(value: Any) -> Any:
    """A dashboard figure: a whole number grouped ("1.234" / "1,234"), a fraction to two
    decimals ("1,43" / "1.43"); text (an already formatted percentage) and None as given."""
    if value is None or isinstance(value, str | bool):
        return value
    if isinstance(value, int):
        return number(value)
    return number(value, 2)

"""The promise in words, rendered when it is shown, in the reader's language.

What is stored is structured: the delivery's ``promised_date``, window and place, and
``{"date", "window", "place"}`` in journal events (``promised``, ``after``). A sentence
stored in one language (``Order.promise_text``, ``Need.promise_text``, the ``promise``
key of older journal events) stays readable as a fallback, but pages and the API render
from the structure with the active language.
"""

from datetime import date
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.dateparse import parse_date
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from .models import Delivery, PlaceKind


def place_words(kind: str, place: dict[str, Any] | None) -> str:
    place = place or {}
    try:
        where = str(PlaceKind(kind).label)
    except ValueError:
        return str(place.get("name", "")) or kind
    if kind == PlaceKind.NEIGHBOUR:
        return _("%(where)s: number %(n)s (%(name)s)") % {
            "where": where,
            "n": place.get("house_number", ""),
            "name": place.get("name", ""),
        }
    if kind == PlaceKind.PICKUP_POINT:
        return f"{where}: {place.get('name', '')}"
    if kind == PlaceKind.ADDRESS:
        return f"{where}: {place.get('street', '')}, {place.get('city', '')}"
    return where


def promise_words(*, day: date | str | None, window: str, place: dict[str, Any] | None) -> str:
    """ "Thursday 14 May, 18:00-21:00 — With a neighbour: number 14 (Jan)" in today's language."""
    if isinstance(day, str):
        day = parse_date(day)
    place = place or {}
    when = date_format(day, "l j F") if day else ""
    return f"{when}, {window} — {place_words(str(place.get('kind', '')), place)}"


def delivery_promise(d: Delivery) -> str:
    return promise_words(day=d.promised_date, window=d.promised_window.code, place=d.promised_place)


def summary_promise(summary: Any) -> str:
    """From a journal event's ``{"date", "window", "place"}``; "" when it is not one."""
    if not isinstance(summary, dict) or "window" not in summary:
        return ""
    return promise_words(
        day=summary.get("date"), window=str(summary.get("window", "")), place=summary.get("place")
    )


def stored_promise(d: Delivery) -> str:
    """The fallback sentence for the old text fields: in the site's default language."""
    with translation.override(settings.LANGUAGE_CODE):
        return delivery_promise(d)[:300]

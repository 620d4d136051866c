"""The customer's choice checked into a ``Spec``, and the first possible one."""

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from klantstuur.businesses.models import Business
from klantstuur.core.errors import Conflict, Invalid

from ..models import Delivery, DeliveryWindow, PickupPoint, PlaceKind
from .options import (
    horizon_days,
    local_text,
    local_today,
    normal_postcode,
    slot_loads,
    slot_times,
    slots_still_possible,
    windows_active,
)

WINDOW = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")


@dataclass
class Spec:
    """A validated delivery request."""

    day: date
    window: DeliveryWindow
    place_kind: str
    place: dict[str, Any] = field(default_factory=dict)
    pickup_point: PickupPoint | None = None


def text_clean(value: Any, *, field: str, max_len: int, required: bool = True) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise Invalid(_("Text expected."), field=field)
    text = str(value).strip()
    if required and not text:
        raise Invalid(_("This field is required."), field=field)
    if len(text) > max_len:
        raise Invalid(_("At most %(n)d characters.") % {"n": max_len}, field=field)
    return text


def _parse_date(value: Any, *, field: str) -> date:
    if not isinstance(value, str):
        raise Invalid(_("A date like 2026-05-14."), field=field)
    try:
        parsed = parse_date(value.strip())
    except ValueError:
        parsed = None
    if parsed is None:
        raise Invalid(_("A date like 2026-05-14."), field=field)
    return parsed


def _find_window(business: Business, value: Any, *, field: str) -> DeliveryWindow:
    if not isinstance(value, str) or not WINDOW.match(value.strip()):
        raise Invalid(_("A window like 18:00-21:00."), field=field)
    a, b = value.strip().split("-")
    try:
        starts, ends = time.fromisoformat(a), time.fromisoformat(b)
    except ValueError:
        raise Invalid(_("A window like 18:00-21:00."), field=field) from None
    found = DeliveryWindow.objects.filter(
        business=business, starts=starts, ends=ends, active=True
    ).first()
    if found is None:
        codes = ", ".join(w.code for w in windows_active(business))
        raise Invalid(
            _("There is no such window; choose one of: %(codes)s.") % {"codes": codes},
            field=field,
        )
    return found


def _parse_place(
    business: Business, value: Any, *, field: str
) -> tuple[str, dict[str, Any], PickupPoint | None]:
    if value is None:
        value = {"kind": PlaceKind.HOME}
    if not isinstance(value, dict):
        raise Invalid(_('A place like {"kind": "home"}.'), field=field)
    kind = value.get("kind")
    if kind not in PlaceKind.values:
        raise Invalid(
            _("Choose one of: %(kinds)s.") % {"kinds": ", ".join(PlaceKind.values)},
            field=f"{field}.kind",
        )
    if kind == PlaceKind.HOME:
        return kind, {"kind": kind}, None
    if kind == PlaceKind.NEIGHBOUR:
        number = text_clean(value.get("house_number"), field=f"{field}.house_number", max_len=20)
        name = text_clean(value.get("name"), field=f"{field}.name", max_len=100)
        return kind, {"kind": kind, "house_number": number, "name": name}, None
    if kind == PlaceKind.PICKUP_POINT:
        code = text_clean(value.get("pickup_point"), field=f"{field}.pickup_point", max_len=40)
        point = PickupPoint.objects.filter(business=business, code=code, active=True).first()
        if point is None:
            raise Invalid(_("There is no such pickup point."), field=f"{field}.pickup_point")
        return kind, {"kind": kind, "pickup_point": point.code, "name": point.name}, point
    street = text_clean(value.get("street"), field=f"{field}.street", max_len=200)
    postcode = normal_postcode(
        text_clean(value.get("postcode"), field=f"{field}.postcode", max_len=10)
    )
    if postcode is None:
        raise Invalid(_("A Dutch postcode, like 1012 AB."), field=f"{field}.postcode")
    city = text_clean(value.get("city"), field=f"{field}.city", max_len=100)
    return kind, {"kind": kind, "street": street, "postcode": postcode, "city": city}, None


def _parse_day(
    business: Business, request: dict[str, Any], *, now: datetime, prefix: str, current: Any
) -> date:
    if "date" in request:
        day = _parse_date(request["date"], field=prefix + "date")
    else:
        assert current is not None
        day = current.promised_date
    today = local_today(business, now)
    if day < today:
        raise Invalid(_("That date is in the past."), field=prefix + "date")
    horizon = horizon_days(business)
    if day > today + timedelta(days=horizon):
        raise Invalid(
            _("We deliver up to %(n)d days ahead.") % {"n": horizon}, field=prefix + "date"
        )
    return day


def delivery_request_parse(
    business: Business,
    request: Any,
    *,
    now: datetime,
    prefix: str = "",
    current: Delivery | None = None,
) -> Spec:
    """Validate a request; with `current`, missing parts keep their present value."""
    if not isinstance(request, dict):
        raise Invalid(
            _("An object with date, window and place."), field=prefix.rstrip(".") or "body"
        )
    unknown = set(request) - {"date", "window", "place"}
    if unknown:
        raise Invalid(_("Unknown field."), field=prefix + sorted(unknown)[0])
    if current is None and ("date" not in request or "window" not in request):
        missing = "date" if "date" not in request else "window"
        raise Invalid(_("This field is required."), field=prefix + missing)
    day = _parse_day(business, request, now=now, prefix=prefix, current=current)
    if "window" in request:
        window = _find_window(business, request["window"], field=prefix + "window")
    else:
        assert current is not None
        window = current.promised_window
    if "place" in request:
        kind, place, point = _parse_place(business, request["place"], field=prefix + "place")
    elif current is not None:
        kind, place, point = current.place_kind, current.promised_place, current.pickup_point
    else:
        kind, place, point = PlaceKind.HOME, {"kind": PlaceKind.HOME}, None
    spec = Spec(day=day, window=window, place_kind=kind, place=place, pickup_point=point)
    _start, _end, cutoff = slot_times(business, day, window)
    if cutoff <= now:
        raise Conflict(
            _("Changes for %(date)s %(window)s closed at %(cutoff)s. Still possible: see options.")
            % {
                "date": day.isoformat(),
                "window": window.code,
                "cutoff": local_text(business, cutoff),
            },
            field=prefix + "window",
            cutoff=cutoff.isoformat(),
            options=slots_still_possible(business, now),
        )
    return spec


def slot_first_possible(
    delivery: Delivery,
    *,
    place_kind: str,
    place: dict[str, Any],
    point: PickupPoint | None,
    now: datetime,
) -> Spec | None:
    """The earliest bookable slot from today, the current window first (for instructions)."""
    return slot_first_free(
        delivery.order.business,
        place_kind=place_kind,
        place=place,
        point=point,
        now=now,
        window_first=delivery.promised_window_id,
    )


def slot_first_free(
    business: Business,
    *,
    place_kind: str,
    place: dict[str, Any],
    point: PickupPoint | None,
    now: datetime,
    window_first: int | None = None,
) -> Spec | None:
    """The earliest bookable slot from today (``window_first`` first on each day), or None
    when nothing is free within the horizon."""
    today = local_today(business, now)
    windows = sorted(windows_active(business), key=lambda w: (w.pk != window_first, w.starts))
    loads = slot_loads(business, today, today + timedelta(days=horizon_days(business)))
    for offset in range(horizon_days(business) + 1):
        day = today + timedelta(days=offset)
        for w in windows:
            _s, _e, cutoff = slot_times(business, day, w)
            if cutoff <= now or loads.get((f"w{w.pk}", day), 0) >= w.capacity:
                continue
            if point is not None and loads.get((f"p{point.pk}", day), 0) >= point.capacity:
                continue
            return Spec(day=day, window=w, place_kind=place_kind, place=place, pickup_point=point)
    return None

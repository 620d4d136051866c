"""What the customer may choose: bookable dates, windows and places, with their cutoffs."""

import re
from datetime import date, datetime, timedelta
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from klantstuur.businesses.models import Business
from klantstuur.core.errors import Invalid
from klantstuur.core.zones import zone

from ..models import DeliverySettings, DeliveryWindow, PickupPoint, PlaceKind, SlotLoad

POSTCODE = re.compile(r"^\s*(\d{4})\s?([A-Za-z]{2})\s*$")


def horizon_days(business: Business) -> int:
    found = DeliverySettings.objects.filter(business=business).values_list(
        "horizon_days", flat=True
    )
    return next(iter(found), 14)


def local_today(business: Business, now: datetime) -> date:
    return timezone.localtime(now, zone(business.time_zone)).date()


def local_text(business: Business, when: datetime) -> str:
    return timezone.localtime(when, zone(business.time_zone)).strftime("%Y-%m-%d %H:%M")


def slot_times(
    business: Business, day: date, window: DeliveryWindow
) -> tuple[datetime, datetime, datetime]:
    """Window start, end and cutoff as aware datetimes (business time zone)."""
    tz = zone(business.time_zone)
    start = datetime.combine(day, window.starts, tzinfo=tz)
    end = datetime.combine(day, window.ends, tzinfo=tz)
    return start, end, start - timedelta(minutes=window.cutoff_minutes)


def normal_postcode(value: str) -> str | None:
    m = POSTCODE.match(value or "")
    return f"{m.group(1)} {m.group(2).upper()}" if m else None


def slot_loads(business: Business, first: date, last: date) -> dict[tuple[str, date], int]:
    rows = SlotLoad.objects.filter(business=business, date__gte=first, date__lte=last)
    return {(r.key, r.date): r.booked for r in rows}


def windows_active(business: Business) -> list[DeliveryWindow]:
    return list(DeliveryWindow.objects.filter(business=business, active=True).order_by("starts"))


def _points(business: Business, postcode: str | None = None) -> list[PickupPoint]:
    points = list(PickupPoint.objects.filter(business=business, active=True))
    if postcode:
        near = int(postcode[:4])
        points.sort(key=lambda p: (abs(int(p.postcode[:4] or 0) - near), p.name))
    return points


PLACES: tuple[tuple[PlaceKind, tuple[str, ...]], ...] = (
    (PlaceKind.HOME, ()),
    (PlaceKind.NEIGHBOUR, ("house_number", "name")),
    (PlaceKind.PICKUP_POINT, ("pickup_point",)),
    (PlaceKind.ADDRESS, ("street", "postcode", "city")),
)


def delivery_options(
    *, business: Business, postcode: str = "", now: datetime | None = None, days: int | None = None
) -> dict[str, Any]:
    """Bookable dates, windows and places, each with its cutoff. Four queries."""
    now = now or timezone.now()
    code = ""
    if postcode:
        code = normal_postcode(postcode) or ""
        if not code:
            raise Invalid(_("A Dutch postcode, like 1012 AB."), field="postcode")
    today = local_today(business, now)
    horizon = horizon_days(business)
    last = today + timedelta(days=min(days or horizon, horizon))
    windows = windows_active(business)
    points = _points(business, code)
    loads = slot_loads(business, today, last)
    dates = []
    day = today
    while day <= last:
        slots = []
        for w in windows:
            start, end, cutoff = slot_times(business, day, w)
            if cutoff <= now:
                continue
            left = w.capacity - loads.get((f"w{w.pk}", day), 0)
            slots.append(
                {
                    "window": w.code,
                    "starts_at": start,
                    "ends_at": end,
                    "cutoff": cutoff,
                    "available": left > 0,
                    "remaining": max(left, 0),
                }
            )
        if slots:
            dates.append({"date": day, "windows": slots})
        day += timedelta(days=1)
    return {
        "postcode": code,
        "horizon_days": horizon,
        "dates": dates,
        "places": [
            {"kind": kind, "label": str(kind.label), "needs": list(needs)} for kind, needs in PLACES
        ],
        "pickup_points": [pickup_point_out(p) for p in points],
    }


def pickup_point_out(p: PickupPoint) -> dict[str, Any]:
    return {
        "code": p.code,
        "name": p.name,
        "address": p.address,
        "postcode": p.postcode,
        "opening_hours": p.opening_hours,
    }


def slots_still_possible(business: Business, now: datetime, limit: int = 6) -> list[dict[str, Any]]:
    """The next bookable date-and-window pairs, for a 409's `options`."""
    out: list[dict[str, Any]] = []
    for d in delivery_options(business=business, now=now)["dates"]:
        for w in d["windows"]:
            if w["available"]:
                out.append(
                    {
                        "date": d["date"].isoformat(),
                        "window": w["window"],
                        "cutoff": w["cutoff"].isoformat(),
                    }
                )
                if len(out) >= limit:
                    return out
    return out

"""Delivery the customer steers: options, booking, changing, carrier events (R4, R13).

Times are stored in UTC; dates, windows and cutoffs are computed in the
business's time zone. Every change is atomic and journaled on the order's
need (or the delivery problem's need), in the same transaction.
"""

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from klantstuur.businesses.models import Business, StaffMember
from klantstuur.core.errors import Conflict, DomainError, Invalid, NotFound
from klantstuur.core.zones import zone
from klantstuur.customers.models import Customer
from klantstuur.needs.journal import record_event
from klantstuur.needs.models import EventKind, Need
from klantstuur.orders.checkpoints import CARRIER_CODES, SHOP_SCAN_CODES
from klantstuur.orders.models import Order, OrderStatus
from klantstuur.orders.services import (
    NewCheckpoint,
    checkpoint_record,
    checkpoints_record_many,
    values_cte,
)

from .models import (
    BROKEN_STATUSES,
    CARRIER_STATUS_EFFECT,
    FINAL_STATUSES,
    CarrierEvent,
    Delivery,
    DeliverySettings,
    DeliveryStatus,
    DeliveryWindow,
    PickupPoint,
    PlaceKind,
    SlotLoad,
)
from .promise import stored_promise

POSTCODE = re.compile(r"^\s*(\d{4})\s?([A-Za-z]{2})\s*$")
WINDOW = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")
CARRIER_REASONS = (
    "not_at_home",
    "address_not_found",
    "refused",
    "damaged",
    "lost",
    "weather",
    "out_of_stock",
    "other",
)


def settings_for(business: Business) -> DeliverySettings:
    found, _created = DeliverySettings.objects.get_or_create(business=business)
    return found


def horizon_days(business: Business) -> int:
    found = DeliverySettings.objects.filter(business=business).values_list(
        "horizon_days", flat=True
    )
    return next(iter(found), 14)


def local_today(business: Business, now: datetime) -> date:
    return timezone.localtime(now, zone(business.time_zone)).date()


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


# --- options -------------------------------------------------------------------------


def _loads(business: Business, first: date, last: date) -> dict[tuple[str, date], int]:
    rows = SlotLoad.objects.filter(business=business, date__gte=first, date__lte=last)
    return {(r.key, r.date): r.booked for r in rows}


def _windows(business: Business) -> list[DeliveryWindow]:
    return list(DeliveryWindow.objects.filter(business=business, active=True).order_by("starts"))


def _points(business: Business, postcode: str | None = None) -> list[PickupPoint]:
    points = list(PickupPoint.objects.filter(business=business, active=True))
    if postcode:
        near = int(postcode[:4])
        points.sort(key=lambda p: (abs(int(p.postcode[:4] or 0) - near), p.name))
    return points


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
    windows = _windows(business)
    points = _points(business, code)
    loads = _loads(business, today, last)
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
            {"kind": PlaceKind.HOME, "label": str(PlaceKind.HOME.label), "needs": []},
            {
                "kind": PlaceKind.NEIGHBOUR,
                "label": str(PlaceKind.NEIGHBOUR.label),
                "needs": ["house_number", "name"],
            },
            {
                "kind": PlaceKind.PICKUP_POINT,
                "label": str(PlaceKind.PICKUP_POINT.label),
                "needs": ["pickup_point"],
            },
            {
                "kind": PlaceKind.ADDRESS,
                "label": str(PlaceKind.ADDRESS.label),
                "needs": ["street", "postcode", "city"],
            },
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


def still_possible(business: Business, now: datetime, limit: int = 6) -> list[dict[str, Any]]:
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


# --- requests ------------------------------------------------------------------------


@dataclass
class Spec:
    """A validated delivery request."""

    day: date
    window: DeliveryWindow
    place_kind: str
    place: dict[str, Any] = field(default_factory=dict)
    pickup_point: PickupPoint | None = None


def _str(value: Any, *, field: str, max_len: int, required: bool = True) -> str:
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
        codes = ", ".join(w.code for w in _windows(business))
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
        number = _str(value.get("house_number"), field=f"{field}.house_number", max_len=20)
        name = _str(value.get("name"), field=f"{field}.name", max_len=100)
        return kind, {"kind": kind, "house_number": number, "name": name}, None
    if kind == PlaceKind.PICKUP_POINT:
        code = _str(value.get("pickup_point"), field=f"{field}.pickup_point", max_len=40)
        point = PickupPoint.objects.filter(business=business, code=code, active=True).first()
        if point is None:
            raise Invalid(_("There is no such pickup point."), field=f"{field}.pickup_point")
        return kind, {"kind": kind, "pickup_point": point.code, "name": point.name}, point
    street = _str(value.get("street"), field=f"{field}.street", max_len=200)
    postcode = normal_postcode(_str(value.get("postcode"), field=f"{field}.postcode", max_len=10))
    if postcode is None:
        raise Invalid(_("A Dutch postcode, like 1012 AB."), field=f"{field}.postcode")
    city = _str(value.get("city"), field=f"{field}.city", max_len=100)
    return kind, {"kind": kind, "street": street, "postcode": postcode, "city": city}, None


def parse_request(
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
                "cutoff": _local_text(business, cutoff),
            },
            field=prefix + "window",
            cutoff=cutoff.isoformat(),
            options=still_possible(business, now),
        )
    return spec


def _local_text(business: Business, when: datetime) -> str:
    return timezone.localtime(when, zone(business.time_zone)).strftime("%Y-%m-%d %H:%M")


# --- capacity --------------------------------------------------------------------------


def _keys(spec: Spec) -> list[tuple[str, int]]:
    keys = [(f"w{spec.window.pk}", spec.window.capacity)]
    if spec.pickup_point is not None:
        keys.append((f"p{spec.pickup_point.pk}", spec.pickup_point.capacity))
    return keys


def _take(business: Business, spec: Spec) -> None:
    """Book the slot (and the pickup point) under capacity, or 409 naming alternatives."""
    for key, capacity in _keys(spec):
        SlotLoad.objects.get_or_create(business=business, key=key, date=spec.day)
        took = SlotLoad.objects.filter(key=key, date=spec.day, booked__lt=capacity).update(
            booked=F("booked") + 1
        )
        if took != 1:
            what = spec.window.code if key.startswith("w") else spec.place.get("name", "")
            raise Conflict(
                _("%(what)s on %(date)s is full.") % {"what": what, "date": spec.day.isoformat()},
                field="window" if key.startswith("w") else "place.pickup_point",
                options=still_possible(business, timezone.now()),
            )


def _release(delivery: Delivery) -> None:
    keys = [f"w{delivery.promised_window_id}"]
    if delivery.pickup_point_id:
        keys.append(f"p{delivery.pickup_point_id}")
    SlotLoad.objects.filter(key__in=keys, date=delivery.promised_date, booked__gt=0).update(
        booked=F("booked") - 1
    )


# --- booking and changing -----------------------------------------------------------------


def promise_text(business: Business, delivery: Delivery) -> str:
    """The promise in the active language (display time); see klantstuur.delivery.promise."""
    from .promise import delivery_promise

    return delivery_promise(delivery)


def place_summary(delivery: Delivery) -> dict[str, Any]:
    return {
        "date": delivery.promised_date.isoformat(),
        "window": delivery.promised_window.code,
        "place": delivery.promised_place,
    }


def _set_promise(order: Order, delivery: Delivery, now: datetime) -> None:
    # The old text fields stay readable (default language); pages render the structure.
    text = stored_promise(delivery)
    Order.objects.filter(pk=order.pk).update(
        promised_at=delivery.window_end, promise_text=text, updated_at=now
    )
    Need.objects.filter(pk=order.need_id).update(
        promise_due_at=delivery.window_end, promise_text=text, updated_at=now
    )


def _apply_spec(delivery: Delivery, spec: Spec) -> None:
    business = delivery.order.business
    start, end, cutoff = slot_times(business, spec.day, spec.window)
    delivery.promised_date = spec.day
    delivery.promised_window = spec.window
    delivery.place_kind = spec.place_kind
    delivery.promised_place = spec.place
    delivery.pickup_point = spec.pickup_point
    delivery.window_start, delivery.window_end, delivery.cutoff_at = start, end, cutoff


def delivery_book(
    *,
    order: Order,
    request: dict[str, Any],
    actor_staff: StaffMember | None = None,
    actor_customer: Customer | None = None,
    now: datetime | None = None,
) -> Delivery:
    """Book the requested delivery for a new order (called inside order_place)."""
    now = now or timezone.now()
    business = order.business
    if order.customer_id is None:
        raise Invalid(_("Only a customer's order can be delivered."), field="delivery")
    with transaction.atomic():
        spec = parse_request(business, request, now=now, prefix="delivery.")
        _take(business, spec)
        delivery = Delivery(
            order=order,
            business=business,
            customer_id=order.customer_id,
            requested_date=spec.day,
            requested_window=spec.window,
            requested_place=spec.place,
            created_at=now,
            updated_at=now,
        )
        _apply_spec(delivery, spec)
        delivery.save()
        _set_promise(order, delivery, now)
        record_event(
            need=order.need,
            kind=EventKind.DELIVERY_CHANGED,
            actor_staff=actor_staff,
            actor_customer=actor_customer,
            data={
                "order_id": order.pk,
                "booked": True,
                "requested": place_summary(delivery),
                "promised": place_summary(delivery),
                "promise": stored_promise(delivery),
                "cutoff": delivery.cutoff_at.isoformat(),
            },
            at=now,
        )
    return delivery


def lock_delivery(order: Order) -> Delivery:
    found = (
        Delivery.objects.select_for_update(of=("self",))
        .filter(order_id=order.pk)
        .select_related("order__business", "order__need", "promised_window", "pickup_point")
        .first()
    )
    if found is None:
        raise NotFound(_("This order has no delivery to change."))
    return found


def target_need(delivery: Delivery) -> Need:
    """Where delivery events go: the problem's need while it is active, else the order's."""
    if delivery.problem_need_id:
        need = Need.objects.filter(pk=delivery.problem_need_id).first()
        if need is not None and need.is_active:
            return need
    return delivery.order.need


def change_apply(
    delivery: Delivery,
    spec: Spec,
    *,
    now: datetime,
    actor_customer: Customer | None = None,
    actor_staff: StaffMember | None = None,
    because: dict[str, Any] | None = None,
) -> bool:
    """Move a locked delivery to a new slot or place. False when nothing changed."""
    same_slot = (
        spec.day == delivery.promised_date
        and spec.window.pk == delivery.promised_window_id
        and (spec.pickup_point.pk if spec.pickup_point else None) == delivery.pickup_point_id
    )
    if same_slot and spec.place == delivery.promised_place and not delivery.problem_reason:
        return False
    before = place_summary(delivery)
    if not same_slot:
        _take(delivery.order.business, spec)
        _release(delivery)
    _apply_spec(delivery, spec)
    if actor_customer is not None:
        delivery.requested_date = spec.day
        delivery.requested_window = spec.window
        delivery.requested_place = spec.place
    was_broken = delivery.status in BROKEN_STATUSES
    if was_broken:
        delivery.status = DeliveryStatus.SCHEDULED
    delivery.problem_reason = ""
    delivery.version += 1
    delivery.updated_at = now
    delivery.save()
    _set_promise(delivery.order, delivery, now)
    data: dict[str, Any] = {
        "order_id": delivery.order_id,
        "before": before,
        "after": place_summary(delivery),
        "promise": stored_promise(delivery),
        "cutoff": delivery.cutoff_at.isoformat(),
    }
    if because:
        data["because"] = because
    record_event(
        need=target_need(delivery),
        kind=EventKind.DELIVERY_CHANGED,
        actor_customer=actor_customer,
        actor_staff=actor_staff,
        data=data,
        at=now,
    )
    return True


def delivery_change(
    *, customer: Customer, order: Order, request: Any, now: datetime | None = None
) -> Delivery:
    """The customer changes date, window or place, at any hour until the cutoff.

    After a failed attempt or an exception the old cutoff no longer binds: the
    promise broke, and the customer chooses again.
    """
    now = now or timezone.now()
    if order.customer_id != customer.pk:
        raise NotFound(_("No such order."))
    with transaction.atomic():
        delivery = lock_delivery(order)
        business = delivery.order.business
        if delivery.status in FINAL_STATUSES or delivery.order.status == OrderStatus.CANCELLED:
            raise Conflict(
                _("This delivery is %(status)s; it cannot change any more.")
                % {"status": delivery.get_status_display()},
                status=delivery.status,
            )
        if delivery.status == DeliveryStatus.AVAILABLE_FOR_PICKUP:
            raise Conflict(_("Your parcel is waiting at the pickup point."), status=delivery.status)
        if not delivery.needs_choice and now >= delivery.cutoff_at:
            raise Conflict(
                _(
                    "The delivery of %(date)s %(window)s was fixed at %(cutoff)s. Still "
                    "possible: a standing instruction for when you are not at home."
                )
                % {
                    "date": delivery.promised_date.isoformat(),
                    "window": delivery.promised_window.code,
                    "cutoff": _local_text(business, delivery.cutoff_at),
                },
                cutoff=delivery.cutoff_at.isoformat(),
                options=[
                    {
                        "kind": "standing_instruction",
                        "condition": "not_at_home",
                        "actions": ["leave_with_neighbour", "deliver_to_pickup_point"],
                        "path": "/api/v1/me/instructions",
                    }
                ],
            )
        spec = parse_request(business, request, now=now, current=delivery)
        change_apply(delivery, spec, now=now, actor_customer=customer)
    return delivery


def first_possible(
    delivery: Delivery,
    *,
    place_kind: str,
    place: dict[str, Any],
    point: PickupPoint | None,
    now: datetime,
) -> Spec | None:
    """The earliest bookable slot from today, the current window first (for instructions)."""
    business = delivery.order.business
    today = local_today(business, now)
    windows = sorted(
        _windows(business), key=lambda w: (w.pk != delivery.promised_window_id, w.starts)
    )
    loads = _loads(business, today, today + timedelta(days=horizon_days(business)))
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


# --- carrier events and shop scans ------------------------------------------------------


@dataclass
class Recorded:
    event: CarrierEvent
    duplicate: bool = False


@dataclass(frozen=True)
class _Item:
    """One event, checked: what the set-based path stores."""

    index: int
    order_id: int
    code: str
    at: datetime
    location: str
    note: str
    reason: str
    external_id: str


def _at(value: Any, now: datetime) -> datetime:
    if value is None:
        return now
    if not isinstance(value, datetime) or timezone.is_naive(value):
        raise Invalid(_("A time with its offset, like 2026-05-14T18:05:00+02:00."), field="at")
    if value > now + timedelta(minutes=15):
        raise Invalid(_("That time is in the future."), field="at")
    if value < now - timedelta(days=60):
        raise Invalid(_("That time is too long ago."), field="at")
    return value


def _unknown_status() -> Invalid:
    return Invalid(
        _("Unknown status; choose one of: %(codes)s.") % {"codes": ", ".join(CARRIER_CODES)},
        field="status",
    )


def _item(
    *,
    index: int,
    order_id: Any,
    code: str,
    at: datetime,
    location: Any,
    note: Any,
    reason: Any,
    external_id: Any,
) -> _Item:
    """The checks of one event that need no database, in the order `_record` makes them."""
    location = _str(location, field="location", max_len=200, required=False)
    note = _str(note, field="note", max_len=500, required=False)
    external_id = _str(external_id, field="event_id", max_len=100, required=False)
    reason = reason or ""
    if reason and reason not in CARRIER_REASONS:
        raise Invalid(
            _("Unknown reason; choose one of: %(r)s.") % {"r": ", ".join(CARRIER_REASONS)},
            field="reason",
        )
    if not isinstance(order_id, int) or isinstance(order_id, bool):
        raise NotFound(_("No such order."), field="order_id")
    return _Item(index, order_id, code, at, location, note, reason, external_id)


def carrier_event_record(
    *,
    staff: StaffMember,
    order_id: int,
    status: str,
    at: datetime | None = None,
    location: str = "",
    note: str = "",
    reason: str = "",
    external_id: str = "",
    source: str = "api",
    now: datetime | None = None,
) -> Recorded:
    """One carrier event: a checkpoint on the order, and the delivery's status moved.

    A batch of one (`_record_all`). A problem (failed attempt, exception) is taken up
    after the commit by the proactive reaction (klantstuur.delivery.proactive).
    """
    now = now or timezone.now()
    if status not in CARRIER_CODES:
        raise _unknown_status()
    item = _item(
        index=0,
        order_id=order_id,
        code=status,
        at=_at(at, now),
        location=location,
        note=note,
        reason=reason,
        external_id=external_id,
    )
    return _one(_record_all(staff=staff, items=[item], now=now, source=source)[0])


def shop_scan_record(
    *,
    staff: StaffMember,
    order_id: int,
    code: str,
    note: str = "",
    reason: str = "",
    now: datetime | None = None,
) -> Recorded:
    """The shop's own scans (picked, packed, handed to carrier) and stock exceptions."""
    now = now or timezone.now()
    if code not in (*SHOP_SCAN_CODES, "exception"):
        raise Invalid(
            _("Unknown scan; choose one of: %(codes)s.")
            % {"codes": ", ".join((*SHOP_SCAN_CODES, "exception"))},
            field="code",
        )
    item = _item(
        index=0,
        order_id=order_id,
        code=code,
        at=now,
        location="",
        note=note,
        reason=reason,
        external_id="",
    )
    return _one(_record_all(staff=staff, items=[item], now=now, source="shop")[0])


def _one(result: "Recorded | DomainError") -> Recorded:
    if isinstance(result, DomainError):
        raise result
    return result


def carrier_events_record(
    *, staff: StaffMember, events: list[dict[str, Any]], now: datetime | None = None
) -> list[Recorded | DomainError]:
    """A batch, set-based: every event checked first, then one transaction of a few
    statements whatever the batch size (see `_record_items`), one reaction dispatch.

    Returns, per event (same index), what was recorded (or found again: a duplicate
    event id, in the database or earlier in the batch) or why it was refused.
    """
    now = now or timezone.now()
    out: list[Recorded | DomainError | None] = [None] * len(events)
    items: list[_Item] = []
    for n, e in enumerate(events):
        try:
            if e.get("status") not in CARRIER_CODES:
                raise _unknown_status()
            items.append(
                _item(
                    index=n,
                    order_id=e.get("order_id"),
                    code=e["status"],
                    at=_at(e.get("at"), now),
                    location=e.get("location", ""),
                    note=e.get("note", ""),
                    reason=e.get("reason", ""),
                    external_id=e.get("event_id", ""),
                )
            )
        except DomainError as exc:
            out[n] = exc
    for n, result in _record_all(staff=staff, items=items, now=now, source="api").items():
        out[n] = result
    assert all(r is not None for r in out)
    return [r for r in out if r is not None]


def _record_all(
    *, staff: StaffMember, items: list[_Item], now: datetime, source: str
) -> dict[int, Recorded | DomainError]:
    """Set-based in one transaction; one by one only when a concurrent request stored one
    of these event ids between our duplicate check and our INSERT (the unique constraint
    caught it, this transaction rolled back): nothing is lost or stored twice either way."""
    if not items:
        return {}
    try:
        with transaction.atomic():
            return _record_items(staff=staff, items=items, now=now, source=source)
    except IntegrityError:
        with transaction.atomic():
            return _record_one_by_one(staff=staff, items=items, now=now, source=source)


def _lock(staff: StaffMember, order_ids: set[int]) -> tuple[dict[int, Order], dict[int, Delivery]]:
    """The staff's business's orders among `order_ids`, with their deliveries, locked.

    One query when every order has a delivery: deliveries and orders FOR NO KEY UPDATE in
    ascending order id — the delivery before its order, as delivery_change and the
    proactive reaction take them — so concurrent batches queue instead of deadlocking, and
    the rows read are the latest committed (READ COMMITTED re-reads a row it waited for).
    """
    deliveries = {
        d.order_id: d
        for d in Delivery.objects.select_for_update(of=("self", "order"), no_key=True)
        .select_related("order__need__customer")
        .only(*_DELIVERY_FIELDS, *(f"order__{f}" for f in _ORDER_FIELDS))
        .filter(order_id__in=order_ids, order__business_id=staff.business_id)
        .order_by("order_id")
    }
    orders = {order_id: d.order for order_id, d in deliveries.items()}
    rest = order_ids - orders.keys()
    if rest:
        for o in (
            Order.objects.select_for_update(of=("self",), no_key=True)
            .select_related("need__customer")
            .only(*_ORDER_FIELDS)
            .filter(pk__in=rest, business_id=staff.business_id)
            .order_by("pk")
        ):
            orders[o.pk] = o
    return orders, deliveries


# What ingest reads of the locked rows (a full row of four tables per order costs more
# Python time than the whole INSERT): the delivery's carrier state, and what the journal
# event and the checkpoint need of the order, its need and its customer.
_DELIVERY_FIELDS = ("id", "order_id", "status", "last_carrier_at", "problem_reason")
_ORDER_FIELDS = (
    "id",
    "business_id",
    "need_id",
    "status",
    "need__id",
    "need__customer_id",
    "need__customer__id",
    "need__customer__business_id",
)


def _record_items(
    *, staff: StaffMember, items: list[_Item], now: datetime, source: str
) -> dict[int, Recorded | DomainError]:
    """The set-based path; call inside a transaction. Whatever the number of events:

    1. lock the deliveries and orders (`_lock`); an order not of this business is a 404;
    2. the event ids already stored, in one query (after the locks: a retry of the same
       event for the same order waited for the first and sees it);
    3. one INSERT each of journal events, checkpoints (`checkpoints_record_many`, which
       also sets each order's latest checkpoint and fulfils delivered orders in one
       UPDATE) and carrier events;
    4. one UPDATE … FROM (VALUES …) of the deliveries that move (`_move_deliveries`).

    Events are applied per order in the order given, orders in ascending id — the same
    results as recording them one by one (`_record`).
    """
    out: dict[int, Recorded | DomainError] = {}
    orders, deliveries = _lock(staff, {i.order_id for i in items})
    todo: list[_Item] = []
    for item in sorted(items, key=lambda i: (i.order_id, i.index)):
        if item.order_id in orders:
            todo.append(item)
        else:
            out[item.index] = NotFound(_("No such order."), field="order_id")
    stored = _stored(staff, {i.external_id for i in todo if i.external_id})
    new: list[_Item] = []
    first: dict[str, _Item] = {}
    again: list[tuple[_Item, _Item]] = []
    for item in todo:
        if item.external_id in stored:
            out[item.index] = Recorded(stored[item.external_id], duplicate=True)
        elif item.external_id in first:
            again.append((item, first[item.external_id]))
        else:
            if item.external_id:
                first[item.external_id] = item
            new.append(item)
    if new:
        checkpoints = checkpoints_record_many(
            checkpoints=[
                NewCheckpoint(
                    order=orders[i.order_id],
                    code=i.code,
                    at=i.at,
                    location=i.location,
                    note=i.note,
                    data={"reason": i.reason, "source": source},
                )
                for i in new
            ],
            actor_staff=staff,
            fulfil={i.order_id for i in new if i.code == "delivered"},
            now=now,
        )
        created = CarrierEvent.objects.bulk_create(
            [
                CarrierEvent(
                    business_id=staff.business_id,
                    order=orders[i.order_id],
                    status=i.code,
                    reason=i.reason,
                    at=i.at,
                    received_at=now,
                    location=i.location,
                    note=i.note,
                    source=source,
                    external_id=i.external_id,
                    checkpoint=checkpoint,
                )
                for i, checkpoint in zip(new, checkpoints, strict=True)
            ]
        )
        for i, event in zip(new, created, strict=True):
            out[i.index] = Recorded(event)
        _move_deliveries(deliveries, new, now)
    for item, original in again:
        found = out[original.index]
        assert isinstance(found, Recorded)
        out[item.index] = Recorded(found.event, duplicate=True)
    return out


def _stored(staff: StaffMember, external_ids: set[str]) -> dict[str, CarrierEvent]:
    """The events of these ids already stored for the staff's business: one query."""
    if not external_ids:
        return {}
    found = CarrierEvent.objects.filter(business_id=staff.business_id, external_id__in=external_ids)
    return {e.external_id: e for e in found}


def _move_deliveries(deliveries: dict[int, Delivery], items: list[_Item], now: datetime) -> None:
    """`_move_delivery` for many events (grouped by order, in the order given), read from
    the locked rows and written by one UPDATE … FROM (VALUES …) of the ones that moved."""
    by_order: dict[int, list[_Item]] = {}
    for item in items:
        by_order.setdefault(item.order_id, []).append(item)
    rows: list[tuple[int, str, datetime, str]] = []
    for order_id, mine in by_order.items():
        d = deliveries.get(order_id)
        if d is None:
            continue
        status, last, problem, moved = d.status, d.last_carrier_at, d.problem_reason, False
        for item in mine:
            effect = CARRIER_STATUS_EFFECT.get(item.code)
            if effect is None or status in FINAL_STATUSES or (last is not None and last > item.at):
                continue
            status, last, moved = effect, item.at, True
            reason = _problem_reason(effect, item.code)
            if reason is not None:
                problem = reason
        if moved:
            assert last is not None
            rows.append((d.pk, str(status), last, problem))
    if not rows:
        return
    values, params = values_cte(
        "v",
        [("id", "bigint"), ("status", "varchar"), ("at", "timestamptz"), ("reason", "varchar")],
        rows,
    )
    table = Delivery._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"{values} UPDATE {table} SET status = v.status, last_carrier_at = v.at,"  # noqa: S608
            f" problem_reason = v.reason, updated_at = %s FROM v WHERE {table}.id = v.id",
            [*params, connection.ops.adapt_datetimefield_value(now)],
        )


def _record_one_by_one(
    *, staff: StaffMember, items: list[_Item], now: datetime, source: str
) -> dict[int, Recorded | DomainError]:
    """The fallback: the same locks, then each event in its own savepoint (`_record`)."""
    orders, _deliveries = _lock(staff, {i.order_id for i in items})
    out: dict[int, Recorded | DomainError] = {}
    for item in sorted(items, key=lambda i: (i.order_id, i.index)):
        try:
            out[item.index] = _record(
                staff=staff,
                order_id=item.order_id,
                code=item.code,
                at=item.at,
                location=item.location,
                note=item.note,
                reason=item.reason,
                external_id=item.external_id,
                source=source,
                now=now,
                order=orders.get(item.order_id),
            )
        except DomainError as exc:
            out[item.index] = exc
    return out


def _record(
    *,
    staff: StaffMember,
    order_id: int,
    code: str,
    at: datetime,
    location: str,
    note: str,
    reason: str,
    external_id: str,
    source: str,
    now: datetime,
    order: Order | None = None,
) -> Recorded:
    """One event in its own savepoint (the fallback of `_record_all`; the reference the
    set-based path is tested against).

    Order (unless given), journal event, checkpoint (+ its latest-checkpoint check and
    order update, in orders.services), carrier event, and one conditional UPDATE of the
    delivery. A repeated event id is caught by the unique constraint: a rolled-back
    savepoint, then the stored event is returned as a duplicate.
    """
    location = _str(location, field="location", max_len=200, required=False)
    note = _str(note, field="note", max_len=500, required=False)
    external_id = _str(external_id, field="event_id", max_len=100, required=False)
    if reason and reason not in CARRIER_REASONS:
        raise Invalid(
            _("Unknown reason; choose one of: %(r)s.") % {"r": ", ".join(CARRIER_REASONS)},
            field="reason",
        )
    if order is None or order.pk != order_id or order.business_id != staff.business_id:
        order = (
            Order.objects.select_related("need__customer")
            .filter(pk=order_id, business_id=staff.business_id)
            .first()
        )
    if order is None:
        raise NotFound(_("No such order."), field="order_id")
    try:
        with transaction.atomic():
            checkpoint = checkpoint_record(
                order=order,
                code=code,
                actor_staff=staff,
                at=at,
                location=location,
                note=note,
                data={"reason": reason, "source": source},
            )
            event = CarrierEvent.objects.create(
                business_id=staff.business_id,
                order=order,
                status=code,
                reason=reason,
                at=at,
                received_at=now,
                location=location,
                note=note,
                source=source,
                external_id=external_id,
                checkpoint=checkpoint,
            )
            _move_delivery(order, code, at, now)
    except IntegrityError:
        found = (
            CarrierEvent.objects.filter(business_id=staff.business_id, external_id=external_id)
            .exclude(external_id="")
            .first()
        )
        if found is None:
            raise
        return Recorded(found, duplicate=True)
    return Recorded(event)


def _problem_reason(effect: str, code: str) -> str | None:
    """What a carrier event does to the delivery's open problem: a broken promise names
    it, a delivery or a pickup point clears it; anything else leaves it (None)."""
    if effect in BROKEN_STATUSES:
        return code
    if effect in (DeliveryStatus.DELIVERED, DeliveryStatus.AVAILABLE_FOR_PICKUP):
        return ""
    return None


def _move_delivery(order: Order, code: str, at: datetime, now: datetime) -> None:
    """One conditional UPDATE: the delivery moves unless final or the event is older."""
    effect = CARRIER_STATUS_EFFECT.get(code)
    if effect is not None:
        changes: dict[str, Any] = {"status": effect, "last_carrier_at": at, "updated_at": now}
        reason = _problem_reason(effect, code)
        if reason is not None:
            changes["problem_reason"] = reason
        Delivery.objects.filter(order_id=order.pk).exclude(status__in=FINAL_STATUSES).filter(
            Q(last_carrier_at__isnull=True) | Q(last_carrier_at__lte=at)
        ).update(**changes)
    if code == "delivered" and order.status == OrderStatus.PLACED:
        Order.objects.filter(pk=order.pk, status=OrderStatus.PLACED).update(
            status=OrderStatus.FULFILLED, updated_at=now
        )


def delivery_cancel_for_order(*, order: Order, now: datetime) -> None:
    """Called by orders.cancel.order_cancel inside its transaction: the slot is freed."""
    delivery = Delivery.objects.select_for_update(of=("self",)).filter(order_id=order.pk).first()
    if delivery is not None and delivery.status not in FINAL_STATUSES:
        _release(delivery)
        Delivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.CANCELLED,
            problem_reason="",
            version=F("version") + 1,
            updated_at=now,
        )

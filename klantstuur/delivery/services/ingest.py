"""Carrier events and shop scans: one implementation, set-based.

Every event is checked first; then, in one transaction of a few statements whatever
their number, the orders and deliveries are locked, the event ids already stored are
read, and the journal events, checkpoints and carrier events are inserted and the
deliveries moved (``_record_items``). A single event is a batch of one. When a
concurrent request stores one of the event ids between our check and our INSERT, the
attempt rolls back whole and is retried one event at a time, each a batch of one in
its own savepoint (``_record_each``): nothing is lost or stored twice either way.

A problem (failed attempt, exception) is taken up after the commit by the proactive
reaction (klantstuur.delivery.proactive).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from klantstuur.businesses.models import StaffMember
from klantstuur.core.errors import DomainError, Invalid, NotFound
from klantstuur.orders.checkpoints import (
    CARRIER_CODES,
    DELIVERY_EFFECT,
    SHOP_REPORTABLE_CODES,
    NewCheckpoint,
    checkpoints_record_many,
)
from klantstuur.orders.models import Order

from ..events import carrier_detail
from ..models import CarrierEvent, Delivery
from ..queries import CarrierState, carrier_state_after, deliveries_set_sql
from .requests import text_clean

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
    # The carrier's name and its number for the parcel, when the event carries them.
    carrier: str = ""
    tracking_number: str = ""


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
    carrier: Any = "",
    tracking_number: Any = "",
) -> _Item:
    """The checks of one event that need no database."""
    carrier = text_clean(carrier, field="carrier", max_len=100, required=False)
    tracking_number = text_clean(
        tracking_number, field="tracking_number", max_len=60, required=False
    )
    location = text_clean(location, field="location", max_len=200, required=False)
    note = text_clean(note, field="note", max_len=500, required=False)
    external_id = text_clean(external_id, field="event_id", max_len=100, required=False)
    reason = reason or ""
    if reason and reason not in CARRIER_REASONS:
        raise Invalid(
            _("Unknown reason; choose one of: %(r)s.") % {"r": ", ".join(CARRIER_REASONS)},
            field="reason",
        )
    if not isinstance(order_id, int) or isinstance(order_id, bool):
        raise NotFound(_("No such order."), field="order_id")
    return _Item(
        index, order_id, code, at, location, note, reason, external_id, carrier, tracking_number
    )


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
    carrier: str = "",
    tracking_number: str = "",
) -> Recorded:
    """One carrier event: a checkpoint on the order, and the delivery's status moved."""
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
        carrier=carrier,
        tracking_number=tracking_number,
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
    if code not in SHOP_REPORTABLE_CODES:
        raise Invalid(
            _("Unknown scan; choose one of: %(codes)s.")
            % {"codes": ", ".join(SHOP_REPORTABLE_CODES)},
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
    """A batch: every event checked first, then one transaction of a few statements
    whatever the batch size (see `_record_items`), one reaction dispatch.

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
                    carrier=e.get("carrier", ""),
                    tracking_number=e.get("tracking_number", ""),
                )
            )
        except DomainError as exc:
            out[n] = exc
    for n, result in _record_all(staff=staff, items=items, now=now, source="api").items():
        out[n] = result
    assert all(r is not None for r in out)
    return [r for r in out if r is not None]


Results = dict[int, Recorded | DomainError]


def _record_all(*, staff: StaffMember, items: list[_Item], now: datetime, source: str) -> Results:
    """Set-based in one transaction; retried one event at a time when a concurrent request
    stored one of these event ids between our duplicate check and our INSERT (the unique
    constraint caught it, this transaction rolled back)."""
    if not items:
        return {}
    try:
        with transaction.atomic():
            return _record_items(staff=staff, items=items, now=now, source=source)
    except IntegrityError:
        with transaction.atomic():
            return _record_each(staff=staff, items=items, now=now, source=source)


def _record_each(*, staff: StaffMember, items: list[_Item], now: datetime, source: str) -> Results:
    """The retry: the same locks, then each event a batch of one in its own savepoint, in
    the order the batch applies them. An id stored meanwhile is that stored event, again."""
    _lock(staff, {i.order_id for i in items})
    out: Results = {}
    for item in sorted(items, key=lambda i: (i.order_id, i.index)):
        try:
            with transaction.atomic():
                out.update(_record_items(staff=staff, items=[item], now=now, source=source))
        except IntegrityError:
            found = (
                CarrierEvent.objects.filter(
                    business_id=staff.business_id, external_id=item.external_id
                )
                .exclude(external_id="")
                .first()
            )
            if found is None:
                raise
            out[item.index] = Recorded(found, duplicate=True)
    return out


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


def _record_items(*, staff: StaffMember, items: list[_Item], now: datetime, source: str) -> Results:
    """Call inside a transaction. Whatever the number of events:

    1. lock the deliveries and orders (`_lock`); an order not of this business is a 404;
    2. the event ids already stored, in one query (after the locks: a retry of the same
       event for the same order waited for the first and sees it);
    3. one INSERT each of journal events, checkpoints (`checkpoints_record_many`, which
       also sets each order's latest checkpoint and fulfils delivered orders in one
       UPDATE) and carrier events;
    4. one UPDATE … FROM (VALUES …) of the deliveries that move (`_deliveries_move`).

    Events are applied per order in the order given, orders in ascending id.
    """
    out: Results = {}
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
        for i, event in zip(new, _store(staff, orders, new, now, source), strict=True):
            out[i.index] = Recorded(event)
        _deliveries_move(deliveries, new, now)
        _tracking_set(new, now)
    for item, original in again:
        found = out[original.index]
        assert isinstance(found, Recorded)
        out[item.index] = Recorded(found.event, duplicate=True)
    return out


def _store(
    staff: StaffMember, orders: dict[int, Order], new: list[_Item], now: datetime, source: str
) -> list[CarrierEvent]:
    """The journal events and checkpoints, then the carrier events: an INSERT each."""
    checkpoints = checkpoints_record_many(
        checkpoints=[
            NewCheckpoint(
                order=orders[i.order_id],
                code=i.code,
                at=i.at,
                location=i.location,
                note=i.note,
                data=carrier_detail(reason=i.reason, source=source),
            )
            for i in new
        ],
        actor_staff=staff,
        fulfil=True,
        now=now,
    )
    return CarrierEvent.objects.bulk_create(
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


def _stored(staff: StaffMember, external_ids: set[str]) -> dict[str, CarrierEvent]:
    """The events of these ids already stored for the staff's business: one query."""
    if not external_ids:
        return {}
    found = CarrierEvent.objects.filter(business_id=staff.business_id, external_id__in=external_ids)
    return {e.external_id: e for e in found}


def _deliveries_move(deliveries: dict[int, Delivery], items: list[_Item], now: datetime) -> None:
    """Each delivery's events (in the order given) folded by ``carrier_state_after`` from
    the locked row; the ones that moved written by one UPDATE (``deliveries_set_sql``)."""
    by_order: dict[int, list[_Item]] = {}
    for item in items:
        by_order.setdefault(item.order_id, []).append(item)
    rows: list[tuple[int, CarrierState]] = []
    for order_id, mine in by_order.items():
        d = deliveries.get(order_id)
        if d is None:
            continue
        state = CarrierState(d.status, d.last_carrier_at, d.problem_reason)
        moved = False
        for item in mine:
            effect = DELIVERY_EFFECT.get(item.code)
            after = (
                None if effect is None else carrier_state_after(state, effect, item.code, item.at)
            )
            if after is not None:
                state, moved = after, True
        if moved:
            rows.append((d.pk, state))
    if rows:
        sql, params = deliveries_set_sql(rows, now=now)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)


def _tracking_set(items: list[_Item], now: datetime) -> None:
    """The carrier and tracking number an event names, the latest per order: an UPDATE
    per order that names one (carriers send it once, with their first event)."""
    named: dict[int, _Item] = {}
    for item in items:
        if item.tracking_number or item.carrier:
            named[item.order_id] = item
    for order_id, item in named.items():
        fields: dict[str, Any] = {"updated_at": now}
        if item.carrier:
            fields["carrier"] = item.carrier
        if item.tracking_number:
            fields["tracking_number"] = item.tracking_number
        Delivery.objects.filter(order_id=order_id).update(**fields)

"""The reference for carrier ingest: one event at a time, written plainly with the ORM
(what ingest did one by one before it was set-based). The set-based implementation
(klantstuur.delivery.services.ingest) is tested against it; it shares no code with it
beyond the models, so a mistake in a rule there shows up as a difference here."""

from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max, Q

from klantstuur.businesses.models import StaffMember
from klantstuur.core.errors import NotFound
from klantstuur.delivery.models import CarrierEvent, Delivery
from klantstuur.delivery.services.ingest import Recorded
from klantstuur.needs.journal import record_event
from klantstuur.needs.models import EventKind
from klantstuur.orders.checkpoints import label
from klantstuur.orders.models import Checkpoint, Order

# The delivery status each code leads to, as written out before the vocabulary.
EFFECT = {
    "info_received": "in_transit",
    "in_transit": "in_transit",
    "handed_to_carrier": "in_transit",
    "out_for_delivery": "out_for_delivery",
    "attempt_failed": "attempt_failed",
    "exception": "exception",
    "available_for_pickup": "available_for_pickup",
    "delivered": "delivered",
}
FINAL = ("delivered", "cancelled")
BROKEN = ("attempt_failed", "exception")


def _checkpoint(
    order: Order, code: str, staff: StaffMember, at: datetime, location: str, note: str, data: Any
) -> Checkpoint:
    event = record_event(
        need=order.need,
        kind=EventKind.CHECKPOINT,
        actor_staff=staff,
        data={
            "order_id": order.pk,
            "code": code,
            "label": label(code),
            "line_id": None,
            "location": location,
            "note": note,
            **data,
        },
        at=at,
    )
    checkpoint = Checkpoint.objects.create(
        order=order, code=code, at=at, location=location[:200], note=note[:500], event=event
    )
    latest = Checkpoint.objects.filter(order=order).aggregate(m=Max("at"))["m"]
    if latest is None or at >= latest:
        Order.objects.filter(pk=order.pk).update(last_checkpoint=code)
    return checkpoint


def _move(order: Order, code: str, at: datetime, now: datetime) -> None:
    effect = EFFECT.get(code)
    if effect is not None:
        changes: dict[str, Any] = {"status": effect, "last_carrier_at": at, "updated_at": now}
        if effect in BROKEN:
            changes["problem_reason"] = code
        elif effect in ("delivered", "available_for_pickup"):
            changes["problem_reason"] = ""
        Delivery.objects.filter(order_id=order.pk).exclude(status__in=FINAL).filter(
            Q(last_carrier_at__isnull=True) | Q(last_carrier_at__lte=at)
        ).update(**changes)
    if code == "delivered" and order.status == "placed":
        Order.objects.filter(pk=order.pk, status="placed").update(status="fulfilled")


def record_one(
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
) -> Recorded:
    """One checked event in its own savepoint: checkpoint and journal event, carrier event,
    the delivery moved; a repeated event id is the stored event, again."""
    order = (
        Order.objects.select_related("need__customer")
        .filter(pk=order_id, business_id=staff.business_id)
        .first()
    )
    if order is None:
        raise NotFound("No such order.", field="order_id")
    try:
        with transaction.atomic():
            checkpoint = _checkpoint(
                order, code, staff, at, location, note, {"reason": reason, "source": source}
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
            _move(order, code, at, now)
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

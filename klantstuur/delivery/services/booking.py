"""Booking a delivery, changing it (the customer) and moving it (any cause), and freeing
its slot when the order is cancelled. Capacity is taken under each slot's limit."""

from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from klantstuur.businesses.models import Business, StaffMember
from klantstuur.core.errors import Conflict, Invalid, NotFound
from klantstuur.customers.models import Customer
from klantstuur.needs.events import internal_note
from klantstuur.needs.journal import record
from klantstuur.needs.models import Need
from klantstuur.orders.models import Order, OrderStatus

from ..events import Because, delivery_booked, delivery_moved, place_summary
from ..models import (
    CLOSED_STATUSES,
    FINAL_STATUSES,
    Delivery,
    DeliverySettings,
    DeliveryStatus,
    SlotLoad,
    can_transition,
)
from ..promise import stored_promise
from .options import local_text, slot_times, slots_still_possible
from .requests import Spec, delivery_request_parse, text_clean

# --- capacity --------------------------------------------------------------------------


def _keys(spec: Spec) -> list[tuple[str, int]]:
    keys = [(f"w{spec.window.pk}", spec.window.capacity)]
    if spec.pickup_point is not None:
        keys.append((f"p{spec.pickup_point.pk}", spec.pickup_point.capacity))
    return keys


def slot_take(business: Business, spec: Spec) -> None:
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
                options=slots_still_possible(business, timezone.now()),
            )


def slot_release(delivery: Delivery) -> None:
    keys = [f"w{delivery.promised_window_id}"]
    if delivery.pickup_point_id:
        keys.append(f"p{delivery.pickup_point_id}")
    SlotLoad.objects.filter(key__in=keys, date=delivery.promised_date, booked__gt=0).update(
        booked=F("booked") - 1
    )


# --- booking and changing -----------------------------------------------------------------


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
    choice: dict[str, Any],
    actor_staff: StaffMember | None = None,
    actor_customer: Customer | None = None,
    now: datetime | None = None,
) -> Delivery:
    """Book the chosen delivery for a new order (orders.fulfilment, inside order_place)."""
    now = now or timezone.now()
    business = order.business
    if order.customer_id is None:
        raise Invalid(_("Only a customer's order can be delivered."), field="delivery")
    with transaction.atomic():
        spec = delivery_request_parse(business, choice, now=now, prefix="delivery.")
        slot_take(business, spec)
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
        record(
            delivery_booked(order, delivery),
            need=order.need,
            actor_staff=actor_staff,
            actor_customer=actor_customer,
            at=now,
        )
    return delivery


def delivery_lock(order: Order) -> Delivery:
    found = (
        Delivery.objects.select_for_update(of=("self",))
        .filter(order_id=order.pk)
        .select_related("order__business", "order__need", "promised_window", "pickup_point")
        .first()
    )
    if found is None:
        raise NotFound(_("This order has no delivery to change."))
    return found


def delivery_need(delivery: Delivery) -> Need:
    """Where delivery events go: the problem's need while it is active, else the order's."""
    if delivery.problem_need_id:
        need = Need.objects.filter(pk=delivery.problem_need_id).first()
        if need is not None and need.is_active:
            return need
    return delivery.order.need


def delivery_move(
    delivery: Delivery,
    spec: Spec,
    *,
    now: datetime,
    actor_customer: Customer | None = None,
    actor_staff: StaffMember | None = None,
    because: Because | None = None,
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
        slot_take(delivery.order.business, spec)
        slot_release(delivery)
    _apply_spec(delivery, spec)
    if actor_customer is not None:
        delivery.requested_date = spec.day
        delivery.requested_window = spec.window
        delivery.requested_place = spec.place
    if can_transition(delivery.status, DeliveryStatus.SCHEDULED, "choice"):
        delivery.status = DeliveryStatus.SCHEDULED
    delivery.problem_reason = ""
    delivery.version += 1
    delivery.updated_at = now
    delivery.save()
    _set_promise(delivery.order, delivery, now)
    record(
        delivery_moved(delivery, before=before, because=because),
        need=delivery_need(delivery),
        actor_customer=actor_customer,
        actor_staff=actor_staff,
        at=now,
    )
    return True


def _fixed(delivery: Delivery, business: Business) -> Conflict:
    return Conflict(
        _(
            "The delivery of %(date)s %(window)s was fixed at %(cutoff)s. Still "
            "possible: a standing instruction for when you are not at home."
        )
        % {
            "date": delivery.promised_date.isoformat(),
            "window": delivery.promised_window.code,
            "cutoff": local_text(business, delivery.cutoff_at),
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


def still_possible(delivery: Delivery, *, allows_redirect: bool) -> list[dict[str, Any]]:
    """What the customer can still do once changes are closed: a neighbour or a pickup
    point through the carrier (when it allows redirecting), else a return once delivered."""
    order_id = delivery.order_id
    if delivery.status == DeliveryStatus.OUT_FOR_DELIVERY and allows_redirect:
        return [
            {
                "kind": "standing_instruction",
                "condition": "not_at_home",
                "actions": ["leave_with_neighbour", "deliver_to_pickup_point"],
                "path": "/api/v1/me/instructions",
            }
        ]
    if delivery.status in (DeliveryStatus.OUT_FOR_DELIVERY, DeliveryStatus.DELIVERED):
        return [
            {
                "kind": "return",
                "when": "delivered",
                "path": f"/api/v1/me/orders/{order_id}/returns",
            }
        ]
    return []


def closed_words(status: str) -> str:
    """Why changes are closed, kindly, in the reader's language."""
    if status == DeliveryStatus.OUT_FOR_DELIVERY:
        return _(
            "Your parcel is already on the van, so its date, time and place can no longer "
            "change. The driver brings it today."
        )
    if status == DeliveryStatus.DELIVERED:
        return _("Your parcel has been delivered, so its delivery can no longer change.")
    return _("This order is cancelled, so its delivery can no longer change.")


def _closed(delivery: Delivery, status: str) -> Conflict:
    settings = DeliverySettings.objects.filter(business_id=delivery.business_id).first()
    allows = bool(settings and settings.carrier_allows_redirect)
    return Conflict(
        closed_words(status),
        status=status,
        reason="changes_closed",
        options=still_possible(delivery, allows_redirect=allows),
    )


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
        delivery = delivery_lock(order)
        business = delivery.order.business
        if delivery.order.status == OrderStatus.CANCELLED:
            raise _closed(delivery, DeliveryStatus.CANCELLED)
        if delivery.status in CLOSED_STATUSES:
            raise _closed(delivery, delivery.status)
        if delivery.status in FINAL_STATUSES:
            raise Conflict(
                _("This delivery is %(status)s; it cannot change any more.")
                % {"status": delivery.get_status_display()},
                status=delivery.status,
            )
        if delivery.status == DeliveryStatus.AVAILABLE_FOR_PICKUP:
            raise Conflict(_("Your parcel is waiting at the pickup point."), status=delivery.status)
        if not delivery.needs_choice and now >= delivery.cutoff_at:
            raise _fixed(delivery, business)
        spec = delivery_request_parse(business, request, now=now, current=delivery)
        delivery_move(delivery, spec, now=now, actor_customer=customer)
    return delivery


def delivery_tracking_set(
    *, staff: StaffMember, order_id: int, carrier: Any, tracking_number: Any
) -> Delivery:
    """Staff name the carrier and its tracking number (when no carrier event did); the
    note for colleagues on the order's need, in the same transaction."""
    carrier = text_clean(carrier, field="carrier", max_len=100, required=False)
    number = text_clean(tracking_number, field="tracking_number", max_len=60)
    now = timezone.now()
    with transaction.atomic():
        found = (
            Delivery.objects.select_for_update(of=("self",))
            .select_related("order__need")
            .filter(order_id=order_id, business_id=staff.business_id)
            .first()
        )
        if found is None:
            raise NotFound(_("No such order, or it has no delivery."))
        found.tracking_number = number
        if carrier:
            found.carrier = carrier
        found.updated_at = now
        found.save(update_fields=["tracking_number", "carrier", "updated_at"])
        record(
            internal_note(
                _("Tracking number set: %(n)s (%(carrier)s)")
                % {"n": number, "carrier": found.carrier or "—"}
            ),
            need=found.order.need,
            actor_staff=staff,
            at=now,
        )
    return found


# --- the order cancelled ----------------------------------------------------------------


def delivery_lock_for_cancel(order: Order) -> None:
    """The delivery's row before the order's: the lock order of carrier ingest and changes."""
    list(Delivery.objects.select_for_update().filter(order_id=order.pk).values_list("pk"))


def delivery_cancel(order: Order, now: datetime) -> None:
    """Inside orders.cancel.order_cancel's transaction (orders.fulfilment): the slot is freed."""
    delivery = Delivery.objects.select_for_update(of=("self",)).filter(order_id=order.pk).first()
    if delivery is not None and can_transition(delivery.status, DeliveryStatus.CANCELLED, "cancel"):
        slot_release(delivery)
        Delivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.CANCELLED,
            problem_reason="",
            version=F("version") + 1,
            updated_at=now,
        )

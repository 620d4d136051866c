"""The exchange that follows a return (#14): once the items chosen for exchange arrive, a
new order for the same items and quantities, at no charge, serving the return's need,
with its own delivery booked in the first free slot to where the customer last asked for
the original (home, an address, a neighbour or a pickup point). The customer then steers
it like any order. Called by ``returns.return_arrived`` inside its transaction, after the
owner's authority has been checked (the replacement remedy), so it commits or rolls back
with the arrival: an arrival recorded twice places one order.
"""

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from klantstuur.businesses.models import StaffMember
from klantstuur.needs.events import internal_note
from klantstuur.needs.journal import record
from klantstuur.orders.exchange import order_exchange_place
from klantstuur.orders.models import LineStatus, Order, OrderLine

from .models import Delivery, PickupPoint, PlaceKind, ReturnLine, ReturnRequest
from .services.requests import slot_first_free


def _place_of(ret: ReturnRequest) -> tuple[str, dict[str, Any], PickupPoint | None]:
    """Where the customer last asked the original to go; home when that is gone."""
    original = Delivery.objects.filter(order_id=ret.order_id).first()
    place = dict(original.requested_place or {}) if original is not None else {}
    kind = place.get("kind", PlaceKind.HOME)
    if kind == PlaceKind.PICKUP_POINT:
        point = PickupPoint.objects.filter(
            business_id=ret.business_id, code=place.get("pickup_point", ""), active=True
        ).first()
        if point is not None:
            return kind, {"kind": kind, "pickup_point": point.code, "name": point.name}, point
        kind = PlaceKind.HOME
    if kind not in PlaceKind.values or kind == PlaceKind.HOME:
        return PlaceKind.HOME, {"kind": PlaceKind.HOME}, None
    return kind, place, None


def exchange_choice(ret: ReturnRequest) -> dict[str, Any] | None:
    """The delivery choice for the exchange order: the first free slot, or None."""
    kind, place, point = _place_of(ret)
    spec = slot_first_free(
        ret.order.business, place_kind=kind, place=place, point=point, now=timezone.now()
    )
    if spec is None:
        return None
    return {"date": spec.day.isoformat(), "window": spec.window.code, "place": spec.place}


def exchange_place(*, staff: StaffMember, ret: ReturnRequest) -> Order:
    """Place the exchange order for a locked, arriving return (once: the caller holds the
    return's row lock and checked it had not arrived) and link it to the return."""
    quantities = dict(ReturnLine.objects.filter(ret_id=ret.pk).values_list("line_id", "quantity"))
    if not quantities:  # a return from before #14 took back the whole order
        quantities = dict(
            OrderLine.objects.filter(order_id=ret.order_id)
            .exclude(status=LineStatus.CANCELLED)
            .values_list("pk", "quantity")
        )
    choice = exchange_choice(ret) if ret.order.customer_id else None
    order = order_exchange_place(
        original=ret.order,
        quantities=quantities,
        need=ret.need,
        return_id=ret.pk,
        actor_staff=staff,
        delivery=choice,
    )
    ReturnRequest.objects.filter(pk=ret.pk).update(exchange_order=order)
    if choice is None:
        record(
            internal_note(
                _(
                    "Exchange order #%(id)s has no delivery yet: no slot is free within the "
                    "horizon. Agree a date with the customer."
                )
                % {"id": order.pk}
            ),
            need=ret.need,
            actor_staff=staff,
        )
    return order

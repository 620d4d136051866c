"""An exchange order (#14): the same items again, at no charge, for items a customer sent
back to be exchanged. Placed by delivery's returns when the items arrive; it serves the
return's need (its events land there, its owner follows it) and names the original order
(``Order.exchange_of``). Like any order it is journaled (``order_placed`` with
``exchange_for``, the checkpoint ``order_received``) and, given a delivery choice, booked
through ``fulfilment`` in the same transaction, so the customer steers it like any order.
"""

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from klantstuur.businesses.models import StaffMember
from klantstuur.core.errors import Invalid
from klantstuur.needs.models import Need

from . import fulfilment
from .models import LineStatus, Order, OrderChannel, OrderLine
from .services import order_placed_record


@transaction.atomic
def order_exchange_place(
    *,
    original: Order,
    quantities: dict[int, int],
    need: Need,
    return_id: int,
    actor_staff: StaffMember,
    delivery: dict[str, Any] | None = None,
) -> Order:
    """A new order for ``quantities`` (original line id → how many) of the original's
    items, each line at no charge, serving ``need``; never more than the original line had."""
    lines = {
        ln.pk: ln
        for ln in OrderLine.objects.filter(order_id=original.pk, pk__in=quantities)
        .select_related("item")
        .order_by("id")
    }
    for line_id, qty in quantities.items():
        line = lines.get(line_id)
        if line is None or not 1 <= qty <= line.quantity:
            raise Invalid(_("Not an item of the original order."), field="lines")
    now = timezone.now()
    order = Order.objects.create(
        business_id=original.business_id,
        need=need,
        customer_id=original.customer_id,
        channel=OrderChannel.STAFF,
        created_by=actor_staff,
        created_at=now,
        updated_at=now,
        total_cents=0,
        exchange_of=original,
    )
    chosen = [lines[pk] for pk in sorted(quantities)]
    OrderLine.objects.bulk_create(
        [
            OrderLine(
                order=order,
                business_id=original.business_id,
                item_id=line.item_id,
                quantity=quantities[line.pk],
                modifiers=line.modifiers,
                course=line.course,
                station_id=line.station_id,
                price_cents=0,
                status=LineStatus.RECEIVED,
                created_at=now,
                fired_at=now,
            )
            for line in chosen
        ]
    )
    order_placed_record(
        order,
        lines=[
            {"item": ln.item.name, "quantity": quantities[ln.pk], "seat": None} for ln in chosen
        ],
        station_ids=sorted({ln.station_id for ln in chosen if ln.station_id}),
        held=[],
        actor_staff=actor_staff,
        actor_customer=None,
        now=now,
        exchange_for={"order_id": original.pk, "return_id": return_id},
    )
    if delivery is not None:
        fulfilment.order_placed_with_choice(
            order=order, choice=delivery, actor_staff=actor_staff, actor_customer=None
        )
    order.refresh_from_db()
    return order

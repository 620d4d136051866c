"""Cancelling an order: one service, atomic and journaled (checkpoint ``cancelled``).

Used by standing instructions ("cancel and refund", "no substitutes") and by staff.
Whoever fulfils the order (delivery: its slot) takes part in the same transaction
through ``fulfilment``: orders never import delivery.
"""

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from klantstuur.businesses.models import StaffMember
from klantstuur.core.errors import Conflict
from klantstuur.customers.models import Customer

from . import events, fulfilment
from .checkpoints import checkpoint_record
from .models import (
    CANCELLABLE_LINES,
    ORDER_TRANSITIONS,
    LineStatus,
    Order,
    OrderLine,
    OrderStatus,
)


def order_cancel(
    *,
    order: Order,
    reason: str,
    actor_staff: StaffMember | None = None,
    actor_customer: Customer | None = None,
    now: datetime | None = None,
) -> Order:
    """Cancel a placed order: lines not yet made, its delivery slot, a ``cancelled`` checkpoint.

    Cancelling a cancelled order changes nothing (it is returned as it is); a fulfilled
    order cannot be cancelled (409 — a return is the way back).
    """
    now = now or timezone.now()
    with transaction.atomic():
        # The fulfiller's rows first (the delivery, then the order: the lock order of
        # carrier ingest and delivery changes), or a carrier event could deadlock with us.
        fulfilment.order_cancelling(order)
        locked = (
            Order.objects.select_for_update(of=("self",))
            .select_related("need", "business")
            .filter(pk=order.pk)
            .first()
        )
        if locked is None or locked.status == OrderStatus.CANCELLED:
            return locked or order
        if (locked.status, OrderStatus.CANCELLED) not in ORDER_TRANSITIONS:
            raise Conflict(
                _("This order is %(status)s; it cannot be cancelled.")
                % {"status": locked.get_status_display()},
                status=locked.status,
            )
        OrderLine.objects.filter(order_id=locked.pk, status__in=CANCELLABLE_LINES).update(
            status=LineStatus.CANCELLED
        )
        fulfilment.order_cancelled(locked, now)
        Order.objects.filter(pk=locked.pk).update(status=OrderStatus.CANCELLED, updated_at=now)
        checkpoint_record(
            order=locked,
            code="cancelled",
            actor_staff=actor_staff,
            actor_customer=actor_customer,
            at=now,
            note=reason[:500],
            data=events.cancelled_detail(reason),
        )
    locked.refresh_from_db()
    return locked

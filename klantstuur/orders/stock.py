"""Out of stock: staff mark a line; the customer's standing instruction decides what follows.

``line_out_of_stock`` cancels the line (it will not come) and records the checkpoint
``exception`` with reason ``out_of_stock`` for that line, in one transaction. After the
commit the delivery's proactive reaction takes it up like any exception: it reuses or
opens a need with an owner and runs the customer's "out of stock" instructions
(substitutes none/similar, cancel and refund) before telling the customer.
"""

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from klantstuur.businesses.models import StaffMember
from klantstuur.core.errors import Conflict, Invalid, NotFound

from . import events
from .checkpoints import checkpoint_record
from .models import CANCELLABLE_LINES, OPEN_ORDERS, Checkpoint, LineStatus, OrderLine


def line_for_staff(*, staff: StaffMember, line_id: int) -> OrderLine:
    """Another business's line does not exist for this staff member (404)."""
    line = (
        OrderLine.objects.select_related("order__need", "order__business", "item")
        .filter(pk=line_id, business_id=staff.business_id)
        .first()
    )
    if line is None:
        raise NotFound(_("No such order line."))
    return line


def line_out_of_stock(
    *, staff: StaffMember, line: OrderLine, note: str = "", now: datetime | None = None
) -> Checkpoint:
    if line.business_id != staff.business_id:
        raise NotFound(_("No such order line."))
    note = (note or "").strip() if isinstance(note, str) else ""
    if len(note) > 500:
        raise Invalid(_("At most %(n)d characters.") % {"n": 500}, field="note")
    now = now or timezone.now()
    with transaction.atomic():
        locked = (
            OrderLine.objects.select_for_update(of=("self",))
            .select_related("order__need", "order__business", "item")
            .get(pk=line.pk)
        )
        order = locked.order
        if order.status not in OPEN_ORDERS:
            raise Conflict(
                _("This order is %(status)s.") % {"status": order.get_status_display()},
                field="line_id",
            )
        # Lines not yet made or sent: the out-of-stock line is cancelled.
        if locked.status not in CANCELLABLE_LINES:
            raise Conflict(
                _("This line is %(status)s; it cannot be reported out of stock.")
                % {"status": locked.get_status_display()},
                field="line_id",
                status=locked.status,
            )
        OrderLine.objects.filter(pk=locked.pk, status__in=CANCELLABLE_LINES).update(
            status=LineStatus.CANCELLED
        )
        return checkpoint_record(
            order=order,
            code="exception",
            line=locked,
            actor_staff=staff,
            at=now,
            note=note,
            data=events.out_of_stock_detail(locked),
        )

"""The end of a party's evening: payments, and what must be true before it may leave.

``payment_record`` takes money for the bill (per seat, per item, or any part of
it), journaled as ``payment_received``. ``close_out_check`` runs inside
``services.party_leave``: a party with lines still being made may leave only
when those lines are voided with a reason (``lines_voided``, every board that
showed one refreshes at once), and never while money is due (409).
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from klantstuur.businesses.models import Role, StaffMember
from klantstuur.core.errors import Conflict, Invalid, NotAllowed
from klantstuur.core.money import euro
from klantstuur.needs.journal import record
from klantstuur.orders.models import (
    FULFILLABLE_ORDERS,
    UNSERVED,
    LineStatus,
    Order,
    OrderLine,
    OrderStatus,
)

from . import events
from .bill import Bill, party_bill
from .models import AT_TABLE, Party, Payment, PaymentMethod

# Who takes money at the table.
TILL_ROLES = (Role.HOST, Role.MANAGER, Role.LEAD, Role.RUNNER)
MAX_PAYMENT = 1_000_000_00
MAX_REASON = 300


def _lock(party: Party) -> Party:
    return (
        Party.objects.select_for_update(of=("self",))
        .select_related("table", "need__owner")
        .get(pk=party.pk)
    )


def _check_targets(party: Party, seats: list[int], line_ids: list[int]) -> None:
    for n, seat in enumerate(seats):
        if not 1 <= seat <= party.table.seats:
            raise Invalid(
                _("Table %(table)s has seats 1 to %(n)d.")
                % {"table": party.table.number, "n": party.table.seats},
                field=f"seats.{n}",
            )
    if line_ids:
        found = set(
            OrderLine.objects.filter(order__party_id=party.pk, pk__in=line_ids).values_list(
                "pk", flat=True
            )
        )
        for n, line_id in enumerate(line_ids):
            if line_id not in found:
                raise Invalid(_("No such line on this bill."), field=f"line_ids.{n}")


@transaction.atomic
def payment_record(
    *,
    staff: StaffMember,
    party: Party,
    amount_cents: int,
    method: str,
    seats: list[int] | None = None,
    line_ids: list[int] | None = None,
    tip_cents: int = 0,
) -> Bill:
    """Money for the bill; more than is due is refused (409: a tip goes in ``tip_cents``)."""
    party = _lock(party)
    if party.business_id != staff.business_id:
        raise Invalid(_("No such party."), field="party_id")
    if staff.role not in TILL_ROLES:
        raise NotAllowed(_("Hosts, runners and managers take payments."))
    if party.status not in AT_TABLE:
        raise Conflict(_("This party has left."))
    if method not in PaymentMethod.values:
        raise Invalid(_("Card, cash or other."), field="method")
    if not 1 <= amount_cents <= MAX_PAYMENT:
        raise Invalid(_("Give an amount in cents, at least 1."), field="amount_cents")
    if not 0 <= tip_cents <= MAX_PAYMENT:
        raise Invalid(_("Give a tip in cents, 0 or more."), field="tip_cents")
    seats = sorted(set(seats or []))
    line_ids = sorted(set(line_ids or []))
    _check_targets(party, seats, line_ids)
    due = party_bill(party=party).due_cents
    if amount_cents > due:
        raise Conflict(
            _("Only %(due)s is due; a tip goes in the tip.") % {"due": euro(due, compact=True)},
            field="amount_cents",
            due_cents=due,
        )
    now = timezone.now()
    payment = Payment.objects.create(
        business_id=party.business_id,
        party=party,
        amount_cents=amount_cents,
        tip_cents=tip_cents,
        method=method,
        seats=seats,
        line_ids=line_ids,
        taken_by=staff,
        created_at=now,
    )
    record(
        events.payment_received(
            party=party,
            payment_id=payment.pk,
            amount=amount_cents,
            tip=tip_cents,
            method=method,
            seats=seats,
            line_ids=line_ids,
            due=due - amount_cents,
        ),
        need=party.need,
        actor_staff=staff,
        at=now,
    )
    return party_bill(party=party)


def open_lines(party: Party) -> list[OrderLine]:
    """The party's lines not yet at the table (held, on a board, on the pass)."""
    return list(
        OrderLine.objects.select_for_update(of=("self",))
        .select_related("item")
        .filter(order__party_id=party.pk, status__in=UNSERVED)
        .order_by("id")
    )


def close_out_check(
    *, staff: StaffMember, party: Party, void_open_lines: bool, reason: str
) -> None:
    """Inside ``party_leave``'s transaction, the party locked: void, then nothing due."""
    lines = open_lines(party)
    if lines and not void_open_lines:
        raise Conflict(
            _("%(n)d line(s) are still being made; void them (with a reason) to close.")
            % {"n": len(lines)},
            field="void_open_lines",
            open_lines=[x.pk for x in lines],
        )
    if lines:
        reason = (reason or "").strip()
        if not reason or len(reason) > MAX_REASON:
            raise Invalid(
                _("Say why the open lines are voided (at most %(n)d characters).")
                % {"n": MAX_REASON},
                field="reason",
            )
        _void(staff=staff, party=party, lines=lines, reason=reason)
    due = party_bill(party=party).due_cents
    if due > 0:
        raise Conflict(
            _("%(due)s is still due: take the payment first.") % {"due": euro(due, compact=True)},
            field="due_cents",
            due_cents=due,
        )


def _void(*, staff: StaffMember, party: Party, lines: list[OrderLine], reason: str) -> None:
    """Off every board and off the bill, in one journal event."""
    now = timezone.now()
    OrderLine.objects.filter(pk__in=[x.pk for x in lines]).update(status=LineStatus.CANCELLED)
    for line in lines:
        line.status = LineStatus.CANCELLED
    order_ids = {x.order_id for x in lines}
    for order_id in order_ids:
        if not OrderLine.objects.filter(order_id=order_id, status__in=UNSERVED).exists():
            served = OrderLine.objects.filter(order_id=order_id, status=LineStatus.SERVED).exists()
            Order.objects.filter(pk=order_id, status__in=FULFILLABLE_ORDERS).update(
                status=OrderStatus.FULFILLED if served else OrderStatus.CANCELLED,
                updated_at=now,
            )
    record(
        events.lines_voided(party=party, lines=lines, reason=reason),
        need=party.need,
        actor_staff=staff,
        at=now,
    )

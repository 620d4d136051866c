"""A party's bill, read: its lines, the subtotal of each seat, what is paid and due.

The bill is never stored (ADR 0013): it is the party's order lines (price ×
quantity; a voided line counts nothing) and the payments received, each
payment allocated in the order it was made — first to what it names (its
seats or its lines), what is left of it to the rest of the bill. Two queries.
"""

from dataclasses import dataclass, field
from typing import Any

from django.db.models import F

from klantstuur.orders.models import LineStatus, OrderLine

from .models import Party, Payment

# The seat of the lines that belong to no one seat (a jug of water, a shared plate).
SHARED = None


@dataclass
class BillLine:
    line_id: int
    item: str
    seat: int | None
    quantity: int
    amount_cents: int
    status: str
    course: str
    paid_cents: int = 0

    @property
    def due_cents(self) -> int:
        return self.amount_cents - self.paid_cents


@dataclass
class SeatTotal:
    seat: int | None
    amount_cents: int = 0
    paid_cents: int = 0

    @property
    def due_cents(self) -> int:
        return self.amount_cents - self.paid_cents


@dataclass
class Bill:
    lines: list[BillLine]
    seats: list[SeatTotal]
    payments: list[Payment] = field(default_factory=list)
    total_cents: int = 0
    paid_cents: int = 0
    tip_cents: int = 0

    @property
    def due_cents(self) -> int:
        return max(self.total_cents - self.paid_cents, 0)

    def as_json(self) -> dict[str, Any]:
        """API.md, "Floor: the bill and the close-out" (plus each seat's paid and due)."""
        return {
            "lines": [
                {
                    "line_id": x.line_id,
                    "item": x.item,
                    "seat": x.seat,
                    "quantity": x.quantity,
                    "amount_cents": x.amount_cents,
                    "status": x.status,
                    "course": x.course,
                    "paid_cents": x.paid_cents,
                }
                for x in self.lines
            ],
            "seats": [
                {
                    "seat": s.seat,
                    "amount_cents": s.amount_cents,
                    "paid_cents": s.paid_cents,
                    "due_cents": s.due_cents,
                }
                for s in self.seats
            ],
            "total_cents": self.total_cents,
            "paid_cents": self.paid_cents,
            "due_cents": self.due_cents,
            "tip_cents": self.tip_cents,
            "payments": [
                {
                    "id": p.pk,
                    "amount_cents": p.amount_cents,
                    "tip_cents": p.tip_cents,
                    "method": p.method,
                    "seats": p.seats,
                    "line_ids": p.line_ids,
                    "at": p.created_at,
                }
                for p in self.payments
            ],
        }


def line_amount(line: OrderLine) -> int:
    if line.status == LineStatus.CANCELLED:
        return 0
    return line.price_cents * line.quantity


def _allocate(amount: int, targets: list[BillLine]) -> int:
    """Pay ``targets`` in their order up to what each still owes; what is left over."""
    for line in targets:
        if amount <= 0:
            break
        take = min(amount, line.due_cents)
        if take > 0:
            line.paid_cents += take
            amount -= take
    return amount


def compute(lines: list[OrderLine], payments: list[Payment]) -> Bill:
    """The rule, in Python (``party_bill`` reads the rows and calls this)."""
    rows = [
        BillLine(
            line_id=x.pk,
            item=x.item.name,
            seat=x.seat,
            quantity=x.quantity,
            amount_cents=line_amount(x),
            status=x.status,
            course=x.course,
        )
        for x in lines
    ]
    paid = 0
    tips = 0
    for payment in payments:
        named_lines = set(payment.line_ids or [])
        named_seats = set(payment.seats or [])
        if named_lines:
            targets = [x for x in rows if x.line_id in named_lines]
        elif named_seats:
            targets = [x for x in rows if x.seat in named_seats]
        else:
            targets = rows
        rest = _allocate(payment.amount_cents, targets)
        _allocate(rest, rows)
        paid += payment.amount_cents
        tips += payment.tip_cents
    seats: dict[int | None, SeatTotal] = {}
    for row in sorted(rows, key=lambda x: (x.seat is None, x.seat or 0)):
        total = seats.setdefault(row.seat, SeatTotal(seat=row.seat))
        total.amount_cents += row.amount_cents
        total.paid_cents += row.paid_cents
    return Bill(
        lines=rows,
        seats=list(seats.values()),
        payments=payments,
        total_cents=sum(x.amount_cents for x in rows),
        paid_cents=paid,
        tip_cents=tips,
    )


def _bill_order(line: OrderLine) -> tuple[bool, int, int]:
    """The query's order below (seat, the shared lines last, then id), in Python."""
    return (line.seat is None, line.seat or 0, line.pk)


def party_bill(*, party: Party, lines: list[OrderLine] | None = None) -> Bill:
    """The party's running check (two queries). ``lines``: all the party's lines with their
    items, when the caller has read them already (the guest page): one query then."""
    if lines is None:
        lines = list(
            OrderLine.objects.select_related("item")
            .filter(order__party_id=party.pk)
            .order_by(F("seat").asc(nulls_last=True), "id")
        )
    else:
        lines = sorted(lines, key=_bill_order)
    payments = list(Payment.objects.filter(party_id=party.pk).order_by("created_at", "id"))
    return compute(lines, payments)

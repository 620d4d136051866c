"""Checkpoints: one typed vocabulary, and the one recorder of checkpoints.

A checkpoint code is one member of ``CheckpointCode``: its label (Dutch and English),
who may report it, the delivery status it moves a delivery to, whether it fulfils the
order and whether it is a delivery problem. Adding a code is adding one member; the
sets below are derived from it.

Recording: ``checkpoints_record_many`` writes any number of checkpoints in a few
statements whatever their number; ``checkpoint_record`` is it for one.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from django.db import connection
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from klantstuur.businesses.models import StaffMember
from klantstuur.core.errors import Invalid
from klantstuur.customers.models import Customer
from klantstuur.needs.journal import journal_entry, record_events
from klantstuur.needs.models import JournalEvent

from . import events
from .events import CheckpointDetail
from .models import Checkpoint, Order, OrderLine
from .queries import CheckpointRow, checkpoints_apply_sql


@dataclass(frozen=True)
class Meaning:
    """What a checkpoint code means beyond its label."""

    label: Promise
    # Who may report it besides the system itself: "carrier", "shop" or both.
    carrier: bool = False
    shop: bool = False
    # The delivery status (klantstuur.delivery.models.DeliveryStatus) it moves a delivery to.
    moves_delivery_to: str = ""
    # A placed order it is recorded for (by carrier ingest) is fulfilled.
    fulfils: bool = False
    # The customer has it (or can fetch it): the order's promise is kept at this moment,
    # and its delivery can be rated.
    keeps_promise: bool = False
    # A delivery problem: taken up at once (owner, standing instructions, the customer told).
    problem: bool = False


class CheckpointCode(StrEnum):
    """Every checkpoint code, in the order the lists below show them."""

    meaning: Meaning

    def __new__(cls, code: str, meaning: Meaning) -> "CheckpointCode":
        member = str.__new__(cls, code)
        member._value_ = code
        member.meaning = meaning
        return member

    # restaurant
    ORDER_RECEIVED = "order_received", Meaning(_("Order received"))
    COURSE_FIRED = "course_fired", Meaning(_("Course sent to the kitchen"))
    LINE_IN_PROGRESS = "line_in_progress", Meaning(_("Being made"))
    LINE_READY = "line_ready", Meaning(_("Ready"))
    LINE_RECALLED = "line_recalled", Meaning(_("Back on the board"))
    LINE_ON_ITS_WAY = "line_on_its_way", Meaning(_("On its way to your table"))
    LINE_SERVED = "line_served", Meaning(_("Served"))
    WRONG_DELIVERY_PREVENTED = "wrong_delivery_prevented", Meaning(_("Wrong table prevented"))
    # The right table, the wrong guest at it (issue #13: it was recorded as a wrong table).
    WRONG_SEAT_PREVENTED = "wrong_seat_prevented", Meaning(_("Wrong seat prevented"))
    BILL_REQUESTED = "bill_requested", Meaning(_("Bill requested"))
    # shop and carrier
    PICKED = "picked", Meaning(_("Picked in the warehouse"), shop=True)
    PACKED = "packed", Meaning(_("Packed"), shop=True)
    HANDED_TO_CARRIER = (
        "handed_to_carrier",
        Meaning(_("Handed to the carrier"), shop=True, moves_delivery_to="in_transit"),
    )
    INFO_RECEIVED = (
        "info_received",
        Meaning(_("Carrier has the details"), carrier=True, moves_delivery_to="in_transit"),
    )
    IN_TRANSIT = (
        "in_transit",
        Meaning(_("On its way"), carrier=True, moves_delivery_to="in_transit"),
    )
    OUT_FOR_DELIVERY = (
        "out_for_delivery",
        Meaning(_("Out for delivery"), carrier=True, moves_delivery_to="out_for_delivery"),
    )
    ATTEMPT_FAILED = (
        "attempt_failed",
        Meaning(
            _("Delivery attempt failed"),
            carrier=True,
            moves_delivery_to="attempt_failed",
            problem=True,
        ),
    )
    DELIVERED = (
        "delivered",
        Meaning(
            _("Delivered"),
            carrier=True,
            moves_delivery_to="delivered",
            fulfils=True,
            keeps_promise=True,
        ),
    )
    AVAILABLE_FOR_PICKUP = (
        "available_for_pickup",
        Meaning(
            _("Ready at the pickup point"),
            carrier=True,
            moves_delivery_to="available_for_pickup",
            keeps_promise=True,
        ),
    )
    EXCEPTION = (
        "exception",
        Meaning(
            _("Problem in delivery"),
            carrier=True,
            shop=True,
            moves_delivery_to="exception",
            problem=True,
        ),
    )
    DELIVERY_CHANGED = "delivery_changed", Meaning(_("Delivery changed"))
    CANCELLED = "cancelled", Meaning(_("Cancelled"))


def _codes(test: Any) -> tuple[str, ...]:
    return tuple(c.value for c in CheckpointCode if test(c.meaning))


_BY_CODE: dict[str, CheckpointCode] = {c.value: c for c in CheckpointCode}
LABELS: dict[str, Promise] = {c.value: c.meaning.label for c in CheckpointCode}
# What a carrier may report (API and webhook).
CARRIER_CODES = _codes(lambda m: m.carrier)
# The shop's own scans; with the shop's exception (out of stock): what the shop may report.
SHOP_SCAN_CODES = _codes(lambda m: m.shop and not m.carrier)
SHOP_REPORTABLE_CODES = _codes(lambda m: m.shop)
# The customer has the order: its promise is kept (metrics) and its delivery rated (feedback).
PROMISE_KEPT_CODES = _codes(lambda m: m.keeps_promise)
# Taken up at once as a delivery problem.
PROBLEM_CODES = _codes(lambda m: m.problem)
# The delivery status each code moves a delivery to.
DELIVERY_EFFECT: dict[str, str] = {
    c.value: c.meaning.moves_delivery_to for c in CheckpointCode if c.meaning.moves_delivery_to
}


def label(code: str) -> str:
    return str(LABELS.get(code, code))


def fulfils(code: str) -> bool:
    """Whether recording this checkpoint (by carrier ingest) fulfils a placed order."""
    member = _BY_CODE.get(code)
    return member is not None and member.meaning.fulfils


# --- recording ----------------------------------------------------------------------------


@dataclass(frozen=True)
class NewCheckpoint:
    """One checkpoint for ``checkpoints_record_many``."""

    order: Order
    code: str
    at: datetime
    line: OrderLine | None = None
    location: str = ""
    note: str = ""
    data: CheckpointDetail = field(default_factory=CheckpointDetail)


def checkpoint_record(
    *,
    order: Order,
    code: str,
    actor_staff: StaffMember | None = None,
    actor_customer: Customer | None = None,
    line: OrderLine | None = None,
    at: datetime | None = None,
    location: str = "",
    note: str = "",
    data: CheckpointDetail | None = None,
) -> Checkpoint:
    """Record a checkpoint and its journal event; call inside the change's transaction."""
    (checkpoint,) = checkpoints_record_many(
        checkpoints=[
            NewCheckpoint(
                order=order,
                code=code,
                at=at or timezone.now(),
                line=line,
                location=location,
                note=note,
                data=data or {},
            )
        ],
        actor_staff=actor_staff,
        actor_customer=actor_customer,
    )
    return checkpoint


def checkpoints_record_many(
    *,
    checkpoints: Sequence[NewCheckpoint],
    actor_staff: StaffMember | None = None,
    actor_customer: Customer | None = None,
    fulfil: bool = False,
    now: datetime | None = None,
) -> list[Checkpoint]:
    """Record checkpoints as if one by one in the order given: one INSERT of their journal
    events (one reaction dispatch after the commit), one INSERT of the checkpoints, one
    UPDATE of their orders (``queries.checkpoints_apply_sql``: each order's latest
    checkpoint, and with ``fulfil`` — carrier ingest — the fulfilment rule).

    Call inside the change's transaction (the orders locked, for many).
    """
    if not checkpoints:
        return []
    for c in checkpoints:
        if c.code not in LABELS:
            raise Invalid(gettext("Unknown checkpoint."), field="status")
    now = now or timezone.now()
    journal = record_events(
        [
            _journal_entry(c, actor_staff=actor_staff, actor_customer=actor_customer)
            for c in checkpoints
        ]
    )
    created = Checkpoint.objects.bulk_create(
        [
            Checkpoint(
                order=c.order,
                line=c.line,
                code=c.code,
                at=c.at,
                location=c.location[:200],
                note=c.note[:500],
                event=event,
            )
            for c, event in zip(checkpoints, journal, strict=True)
        ]
    )
    sql, params = checkpoints_apply_sql(_rows(checkpoints, fulfil=fulfil), now=now)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
    return created


def _journal_entry(
    c: NewCheckpoint, *, actor_staff: StaffMember | None, actor_customer: Customer | None
) -> JournalEvent:
    """The checkpoint's journal event (``events.checkpoint``), not saved yet."""
    entry = events.checkpoint(
        order=c.order,
        code=c.code,
        label=label(c.code),
        line=c.line,
        location=c.location,
        note=c.note,
        detail=c.data,
    )
    return journal_entry(
        need=c.order.need,
        kind=entry.kind,
        actor_staff=actor_staff,
        actor_customer=actor_customer,
        data=dict(entry.data),
        at=c.at,
    )


def _rows(checkpoints: Sequence[NewCheckpoint], *, fulfil: bool) -> list[CheckpointRow]:
    """Per order: its newest new checkpoint (the last given among equal times), and
    whether any of its new checkpoints fulfils it."""
    newest: dict[int, NewCheckpoint] = {}
    fulfilling: set[int] = set()
    for c in checkpoints:
        seen = newest.get(c.order.pk)
        if seen is None or c.at >= seen.at:
            newest[c.order.pk] = c
        if fulfil and fulfils(c.code):
            fulfilling.add(c.order.pk)
    return [
        CheckpointRow(order_id=pk, code=c.code, at=c.at, fulfils=pk in fulfilling)
        for pk, c in sorted(newest.items())
    ]

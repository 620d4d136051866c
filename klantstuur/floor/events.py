"""What the floor's journal events say: one constructor per kind, one payload type.

The pattern of ``klantstuur.needs.events`` (see there). The floor also adds its party,
table and seat to the checkpoints of the lines it carries (``line_detail``), and writes
needs' own kinds (the party's need opened, "the host is at your table") with needs'
constructors.
"""

from typing import NotRequired, TypedDict

from klantstuur.businesses.models import StaffMember
from klantstuur.needs.events import Entry, Person, person
from klantstuur.needs.models import EventKind
from klantstuur.orders.events import CheckpointDetail
from klantstuur.orders.models import Order, OrderLine

from .models import Party


class PartySeated(TypedDict):
    party_id: int
    table: str
    seats: int
    owner: Person
    self_check_in: bool


class HostCalled(TypedDict):
    party_id: int
    table: str
    reason: str
    # A second phone asks to join the table (``party_ask_to_join``).
    join: NotRequired[bool]
    owner: Person


class AtTable(TypedDict):
    """``bill_requested`` and ``party_left``: which party, at which table."""

    party_id: int
    table: str


class PaymentReceived(TypedDict):
    party_id: int
    table: str
    payment_id: int
    amount_cents: int
    tip_cents: int
    method: str
    seats: list[int]
    line_ids: list[int]
    due_cents: int


class LinesVoided(TypedDict):
    """Open lines taken off at the close-out: every board that showed one refreshes."""

    party_id: int
    table: str
    line_ids: list[int]
    items: list[str]
    station_ids: list[int]
    reason: str


class WrongDeliveryPrevented(TypedDict):
    """An alert (``reason: "wrong_delivery_prevented"``) to the owner of the party's need."""

    party_id: int | None
    station_ids: list[int]
    table: str | None
    seat: int | None
    item: str
    status: str
    line_id: int
    order_id: int
    tried_table: str
    tried_seat: int | None
    runner: str
    message: str
    reason: str


def party_seated(*, party: Party, owner: StaffMember, self_check_in: bool) -> Entry[PartySeated]:
    data: PartySeated = {
        "party_id": party.pk,
        "table": party.table.number,
        "seats": party.seats,
        "owner": person(owner),
        "self_check_in": self_check_in,
    }
    return Entry(EventKind.PARTY_SEATED, data)


def host_called(*, party: Party, reason: str, join: bool = False) -> Entry[HostCalled]:
    owner: Person = {"id": party.need.owner_id, "name": party.need.owner.name}
    data: HostCalled
    if join:
        data = {
            "party_id": party.pk,
            "table": party.table.number,
            "reason": reason,
            "join": True,
            "owner": owner,
        }
    else:
        data = {"party_id": party.pk, "table": party.table.number, "reason": reason, "owner": owner}
    return Entry(EventKind.HOST_CALLED, data)


def bill_requested(party: Party) -> Entry[AtTable]:
    return Entry(EventKind.BILL_REQUESTED, {"party_id": party.pk, "table": party.table.number})


def party_left(party: Party) -> Entry[AtTable]:
    return Entry(EventKind.PARTY_LEFT, {"party_id": party.pk, "table": party.table.number})


def payment_received(
    *,
    party: Party,
    payment_id: int,
    amount: int,
    tip: int,
    method: str,
    seats: list[int],
    line_ids: list[int],
    due: int,
) -> Entry[PaymentReceived]:
    data: PaymentReceived = {
        "party_id": party.pk,
        "table": party.table.number,
        "payment_id": payment_id,
        "amount_cents": amount,
        "tip_cents": tip,
        "method": method,
        "seats": seats,
        "line_ids": line_ids,
        "due_cents": due,
    }
    return Entry(EventKind.PAYMENT_RECEIVED, data)


def lines_voided(*, party: Party, lines: list[OrderLine], reason: str) -> Entry[LinesVoided]:
    data: LinesVoided = {
        "party_id": party.pk,
        "table": party.table.number,
        "line_ids": [x.pk for x in lines],
        "items": [f"{x.quantity}× {x.item.name}" for x in lines],
        "station_ids": sorted({x.station_id for x in lines if x.station_id}),
        "reason": reason,
    }
    return Entry(EventKind.LINES_VOIDED, data)


# --- what the floor adds to the checkpoints of its lines -----------------------------------


def line_detail(
    line: OrderLine, *, runner: str | None = None, station_screen: bool = True
) -> CheckpointDetail:
    """A line's step (kitchen or runner): its party, table, seat and station, its new status.

    ``station_screen``: whether the step changes the station's board, which then refetches
    (``station_ids``); a plate served after it was picked up had left that board already.
    """
    party = line.order.party
    detail: CheckpointDetail = {
        "party_id": party.pk if party else None,
        "station_ids": [line.station_id] if line.station_id and station_screen else [],
        "table": party.table.number if party else None,
        "seat": line.seat,
        "item": line.item.name,
        "status": line.status,
    }
    if runner is not None:
        detail["runner"] = runner
    return detail


def course_fired_detail(order: Order, *, course: str, lines: list[OrderLine]) -> CheckpointDetail:
    """A held course sent to the stations: the stations whose screens show it, its lines."""
    return {
        "party_id": order.party_id,
        "station_ids": sorted({x.station_id for x in lines if x.station_id}),
        "course": course,
        "line_ids": [x.pk for x in lines],
    }


def wrong_delivery_detail(
    line: OrderLine, *, tried_table: str, tried_seat: int | None, runner: str, message: str
) -> CheckpointDetail:
    """The checkpoint ``wrong_delivery_prevented``: where the plate was about to go."""
    detail = line_detail(line)
    detail["tried_table"] = tried_table
    detail["tried_seat"] = tried_seat
    detail["runner"] = runner
    detail["message"] = message
    return detail


def wrong_delivery_prevented(
    line: OrderLine, *, tried_table: str, tried_seat: int | None, runner: str, message: str
) -> Entry[WrongDeliveryPrevented]:
    d = line_detail(line)
    data: WrongDeliveryPrevented = {
        "party_id": d["party_id"],
        "station_ids": d["station_ids"],
        "table": d["table"],
        "seat": d["seat"],
        "item": d["item"],
        "status": d["status"],
        "line_id": line.pk,
        "order_id": line.order_id,
        "tried_table": tried_table,
        "tried_seat": tried_seat,
        "runner": runner,
        "message": message,
        "reason": "wrong_delivery_prevented",
    }
    return Entry(EventKind.ALERT, data)

"""What orders' journal events say: one constructor per kind, one payload type.

The pattern of ``klantstuur.needs.events``: a service builds its event here and writes
it with ``journal.record`` (checkpoints: ``journal_entry`` in one batch); a reaction
reads ``event.data`` as the payload type of its kind (``cast(Checkpoint, event.data)``).
The stored JSON is exactly the payload: these types describe the shapes, they do not
change them (``tests/platform/test_events_shapes.py`` pins them).
"""

from datetime import datetime
from typing import Any, NotRequired, TypedDict, cast

from klantstuur.needs.events import Entry
from klantstuur.needs.models import EventKind

from .models import Order, OrderLine


class CheckpointDetail(TypedDict, total=False):
    """What the writer of a checkpoint adds after its fixed keys (``Checkpoint``)."""

    # The floor: the party, its table and seat, the station's screens to refresh.
    party_id: int | None
    station_ids: list[int]
    table: str | None
    seat: int | None
    item: str
    status: str
    runner: str
    course: str
    line_ids: list[int]
    # A wrong delivery prevented: where the plate was about to go, and why not.
    tried_table: str
    tried_seat: int | None
    message: str
    # A carrier's or the shop's report (``detail``: "not_at_home", "out_of_stock"), or
    # the reason an order was cancelled.
    reason: str
    source: str
    quantity: int


class Checkpoint(CheckpointDetail):
    order_id: int
    code: str
    label: str
    line_id: int | None
    location: str
    note: str


class PlacedLine(TypedDict):
    item: str
    quantity: int
    seat: int | None


class ExchangeFor(TypedDict):
    """An exchange order: the original order and the return whose items it sends again."""

    order_id: int
    return_id: int


class OrderPlaced(TypedDict):
    order_id: int
    lines: list[PlacedLine]
    total_cents: int
    promised_at: str | None
    party_id: int | None
    station_ids: list[int]
    held: list[str]
    # Since #14: an exchange order (at no charge) for a return.
    exchange_for: NotRequired[ExchangeFor]


class LineLate(TypedDict):
    """An alert (``reason: "late"``): a line at its station will miss its promise."""

    reason: str
    order_id: int
    line_id: int
    item: str
    seat: int | None
    table: str | None
    party_id: int | None
    station_ids: list[int | None]
    was: str | None
    promised_at: str


def checkpoint(
    *,
    order: Order,
    code: str,
    label: str,
    line: OrderLine | None,
    location: str,
    note: str,
    detail: CheckpointDetail,
) -> Entry[Checkpoint]:
    data: dict[str, Any] = {
        "order_id": order.pk,
        "code": code,
        "label": label,
        "line_id": line.pk if line else None,
        "location": location,
        "note": note,
        **detail,
    }
    return Entry(EventKind.CHECKPOINT, cast(Checkpoint, data))


def order_placed(
    *,
    order: Order,
    lines: list[PlacedLine],
    station_ids: list[int],
    held: list[str],
    exchange_for: ExchangeFor | None = None,
) -> Entry[OrderPlaced]:
    data: OrderPlaced = {
        "order_id": order.pk,
        "lines": lines,
        "total_cents": order.total_cents,
        "promised_at": order.promised_at.isoformat() if order.promised_at else None,
        "party_id": order.party_id,
        "station_ids": station_ids,
        "held": held,
    }
    if exchange_for is not None:
        data["exchange_for"] = exchange_for
    return Entry(EventKind.ORDER_PLACED, data)


def line_late(*, line: OrderLine, was: datetime | None, promised_at: datetime) -> Entry[LineLate]:
    party = line.order.party
    data: LineLate = {
        "reason": "late",
        "order_id": line.order.pk,
        "line_id": line.pk,
        "item": line.item.name,
        "seat": line.seat,
        "table": party.table.number if party else None,
        "party_id": party.pk if party else None,
        "station_ids": [line.station_id],
        "was": was.isoformat() if was else None,
        "promised_at": promised_at.isoformat(),
    }
    return Entry(EventKind.ALERT, data)


# --- what orders add to their checkpoints --------------------------------------------------


def placed_detail(order: Order, station_ids: list[int]) -> CheckpointDetail:
    """``order_received``: the party and the stations whose screens show the new order."""
    return {"party_id": order.party_id, "station_ids": station_ids}


def cancelled_detail(reason: str) -> CheckpointDetail:
    return {"reason": reason[:200]}


def out_of_stock_detail(line: OrderLine) -> CheckpointDetail:
    """The shop's exception: this line is not in stock."""
    return {
        "reason": "out_of_stock",
        "source": "shop",
        "item": line.item.name,
        "quantity": line.quantity,
    }

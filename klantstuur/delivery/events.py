"""What delivery's journal events say: one constructor per kind, one payload type.

The pattern of ``klantstuur.needs.events`` (see there): bookings and moves, the alert of
a delivery problem, returns, standing instructions, and what a carrier's report adds to
its checkpoint. A note for the owner is needs' ``internal_note``.
"""

from typing import Any, NotRequired, TypedDict

from klantstuur.needs.events import Entry, Person
from klantstuur.needs.models import EventKind, Need
from klantstuur.orders.events import CheckpointDetail
from klantstuur.orders.models import Order

from .models import Delivery, ReturnRequest
from .promise import stored_promise


class Place(TypedDict):
    """Where and when: the promised day, window and place."""

    date: str
    window: str
    place: dict[str, Any]


class Because(TypedDict):
    """The standing instruction that moved a delivery."""

    instruction_id: int
    text: str


class DeliveryBooked(TypedDict):
    order_id: int
    booked: bool
    requested: Place
    promised: Place
    promise: str
    cutoff: str


class DeliveryMoved(TypedDict):
    order_id: int
    before: Place
    after: Place
    promise: str
    cutoff: str
    because: NotRequired[Because]


class DeliveryProblem(TypedDict):
    """An alert: a delivery problem taken up (the carrier's code or a missed window)."""

    order_id: int
    reason: str
    detail: str
    note: str
    choices: list[str]
    done_for_you: list[str]
    promise: str
    promised: Place
    owner: Person


class ReturnedLine(TypedDict):
    line_id: int
    quantity: int


class ReturnStarted(TypedDict):
    order_id: int
    return_id: int
    method: str
    pickup_point: str | None
    reason: str
    # Since #14: what goes back, why (the business's reason code), and what follows.
    lines: NotRequired[list[ReturnedLine]]
    reason_code: NotRequired[str]
    outcome: NotRequired[str]
    label_code: NotRequired[str]


class ReturnArrived(TypedDict):
    order_id: int
    return_id: int
    # Since #14: for an exchange, the new order for the same items.
    exchange_order_id: NotRequired[int]


class InstructionSet(TypedDict):
    instruction_id: int
    set: str


class InstructionRemoved(TypedDict):
    instruction_id: int
    removed: str


class InstructionCarriedOut(TypedDict):
    order_id: int
    instruction_id: int
    condition: str
    action: str
    because: str
    result: str


def place_summary(delivery: Delivery) -> Place:
    return {
        "date": delivery.promised_date.isoformat(),
        "window": delivery.promised_window.code,
        "place": delivery.promised_place,
    }


def delivery_booked(order: Order, delivery: Delivery) -> Entry[DeliveryBooked]:
    data: DeliveryBooked = {
        "order_id": order.pk,
        "booked": True,
        "requested": place_summary(delivery),
        "promised": place_summary(delivery),
        "promise": stored_promise(delivery),
        "cutoff": delivery.cutoff_at.isoformat(),
    }
    return Entry(EventKind.DELIVERY_CHANGED, data)


def delivery_moved(
    delivery: Delivery, *, before: Place, because: Because | None
) -> Entry[DeliveryMoved]:
    data: DeliveryMoved = {
        "order_id": delivery.order_id,
        "before": before,
        "after": place_summary(delivery),
        "promise": stored_promise(delivery),
        "cutoff": delivery.cutoff_at.isoformat(),
    }
    if because:
        data["because"] = because
    return Entry(EventKind.DELIVERY_CHANGED, data)


def delivery_problem(
    delivery: Delivery,
    *,
    need: Need,
    reason: str,
    detail: str,
    note: str,
    choices: list[str],
    done_for_you: list[str],
) -> Entry[DeliveryProblem]:
    data: DeliveryProblem = {
        "order_id": delivery.order_id,
        "reason": reason,
        "detail": detail,
        "note": note,
        "choices": choices,
        "done_for_you": done_for_you,
        "promise": delivery.order.promise_text,
        "promised": place_summary(delivery),
        "owner": {"id": need.owner_id, "name": need.owner.name},
    }
    return Entry(EventKind.ALERT, data)


def return_started(ret: ReturnRequest, *, lines: dict[int, int]) -> Entry[ReturnStarted]:
    data: ReturnStarted = {
        "order_id": ret.order_id,
        "return_id": ret.pk,
        "method": ret.method,
        "pickup_point": ret.pickup_point.name if ret.pickup_point else None,
        "reason": ret.reason,
        "lines": [{"line_id": pk, "quantity": q} for pk, q in lines.items()],
        "reason_code": ret.reason_code,
        "outcome": ret.outcome,
        "label_code": ret.label_code,
    }
    return Entry(EventKind.RETURN_STARTED, data)


def return_arrived(
    ret: ReturnRequest, *, exchange_order_id: int | None = None
) -> Entry[ReturnArrived]:
    data: ReturnArrived = {"order_id": ret.order_id, "return_id": ret.pk}
    if exchange_order_id is not None:
        data["exchange_order_id"] = exchange_order_id
    return Entry(EventKind.RETURN_ARRIVED, data)


def instruction_set(instruction_id: int, described: str) -> Entry[InstructionSet]:
    return Entry(
        EventKind.INSTRUCTION_CHANGED, {"instruction_id": instruction_id, "set": described}
    )


def instruction_removed(instruction_id: int, described: str) -> Entry[InstructionRemoved]:
    data: InstructionRemoved = {"instruction_id": instruction_id, "removed": described}
    return Entry(EventKind.INSTRUCTION_CHANGED, data)


def instruction_carried_out(
    *, order_id: int, instruction_id: int, condition: str, action: str, because: str, result: str
) -> Entry[InstructionCarriedOut]:
    data: InstructionCarriedOut = {
        "order_id": order_id,
        "instruction_id": instruction_id,
        "condition": condition,
        "action": action,
        "because": because,
        "result": result,
    }
    return Entry(EventKind.INSTRUCTION_CARRIED_OUT, data)


def carrier_detail(*, reason: str, source: str) -> CheckpointDetail:
    """What a carrier's report (or the shop's scan) adds to its checkpoint."""
    return {"reason": reason, "source": source}

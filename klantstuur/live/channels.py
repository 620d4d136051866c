"""Which screens a journal event concerns, and what they are told.

Channels: ``station:<id>`` (a station's board), ``runner:<business>`` (the
pass), ``floor:<business>`` (the hosts' floor view), ``party:<id>`` (the
guest page), ``order:<id>`` and ``need:<id>`` (any page about one order or
need). A message is small: the screen refetches its own fragment, rendered
for its own viewer and language.
"""

from collections.abc import Sequence
from typing import Any, TypedDict, cast

from klantstuur.needs.models import INTERNAL_KINDS, EventKind, JournalEvent

RUNNER_CODES = frozenset(
    {
        "line_ready",
        "line_recalled",
        "line_on_its_way",
        "line_served",
        "wrong_delivery_prevented",
        "wrong_seat_prevented",
    }
)
FLOOR_KINDS = frozenset(
    {
        EventKind.CHECKPOINT,
        EventKind.ORDER_PLACED,
        EventKind.ALERT,
        EventKind.HOST_CALLED,
        EventKind.BILL_REQUESTED,
        EventKind.PARTY_SEATED,
        EventKind.PARTY_LEFT,
        EventKind.STAFF_MESSAGE,
        EventKind.FEEDBACK_GIVEN,
        EventKind.HANDOFF_ACCEPTED,
    }
)


# What changes a colleague's "My customers" list: a need arrives, waits, or leaves it.
LIST_KINDS = frozenset(
    {
        EventKind.NEED_OPENED,
        EventKind.CUSTOMER_MESSAGE,
        EventKind.STAFF_MESSAGE,
        EventKind.NEED_REOPENED,
        EventKind.HANDOFF_ACCEPTED,
        EventKind.RESOLUTION_PROPOSED,
        EventKind.RESOLUTION_CONFIRMED,
        EventKind.NEED_CANCELLED,
    }
)


class Routed(TypedDict, total=False):
    """The keys the screens are routed by, as the floor's and orders' events write them
    (``orders.events.Checkpoint``, ``OrderPlaced``, ``floor.events``): any of them may
    be absent from an event of another kind."""

    order_id: int
    party_id: int | None
    station_ids: list[int]
    code: str
    line_id: int | None
    status: str


def _data(event: JournalEvent) -> Routed:
    return cast(Routed, event.data or {})


def _needs_party_lookup(event: JournalEvent) -> bool:
    data = _data(event)
    return "party_id" not in data and bool(data.get("order_id")) and event.kind in FLOOR_KINDS


def route(
    event: JournalEvent, parties: dict[int, int | None] | None = None
) -> tuple[list[str], dict[str, Any]]:
    """``parties``: order id → party id, looked up already for a batch."""
    data = _data(event)
    order_id = data.get("order_id")
    party_id = data.get("party_id")
    if order_id and _needs_party_lookup(event):
        if parties is not None:
            party_id = parties.get(int(order_id))
        else:
            from klantstuur.orders.models import Order

            party_id = (
                Order.objects.filter(pk=int(order_id)).values_list("party_id", flat=True).first()
            )
    channels: list[str] = []
    if event.need_id:
        channels.append(f"need:{event.need_id}")
        # The customer's own stream of the need (live.conversation): never an internal note.
        if event.visible_to_customer and event.kind not in INTERNAL_KINDS:
            channels.append(f"need:{event.need_id}:customer")
        # The staff's own lists of needs (console home), refetched per viewer.
        if event.kind in LIST_KINDS:
            channels.append(f"needs:{event.business_id}")
    if order_id:
        channels.append(f"order:{order_id}")
    if party_id and event.kind in FLOOR_KINDS:
        channels.append(f"party:{party_id}")
        channels.append(f"floor:{event.business_id}")
    for station_id in data.get("station_ids") or []:
        channels.append(f"station:{station_id}")
    code = data.get("code")
    if event.kind == EventKind.CHECKPOINT and code in RUNNER_CODES:
        channels.append(f"runner:{event.business_id}")
    message = {
        "event": event.pk,
        "need_id": event.need_id,
        "kind": event.kind,
        "code": code,
        "order_id": order_id,
        "line_id": data.get("line_id"),
        "party_id": party_id,
        "status": data.get("status"),
        "at": event.at.isoformat(),
    }
    return channels, message


def react(event: JournalEvent) -> None:
    """The after-commit reaction: publish to the screens concerned."""
    from .broker import publish

    channels, message = route(event)
    publish(channels, message)


def react_many(events: Sequence[JournalEvent]) -> None:
    """The same for a batch (carrier ingest): one party lookup and one publish for all."""
    from klantstuur.orders.models import Order

    from .broker import publish_many

    order_ids = {_data(e)["order_id"] for e in events if _needs_party_lookup(e)}
    parties: dict[int, int | None] = {}
    if order_ids:
        parties = dict(Order.objects.filter(pk__in=order_ids).values_list("pk", "party_id"))
    publish_many([route(e, parties) for e in events])

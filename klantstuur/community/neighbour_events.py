"""What the neighbours' journal events say (the pattern of ``needs.events``).

The asker's side is on the delivery's need (its owner stays the owner); the neighbour's
side is an event about the neighbour as a customer (no need of theirs). Each side names
the other by first name and house number only."""

from typing import TypedDict

from klantstuur.needs.events import Entry
from klantstuur.needs.models import EventKind

from .models import NeighbourRequest, ParcelNeighbour


class Offered(TypedDict):
    active: bool
    house_number: str
    hours_at_home: str


class Asked(TypedDict):
    request_id: int
    order_id: int
    # The other side: "neighbour" on the asker's timeline, "asker" on the neighbour's.
    side: str
    name: str
    house_number: str
    hours_at_home: str
    window: str


class Answered(TypedDict):
    request_id: int
    order_id: int
    side: str
    status: str
    name: str
    house_number: str


def offered(offer: ParcelNeighbour) -> Entry[Offered]:
    data = Offered(
        active=offer.active, house_number=offer.house_number, hours_at_home=offer.hours_at_home
    )
    return Entry(EventKind.NEIGHBOUR_OFFERED, data)


def asked(
    req: NeighbourRequest, *, side: str, name: str, house_number: str, hours: str, window: str
) -> Entry[Asked]:
    data = Asked(
        request_id=req.pk,
        order_id=req.order_id,
        side=side,
        name=name,
        house_number=house_number,
        hours_at_home=hours,
        window=window,
    )
    return Entry(EventKind.NEIGHBOUR_ASKED, data)


def answered(req: NeighbourRequest, *, side: str, name: str, house_number: str) -> Entry[Answered]:
    data = Answered(
        request_id=req.pk,
        order_id=req.order_id,
        side=side,
        status=req.status,
        name=name,
        house_number=house_number,
    )
    return Entry(EventKind.NEIGHBOUR_ANSWERED, data)

"""The floor above orders: one transition table per status, orders never import the floor,
and an order for a party goes through the floor's checks first."""

import ast
from pathlib import Path
from typing import Any

import pytest

from klantstuur.catalog.models import CatalogItem, Station
from klantstuur.core.errors import Conflict, Invalid
from klantstuur.floor.models import AT_TABLE, PARTY_TRANSITIONS, PartyStatus
from klantstuur.floor.ordering import party_order_place
from klantstuur.floor.services import (
    party_leave,
    party_request_bill,
    party_seat,
    section_create,
    table_create,
)
from klantstuur.orders.models import (
    AT_THE_PASS,
    CANCELLABLE_LINES,
    FULFILLABLE_ORDERS,
    OPEN_AT_STATION,
    OPEN_ORDERS,
    ORDER_TRANSITIONS,
    UNSERVED,
    LineStatus,
    OrderChannel,
    OrderStatus,
)
from klantstuur.orders.services import LineSpec, order_place
from tests.conftest import World

ORDERS = Path(__file__).resolve().parent.parent / "klantstuur" / "orders"


def test_orders_never_import_the_floor_not_even_inside_a_function() -> None:
    found = []
    for path in ORDERS.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            found += [f"{path.name}: {n}" for n in names if n.startswith("klantstuur.floor")]
    assert found == []


def test_the_status_sets_are_read_from_the_transition_tables() -> None:
    assert UNSERVED == (
        LineStatus.HELD,
        LineStatus.RECEIVED,
        LineStatus.IN_PROGRESS,
        LineStatus.READY,
        LineStatus.ON_ITS_WAY,
    )
    assert OPEN_AT_STATION == (LineStatus.RECEIVED, LineStatus.IN_PROGRESS)
    assert AT_THE_PASS == (LineStatus.READY, LineStatus.ON_ITS_WAY)
    assert CANCELLABLE_LINES == (LineStatus.HELD, LineStatus.RECEIVED)
    assert OPEN_ORDERS == FULFILLABLE_ORDERS == (OrderStatus.PLACED,)
    assert set(ORDER_TRANSITIONS) == {
        (OrderStatus.PLACED, OrderStatus.FULFILLED),
        (OrderStatus.PLACED, OrderStatus.CANCELLED),
    }
    assert AT_TABLE == (PartyStatus.SEATED, PartyStatus.BILL_REQUESTED)
    # "left" is the end of the evening: no step leads out of it.
    assert not any(old == PartyStatus.LEFT for old, _new in PARTY_TRANSITIONS)


@pytest.fixture
def table(world: World) -> dict[str, Any]:
    section = section_create(business=world.x, name="Terras", host=world.owner)
    bar = Station.objects.create(business=world.x, code="bar", name="Bar")
    return {
        "table": table_create(section=section, number="12", seats=4),
        "cola": CatalogItem.objects.create(
            business=world.x, name="Cola", price_cents=350, station=bar, prep_minutes=1
        ),
    }


def test_a_party_orders_through_the_floor(world: World, table: dict[str, Any]) -> None:
    party = party_seat(business=world.x, table=table["table"], seats=2, actor_staff=world.owner)
    order = party_order_place(
        business=world.x,
        party=party,
        lines=[LineSpec(item_id=table["cola"].pk, seat=2)],
        channel=OrderChannel.STAFF,
        actor_staff=world.owner,
    )
    assert order.party_id == party.pk
    assert order.need_id == party.need_id
    assert order.customer_id is None  # a walk-in party has no customer of its own
    with pytest.raises(Invalid) as seat:
        party_order_place(
            business=world.x,
            party=party,
            # The party of two has seats 1 and 2 (the table has more).
            lines=[LineSpec(item_id=table["cola"].pk, seat=3)],
            channel=OrderChannel.STAFF,
        )
    assert seat.value.field == "lines.0.seat"
    with pytest.raises(Invalid) as other:
        party_order_place(
            business=world.y,
            party=party,
            lines=[LineSpec(item_id=table["cola"].pk)],
            channel=OrderChannel.STAFF,
        )
    assert other.value.field == "party_id"
    party_request_bill(party=party)
    party_request_bill(party=party)  # asked already: nothing changes
    with pytest.raises(Conflict) as open_lines:
        party_leave(staff=world.owner, party=party)  # the cola is still being poured
    assert open_lines.value.field == "void_open_lines"
    party_leave(staff=world.owner, party=party, void_open_lines=True, reason="test")
    with pytest.raises(Conflict):
        party_leave(staff=world.owner, party=party)
    with pytest.raises(Conflict):
        party_request_bill(party=party)
    with pytest.raises(Conflict) as left:
        party_order_place(
            business=world.x,
            party=party,
            lines=[LineSpec(item_id=table["cola"].pk)],
            channel=OrderChannel.GUEST,
        )
    assert left.value.field == "party_id"


def test_a_customer_order_has_no_seats(world: World, table: dict[str, Any]) -> None:
    with pytest.raises(Invalid) as seat:
        order_place(
            business=world.x,
            lines=[LineSpec(item_id=table["cola"].pk, seat=1)],
            channel=OrderChannel.CUSTOMER,
            customer=world.customer_a,
        )
    assert seat.value.field == "lines.0.seat"
    with pytest.raises(Invalid) as neither:
        order_place(
            business=world.x,
            lines=[LineSpec(item_id=table["cola"].pk)],
            channel=OrderChannel.SHOP,
        )
    assert neither.value.field == "party_id"

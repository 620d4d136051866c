"""Order entry like a POS: the menu grid by course, seat tabs for exactly the party's
seats plus shared, steppers, modifiers and allergen flags (issue #13)."""

from typing import Any

import pytest
from django.http import QueryDict

from klantstuur.catalog.models import CatalogItem
from klantstuur.floor.menu import lines_from_grid, menu_grid, seat_tabs
from klantstuur.floor.models import Party
from klantstuur.orders.models import OrderLine
from tests.conftest import World
from tests.floor.test_api import terrace  # noqa: F401  (fixture)


@pytest.fixture
def stroop(world: World, terrace: dict[str, Any]) -> CatalogItem:  # noqa: F811
    return CatalogItem.objects.create(
        business=world.x,
        name="Poffertjes",
        price_cents=650,
        station=terrace["griddle"],
        course="dessert",
        modifiers="zonder suiker, extra stroop",
        allergens="gluten, lactose",
    )


def test_the_grid_is_by_course_with_modifiers_and_allergens(
    world: World, stroop: CatalogItem, django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(1):
        grid = menu_grid(business_id=world.x.pk)
    assert [(s.course, [e.item.name for e in s.items]) for s in grid] == [
        ("drinks", ["Cola"]),
        ("main", ["Spek"]),
        ("dessert", ["Poffertjes"]),
    ]
    assert grid[2].items[0].modifiers == ["zonder suiker", "extra stroop"]
    assert grid[2].items[0].allergens == ["gluten", "lactose"]
    assert [n for n, _label in seat_tabs(3)] == [1, 2, 3, 0]


def test_the_posted_grid_becomes_lines_per_seat_and_shared(stroop: CatalogItem) -> None:
    post = QueryDict(mutable=True)
    post.update({f"q-2-{stroop.pk}": "2", "note-2": "warm", "q-0-7": "1", "q-1-7": "0"})
    post.setlist(f"m-2-{stroop.pk}", ["extra stroop"])
    post.update({"q-4-7": "1"})  # a seat the party does not have: not taken
    specs = lines_from_grid(post, seats=3)
    assert [(s.item_id, s.quantity, s.seat, s.note, s.modifiers) for s in specs] == [
        (7, 1, None, "", ""),
        (stroop.pk, 2, 2, "warm", "extra stroop"),
    ]


def test_modifiers_show_on_the_board_and_unknown_ones_are_refused(
    world: World,
    api: Any,
    login: Any,
    stroop: CatalogItem,
    terrace: dict[str, Any],  # noqa: F811
) -> None:
    party = api(world.owner).post("/api/v1/floor/parties", {"table": "12", "seats": 2}).json()
    bad = api(world.owner).post(
        "/api/v1/orders",
        {"party_id": party["id"], "lines": [{"item": stroop.pk, "modifiers": "met slagroom"}]},
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "lines.0.modifiers"
    host = login(world.owner)
    r = host.post(
        f"/console/floor/parties/{party['id']}/order/",
        {f"q-1-{stroop.pk}": "1", f"m-1-{stroop.pk}": "extra stroop", "tab": "1"},
    )
    assert r.status_code == 302
    line = OrderLine.objects.get(item=stroop)
    assert (line.seat, line.modifiers, line.course) == (1, "extra stroop", "dessert")
    # A course changed per line through the API.
    r = api(world.owner).post(
        "/api/v1/orders",
        {"party_id": party["id"], "lines": [{"item": stroop.pk, "seat": 2, "course": "main"}]},
    )
    assert r.status_code == 201 and r.json()["lines"][0]["course"] == "main"
    assert Party.objects.get(pk=party["id"]).seats == 2

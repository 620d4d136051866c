"""Courses: a later course waits (``held``) until it is fired — on the floor card, by
the business's choice when the one before is served, and also when the guest orders it
from the phone. Held lines are on no board (issue #13)."""

from typing import Any

import pytest

from klantstuur.catalog.models import CatalogItem
from klantstuur.floor import boards, kitchen
from klantstuur.floor.models import FloorSettings, Party
from klantstuur.orders.models import Checkpoint, LineStatus, OrderLine
from tests.conftest import World
from tests.floor.test_api import terrace  # noqa: F401  (fixture)


@pytest.fixture
def meal(world: World, api: Any, terrace: dict[str, Any]) -> dict[str, Any]:  # noqa: F811
    ice = CatalogItem.objects.create(
        business=world.x,
        name="Dame blanche",
        price_cents=725,
        station=terrace["bar"],
        prep_minutes=5,
        course="dessert",
    )
    body = api(world.owner).post("/api/v1/floor/parties", {"table": "12", "seats": 2}).json()
    return {**terrace, "ice": ice, "party": Party.objects.get(pk=body["id"])}


def _order(api: Any, world: World, meal: dict[str, Any], *items: str) -> dict[str, Any]:
    lines = [{"item": meal[name].pk, "seat": 1} for name in items]
    r = api(world.owner).post("/api/v1/orders", {"party_id": meal["party"].pk, "lines": lines})
    assert r.status_code == 201, r.content
    return r.json()


def _statuses(party: Party) -> dict[str, str]:
    return {
        x.item.name: x.status
        for x in OrderLine.objects.filter(order__party=party).select_related("item")
    }


def test_a_later_course_is_held_and_on_no_board_until_fired_from_the_floor_card(
    world: World, api: Any, meal: dict[str, Any]
) -> None:
    party = meal["party"]
    _order(api, world, meal, "cola", "pancake", "ice")
    assert _statuses(party) == {"Cola": "received", "Spek": "received", "Dame blanche": "held"}
    bar_items = [x.item.name for x in boards.station_lines(station=meal["bar"])]
    assert bar_items == ["Cola"]  # the held dessert is on no board
    # One tap on the floor card fires the next held course.
    fired = kitchen.party_course_fire(staff=world.owner, party=party)
    assert [x.item.name for x in fired] == ["Dame blanche"]
    line = OrderLine.objects.get(item=meal["ice"])
    assert line.status == LineStatus.RECEIVED and line.fired_at is not None
    assert line.promised_at is not None
    assert [x.item.name for x in boards.station_lines(station=meal["bar"])] == [
        "Cola",
        "Dame blanche",
    ]
    assert Checkpoint.objects.filter(code="course_fired", note="dessert").count() == 1


def test_a_dessert_ordered_from_the_phone_waits_while_the_mains_are_made(
    world: World, api: Any, meal: dict[str, Any]
) -> None:
    party = meal["party"]
    _order(api, world, meal, "pancake")
    guest = api(None)
    guest.token = party.guest_token
    r = guest.post("/api/v1/me/orders", {"lines": [{"item": meal["ice"].pk, "seat": 2}]})
    assert r.status_code == 201, r.content
    assert [x["status"] for x in r.json()["lines"]] == ["held"]
    assert list(boards.station_lines(station=meal["bar"])) == []
    # Fired through the API without naming the course: the order's next held one.
    fired = api(world.owner).post(f"/api/v1/orders/{r.json()['id']}/fire", {})
    assert fired.status_code == 200, fired.content
    assert [x["status"] for x in fired.json()["items"]] == ["received"]


def test_the_next_course_fires_itself_when_the_business_chooses_so(
    world: World, api: Any, meal: dict[str, Any]
) -> None:
    FloorSettings.objects.create(business=world.x, fire_next_course_when_served=True)
    party = meal["party"]
    _order(api, world, meal, "pancake", "ice")
    assert _statuses(party) == {"Spek": "received", "Dame blanche": "held"}
    pancake = OrderLine.objects.get(item=meal["pancake"])
    kitchen.line_ready(staff=world.kitchen, line_id=pancake.pk)
    assert _statuses(party)["Dame blanche"] == "held"  # made, not yet served
    kitchen.line_deliver(staff=world.owner, line_id=pancake.pk, table="12", seat=1)
    assert _statuses(party) == {"Spek": "served", "Dame blanche": "received"}
    # Mains served, the business fires by itself: a dessert ordered now goes at once.
    _order(api, world, meal, "ice")
    assert sorted(OrderLine.objects.filter(item=meal["ice"]).values_list("status", flat=True)) == [
        "received",
        "received",
    ]


def test_without_the_choice_a_dessert_after_the_mains_waits_for_the_host(
    world: World, api: Any, meal: dict[str, Any]
) -> None:
    party = meal["party"]
    _order(api, world, meal, "pancake")
    pancake = OrderLine.objects.get(item=meal["pancake"])
    kitchen.line_ready(staff=world.kitchen, line_id=pancake.pk)
    kitchen.line_deliver(staff=world.owner, line_id=pancake.pk, table="12", seat=1)
    _order(api, world, meal, "ice")
    assert _statuses(party)["Dame blanche"] == "held"


def test_the_host_changes_a_lines_course_on_the_order_page_and_it_holds_and_fires(
    world: World, login: Any, meal: dict[str, Any]
) -> None:
    party, spek, ice = meal["party"], meal["pancake"], meal["ice"]
    host = login(world.owner)
    url = f"/console/floor/parties/{party.pk}/order/"
    page = host.get(url).content.decode()
    # Every cell of every seat offers the courses, the item's own chosen.
    assert f'<select class="course-pick" id="c-2-{ice.pk}" name="c-2-{ice.pk}">' in page
    pick = page.split(f'name="c-1-{spek.pk}">')[1].split("</select>")[0]
    assert '<option value="main" selected>' in pick and '<option value="starter">' in pick
    # Seat 1's pancake as a starter, seat 2's as the main, the dessert as a main too.
    r = host.post(
        url,
        {
            f"q-1-{spek.pk}": "1",
            f"c-1-{spek.pk}": "starter",
            f"q-2-{spek.pk}": "1",
            f"c-2-{spek.pk}": "main",
            f"q-2-{ice.pk}": "1",
            f"c-2-{ice.pk}": "main",
            f"c-1-{ice.pk}": "drinks",  # no quantity: no line
        },
    )
    assert r.status_code == 302, r.content.decode()[-800:]
    lines = {
        (x.seat, x.item.name): (x.course, x.status)
        for x in OrderLine.objects.filter(order__party=party).select_related("item")
    }
    assert lines == {
        (1, "Spek"): ("starter", "received"),
        (2, "Spek"): ("main", "held"),
        (2, "Dame blanche"): ("main", "held"),
    }
    assert [x.item.name for x in boards.station_lines(station=meal["bar"])] == []
    # The floor card offers the mains next; one tap fires both, the dessert with them.
    floor = host.get("/console/floor/").content.decode()
    assert "Afroepen: Hoofdgerecht" in floor
    fired = kitchen.party_course_fire(staff=world.owner, party=party)
    assert sorted(x.item.name for x in fired) == ["Dame blanche", "Spek"]
    bar = host.get(f"/console/floor/stations/{meal['bar'].code}/").content.decode()
    assert "Dame blanche" in bar and "Hoofdgerecht ·" in bar


def test_a_course_the_menu_does_not_know_keeps_the_items_own(
    world: World, login: Any, meal: dict[str, Any]
) -> None:
    party, ice = meal["party"], meal["ice"]
    host = login(world.owner)
    r = host.post(
        f"/console/floor/parties/{party.pk}/order/",
        {f"q-1-{ice.pk}": "1", f"c-1-{ice.pk}": "<b>supper</b>"},
    )
    assert r.status_code == 302
    assert OrderLine.objects.get(item=ice).course == "dessert"


def test_the_guests_grid_offers_no_course(world: World, meal: dict[str, Any]) -> None:
    from django.test import Client

    page = Client().get(f"/guest/{meal['party'].guest_token}/").content.decode()
    assert "course-pick" not in page and f'name="q-1-{meal["ice"].pk}"' in page

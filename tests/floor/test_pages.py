"""The floor's pages: host floor view and order page, boards, the pass, the guest link."""

from typing import Any

import pytest
from django.test import Client

from klantstuur.floor.models import Party, PartyStatus
from klantstuur.orders.models import Checkpoint, LineStatus, Order, OrderLine
from tests.conftest import World
from tests.floor.test_api import terrace  # noqa: F401  (fixture)


@pytest.fixture(autouse=True)
def _english(settings: Any) -> None:
    """These tests read the English UI text; Dutch is the product's default. (Guests'
    phones ask for English: a guest page speaks the phone's language.)"""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def seated(world: World, api: Any, terrace: dict[str, Any]) -> dict[str, Any]:  # noqa: F811
    body = api(world.owner).post("/api/v1/floor/parties", {"table": "12", "seats": 3}).json()
    party = Party.objects.get(pk=body["id"])
    return {**terrace, "party": party}


def test_the_guest_orders_and_follows_the_plates(
    world: World, seated: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    party = seated["party"]
    guest = Client(HTTP_ACCEPT_LANGUAGE="en")
    url = f"/guest/{party.guest_token}/"
    r = guest.get(url)
    assert r.status_code == 200
    assert "Olga Owner" in r.content.decode()
    r = guest.post(
        url + "order/",
        # The menu grid: seat 3's tab, two pancakes; nothing shared.
        {f"q-3-{seated['pancake'].pk}": "2", f"q-0-{seated['cola'].pk}": "0", "tab": "3"},
    )
    assert r.status_code == 302
    order = Order.objects.get(party=party)
    assert order.channel == "guest"
    assert [(x.quantity, x.seat) for x in order.lines.all()] == [(2, 3)]
    with django_assert_max_num_queries(7):
        r = guest.get(url + "live/")
    assert r.status_code == 200 and "Spek" in r.content.decode()
    # Call the host, ask for the bill.
    assert guest.post(url + "call/").status_code == 302
    assert guest.post(url + "bill/").status_code == 302
    party.refresh_from_db()
    assert party.host_called_at is not None and party.status == PartyStatus.BILL_REQUESTED


def test_a_guest_link_of_another_party_is_404_and_a_left_partys_shows_the_receipt(
    world: World, api: Any, seated: dict[str, Any]
) -> None:
    party = seated["party"]
    guest = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert guest.get("/guest/not-a-token/").status_code == 404
    assert (
        guest.post("/guest/not-a-token/order/", {"item": [1], "quantity": ["1"]}).status_code == 404
    )
    assert guest.get(f"/guest/{'x' * 300}/").status_code == 404
    assert api(world.owner).post(f"/api/v1/floor/parties/{party.pk}/leave").status_code == 200
    receipt = guest.get(f"/guest/{party.guest_token}/")
    assert receipt.status_code == 200
    assert "Thank you for your visit!" in receipt.content.decode()
    assert guest.post(f"/guest/{party.guest_token}/call/").status_code == 404


def test_guests_check_themselves_in_at_a_free_table(world: World, seated: dict[str, Any]) -> None:
    guest = Client(HTTP_ACCEPT_LANGUAGE="en")
    free = seated["t21"]
    r = guest.post(f"/guest/t/{free.qr_token}/", {"seats": "2"})
    assert r.status_code == 302
    party = Party.objects.get(table=free, status=PartyStatus.SEATED)
    assert r["Location"] == f"/guest/{party.guest_token}/"
    assert party.need.owner_id == world.owner.pk
    # A taken table never reveals its party's link.
    r = guest.get(f"/guest/t/{seated['t12'].qr_token}/")
    assert r.status_code == 200
    assert seated["party"].guest_token not in r.content.decode()
    assert guest.post(f"/guest/t/{free.qr_token}/", {"seats": "2"}).status_code == 200
    assert Party.objects.filter(table=free).count() == 1
    assert guest.get("/guest/t/nope/").status_code == 404
    r = guest.post(f"/guest/t/{seated['t3'].qr_token}/", {"seats": "99"})
    assert r.status_code == 422


def test_host_board_and_runner_pages(
    world: World, login: Any, seated: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    party = seated["party"]
    host = login(world.owner)
    r = host.post(
        f"/console/floor/parties/{party.pk}/order/",
        {
            f"q-1-{seated['pancake'].pk}": "1",
            "note-1": "extra stroop",
            "allergies-1": "noten",
            f"q-2-{seated['cola'].pk}": "1",
            "hold": ["main"],
        },
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    order = Order.objects.get(party=party)
    assert sorted(order.lines.values_list("status", flat=True)) == ["held", "received"]
    with django_assert_max_num_queries(12):
        r = host.get("/console/floor/")
    assert r.status_code == 200 and "12" in r.content.decode()
    assert host.get("/console/floor/live/").status_code == 200
    assert (
        host.post(f"/console/floor/orders/{order.pk}/fire/", {"course": "main"}).status_code == 302
    )
    kitchen = login(world.kitchen)
    with django_assert_max_num_queries(12):
        r = kitchen.get("/console/floor/stations/pannenkoeken/")
    assert r.status_code == 200
    assert "noten" in r.content.decode() and "Olga Owner" in r.content.decode()
    pancake = order.lines.get(item=seated["pancake"])
    cola = order.lines.get(item=seated["cola"])
    # Bumping the bar's line from the griddle: refused, nothing changed.
    r = kitchen.post(f"/console/floor/lines/{cola.pk}/bump/", HTTP_HX_REQUEST="true")
    assert r.status_code == 403
    assert OrderLine.objects.get(pk=cola.pk).status == LineStatus.RECEIVED
    r = kitchen.post(f"/console/floor/lines/{pancake.pk}/bump/", HTTP_HX_REQUEST="true")
    assert r.status_code == 200
    runner = login(world.colleague)
    with django_assert_max_num_queries(12):
        r = runner.get("/console/floor/runner/")
    assert r.status_code == 200 and "seat 1" in r.content.decode().lower()
    r = runner.post(
        f"/console/floor/lines/{pancake.pk}/deliver/",
        {"table": "21", "seat": "1"},
        HTTP_HX_REQUEST="true",
    )
    assert r.status_code == 409
    assert Checkpoint.objects.filter(code="wrong_delivery_prevented").count() == 1
    r = runner.post(
        f"/console/floor/lines/{pancake.pk}/deliver/",
        {"table": "12", "seat": "1"},
        HTTP_HX_REQUEST="true",
    )
    assert r.status_code == 200
    assert OrderLine.objects.get(pk=pancake.pk).status == LineStatus.SERVED
    # The host's floor shows the prevented wrong delivery.
    assert "prevented" in host.get("/console/floor/live/").content.decode()


def test_staff_of_another_business_get_404_and_guests_no_console(
    world: World, login: Any, seated: dict[str, Any]
) -> None:
    party = seated["party"]
    stranger = login(world.stranger)
    assert stranger.get(f"/console/floor/parties/{party.pk}/order/").status_code == 404
    assert stranger.get("/console/floor/stations/pannenkoeken/").status_code == 404
    assert stranger.post(f"/console/floor/parties/{party.pk}/leave/").status_code == 404
    before = Party.objects.get(pk=party.pk).status
    assert Party.objects.get(pk=party.pk).status == before
    assert login(world.customer_a).get("/console/floor/").status_code == 403
    assert Client().get("/console/floor/").status_code == 302

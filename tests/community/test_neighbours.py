"""Neighbours who accept parcels (issue #16): opt in, asked for one parcel, the neighbour
accepts or declines from their phone; both see it; the delivery keeps its owner."""

from datetime import time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from klantstuur.catalog.models import CatalogItem
from klantstuur.community.models import NeighbourRequest
from klantstuur.delivery.models import Delivery, DeliverySettings, DeliveryWindow
from klantstuur.needs.models import JournalEvent
from klantstuur.orders.models import Order
from tests.helpers import API, assert_error

AMS = ZoneInfo("Europe/Amsterdam")


@pytest.fixture
def order(world: Any, api: Any) -> Order:
    DeliverySettings.objects.create(business=world.x, horizon_days=14)
    DeliveryWindow.objects.create(
        business=world.x, starts=time(18), ends=time(21), capacity=50, cutoff_minutes=360
    )
    item = CatalogItem.objects.create(business=world.x, name="Remblokken", price_cents=1995)
    tomorrow = timezone.localtime(timezone.now(), AMS).date() + timedelta(days=1)
    body = {
        "customer_id": world.customer_a.pk,
        "lines": [{"item": item.pk, "quantity": 1}],
        "delivery": {"date": tomorrow.isoformat(), "window": "18:00-21:00"},
    }
    r = api(world.owner).post(f"{API}/orders", body)
    assert r.status_code == 201, r.content
    return Order.objects.get(pk=r.json()["id"])


@pytest.fixture
def bram(world: Any, api: Any) -> Any:
    world.customer_b.phone = "+31 6 9876 5432"
    world.customer_b.save(update_fields=["phone"])
    r = api(world.customer_b).put(
        f"{API}/me/neighbour",
        {"postcode": "3512 jk", "house_number": "14", "hours_at_home": "ma-vr na 17:00"},
    )
    assert r.status_code == 200, r.content
    assert r.json() == {
        "postcode": "3512JK",
        "house_number": "14",
        "hours_at_home": "ma-vr na 17:00",
        "display_name": "Bram",
        "active": True,
    }
    return world.customer_b


def test_a_neighbour_is_offered_by_first_name_and_house_number_only(
    world: Any, api: Any, bram: Any
) -> None:
    r = api(world.customer_a).get(f"{API}/me/neighbours", postcode="3512JK")
    assert r.json() == {
        "items": [
            {
                "id": bram.pk,
                "display_name": "Bram",
                "house_number": "14",
                "hours_at_home": "ma-vr na 17:00",
            }
        ],
        "count": 1,
    }
    for secret in (b"b@example.com", b"9876", b"Bram B"):
        assert secret not in r.content
    # Another business's customers never see him.
    assert api(world.customer_y).get(f"{API}/me/neighbours", postcode="3512JK").json()["count"] == 0
    assert_error(api(world.customer_a).get(f"{API}/me/neighbours", postcode="x"), 422, "postcode")


def test_the_neighbour_accepts_and_the_delivery_goes_to_them(
    world: Any, api: Any, bram: Any, order: Order
) -> None:
    owner = order.need.owner_id
    r = api(world.customer_a).post(
        f"{API}/me/orders/{order.pk}/neighbour-requests",
        {"neighbour_id": bram.pk, "house_number": "12"},
    )
    assert r.status_code == 201, r.content
    req = r.json()
    assert req["asker"] == {"display_name": "Anna", "house_number": "12"}
    inbox = api(bram).get(f"{API}/me/neighbour-requests").json()
    assert [i["id"] for i in inbox["items"]] == [req["id"]]
    assert b"a@example.com" not in api(bram).get(f"{API}/me/neighbour-requests").content
    r = api(bram).post(f"{API}/me/neighbour-requests/{req['id']}/accept")
    assert r.json()["status"] == "accepted"
    delivery = Delivery.objects.get(order=order)
    assert delivery.place_kind == "neighbour"
    assert delivery.promised_place == {"kind": "neighbour", "house_number": "14", "name": "Bram"}
    assert Order.objects.get(pk=order.pk).need.owner_id == owner
    # Both see it: Anna on her order's need, Bram as a customer.
    anna_side = list(
        JournalEvent.objects.filter(need=order.need, kind__startswith="neighbour_").values_list(
            "kind", "data__side"
        )
    )
    assert anna_side == [("neighbour_asked", "neighbour"), ("neighbour_answered", "neighbour")]
    bram_side = list(
        JournalEvent.objects.filter(customer=bram, need=None, kind__startswith="neighbour_")
        .order_by("id")
        .values_list("kind", flat=True)
    )
    assert bram_side == ["neighbour_offered", "neighbour_asked", "neighbour_answered"]
    # Answered once.
    assert_error(api(bram).post(f"{API}/me/neighbour-requests/{req['id']}/decline"), 409)


def test_a_decline_moves_nothing(world: Any, api: Any, bram: Any, order: Order) -> None:
    before = Delivery.objects.get(order=order).promised_place
    req = (
        api(world.customer_a)
        .post(
            f"{API}/me/orders/{order.pk}/neighbour-requests",
            {"neighbour_id": bram.pk, "house_number": "12"},
        )
        .json()
    )
    assert api(bram).post(f"{API}/me/neighbour-requests/{req['id']}/decline").json()["status"] == (
        "declined"
    )
    assert Delivery.objects.get(order=order).promised_place == before


def test_strangers_are_refused_and_nothing_changes(
    world: Any, api: Any, bram: Any, order: Order
) -> None:
    ask = {"neighbour_id": bram.pk, "house_number": "12"}
    # Another customer's order, or a neighbour of another business: not found.
    assert_error(
        api(world.customer_b).post(f"{API}/me/orders/{order.pk}/neighbour-requests", ask), 404
    )
    assert_error(
        api(world.customer_y).post(f"{API}/me/orders/{order.pk}/neighbour-requests", ask), 404
    )
    req = api(world.customer_a).post(f"{API}/me/orders/{order.pk}/neighbour-requests", ask).json()
    # Only the neighbour asked may answer.
    assert_error(api(world.customer_y).post(f"{API}/me/neighbour-requests/{req['id']}/accept"), 404)
    assert_error(api(world.customer_a).post(f"{API}/me/neighbour-requests/{req['id']}/accept"), 404)
    assert NeighbourRequest.objects.get(pk=req["id"]).status == "asked"
    # One open request per order.
    assert_error(
        api(world.customer_a).post(f"{API}/me/orders/{order.pk}/neighbour-requests", ask), 409
    )


def test_opting_out_withdraws_open_requests(world: Any, api: Any, bram: Any, order: Order) -> None:
    req = (
        api(world.customer_a)
        .post(
            f"{API}/me/orders/{order.pk}/neighbour-requests",
            {"neighbour_id": bram.pk, "house_number": "12"},
        )
        .json()
    )
    assert api(bram).delete(f"{API}/me/neighbour").status_code == 204
    assert NeighbourRequest.objects.get(pk=req["id"]).status == "withdrawn"
    # Anna reads it on her order's timeline, as she would a "no": she can choose again.
    told = JournalEvent.objects.filter(need=order.need, kind="neighbour_answered").get()
    assert told.data["status"] == "withdrawn" and told.data["side"] == "neighbour"
    assert told.visible_to_customer
    timeline = api(world.customer_a).get(f"{API}/me/needs/{order.need_id}/timeline").json()
    assert "neighbour_answered" in [e["kind"] for e in timeline["items"]]
    assert api(world.customer_a).get(f"{API}/me/neighbours", postcode="3512JK").json()["count"] == 0


def test_a_standing_instruction_asks_a_participating_neighbour(
    world: Any, api: Any, bram: Any, order: Order, django_capture_on_commit_callbacks: Any
) -> None:
    """ "If I'm not home, leave it with a participating neighbour": a failed attempt asks
    Bram; he accepts from his phone; the order's need keeps its owner."""
    r = api(world.customer_a).post(
        f"{API}/me/instructions",
        {
            "condition": "attempt_failed",
            "action": "leave_with_neighbour",
            "params": {"participating": True, "postcode": "3512 JK", "house_number": "12"},
        },
    )
    assert r.status_code == 201, r.content
    with django_capture_on_commit_callbacks(execute=True):
        r = api(world.carrier).post(
            f"{API}/carrier/events", {"order_id": order.pk, "status": "attempt_failed"}
        )
    assert r.status_code in (200, 201), r.content
    req = NeighbourRequest.objects.get(order=order)
    assert (req.neighbour_id, req.status, req.asker_house_number) == (bram.pk, "asked", "12")
    done = JournalEvent.objects.filter(kind="instruction_carried_out").latest("id")
    assert done.data["result"] == "Bram op nummer 14 gevraagd; we wachten op het antwoord"
    assert api(bram).post(f"{API}/me/neighbour-requests/{req.pk}/accept").status_code == 200
    delivery = Delivery.objects.get(order=order)
    assert (delivery.place_kind, delivery.status) == ("neighbour", "scheduled")
    assert delivery.promised_place["house_number"] == "14"
    order.refresh_from_db()
    assert order.need.owner_id == world.owner.pk


def test_erasure_takes_the_offer_and_the_names_on_requests(
    world: Any, api: Any, bram: Any, order: Order
) -> None:
    from klantstuur.privacy.services import erasure_request, erasures_carry_out

    req = (
        api(world.customer_a)
        .post(
            f"{API}/me/orders/{order.pk}/neighbour-requests",
            {"neighbour_id": bram.pk, "house_number": "12"},
        )
        .json()
    )
    api(bram).post(f"{API}/me/neighbour-requests/{req['id']}/decline")
    erasure_request(customer=bram)
    assert erasures_carry_out(timezone.now()) == 1
    assert api(world.customer_a).get(f"{API}/me/neighbours", postcode="3512JK").json()["count"] == 0
    told = JournalEvent.objects.filter(need=order.need, kind__startswith="neighbour_")
    assert [e.data["house_number"] for e in told] == ["", ""]
    assert all("Bram" not in str(e.data) for e in told)


def test_the_link_on_a_waiting_order_asks_for_that_parcel_at_its_postcode(
    world: Any, api: Any, login: Any, bram: Any, order: Order
) -> None:
    Delivery.objects.filter(order=order).update(
        promised_place={"kind": "address", "street": "Oudegracht 12", "postcode": "3512JK"}
    )
    body = {
        "customer_id": world.customer_b.pk,
        "lines": [{"item": order.lines.get().item_id, "quantity": 1}],
        "delivery": {"date": str(order.delivery.promised_date), "window": "18:00-21:00"},
    }
    r = api(world.owner).post(f"{API}/orders", body)
    assert r.status_code == 201, r.content
    other = Order.objects.get(pk=r.json()["id"])
    page = login(world.customer_a).get("/portal/community/neighbours/", {"order": order.pk})
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="for-order"' in html and f"#{order.pk}" in html
    assert 'value="3512JK"' in html  # the parcel's postcode, searched at once
    assert f'id="neighbour-{bram.pk}"' in html
    assert html.count(f"/portal/community/neighbours/orders/{order.pk}/ask") == 1
    # Another customer's order is not theirs to name: the page is the usual one.
    page = login(world.customer_a).get("/portal/community/neighbours/", {"order": other.pk})
    assert page.status_code == 200 and 'id="for-order"' not in page.content.decode()
    assert NeighbourRequest.objects.count() == 0

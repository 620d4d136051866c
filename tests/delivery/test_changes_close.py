"""Issue #14: changes close once the parcel is out for delivery, delivered or cancelled:
409 naming why, and what is still possible (a neighbour or a pickup point through the
carrier when it allows that, else a return)."""

from datetime import datetime
from typing import Any

import pytest
from django.db import transaction

from klantstuur.customers.models import Customer
from klantstuur.delivery.models import Delivery, DeliverySettings, SlotLoad
from klantstuur.needs.models import EventKind, JournalEvent
from klantstuur.orders.cancel import order_cancel
from tests.conftest import World
from tests.delivery.test_api import API, _order, shop, tomorrow
from tests.helpers import assert_error

__all__ = ["shop"]


def _carrier(api: Any, world: World, order_id: int, status: str) -> None:
    r = api(world.carrier).post(f"{API}/carrier/events", {"order_id": order_id, "status": status})
    assert r.status_code == 201, r.content


def _unchanged(order_id: int) -> tuple[int, Any, Any, int]:
    d = Delivery.objects.get(order_id=order_id)
    moved = JournalEvent.objects.filter(kind=EventKind.DELIVERY_CHANGED, data__order_id=order_id)
    return d.version, d.promised_date, d.promised_window_id, moved.count()


@pytest.mark.parametrize("redirect", [False, True])
def test_it_refuses_a_change_once_out_for_delivery_naming_why(
    world: World, api: Any, shop: dict[str, Any], redirect: bool
) -> None:
    Customer.objects.filter(pk=world.customer_a.pk).update(language="en")  # reads English
    DeliverySettings.objects.filter(business=world.x).update(carrier_allows_redirect=redirect)
    order = _order(api, world, shop)
    _carrier(api, world, order.pk, "in_transit")
    _carrier(api, world, order.pk, "out_for_delivery")
    before = _unchanged(order.pk)
    loads = list(SlotLoad.objects.order_by("id").values_list("key", "date", "booked"))
    r = api(world.customer_a).put(
        f"{API}/me/orders/{order.pk}/delivery",
        {"date": tomorrow().isoformat(), "window": "08:00-12:00"},
    )
    body = assert_error(r, 409)
    assert body["status"] == "out_for_delivery"
    assert body["reason"] == "changes_closed"
    assert "on the van" in body["detail"]
    if redirect:
        assert body["options"] == [
            {
                "kind": "standing_instruction",
                "condition": "not_at_home",
                "actions": ["leave_with_neighbour", "deliver_to_pickup_point"],
                "path": "/api/v1/me/instructions",
            }
        ]
    else:
        assert body["options"] == [
            {"kind": "return", "when": "delivered", "path": f"/api/v1/me/orders/{order.pk}/returns"}
        ]
    assert _unchanged(order.pk) == before
    assert list(SlotLoad.objects.order_by("id").values_list("key", "date", "booked")) == loads
    got = api(world.customer_a).get(f"{API}/me/orders/{order.pk}/delivery").json()
    assert got["changeable"] is False
    assert got["headline"] == "Out for delivery: the driver brings it today"


def test_it_refuses_a_change_once_delivered_offering_a_return(
    world: World, api: Any, shop: dict[str, Any]
) -> None:
    order = _order(api, world, shop)
    _carrier(api, world, order.pk, "delivered")
    before = _unchanged(order.pk)
    body = assert_error(
        api(world.customer_a).put(
            f"{API}/me/orders/{order.pk}/delivery", {"window": "08:00-12:00"}
        ),
        409,
    )
    assert body["status"] == "delivered"
    assert [o["kind"] for o in body["options"]] == ["return"]
    assert _unchanged(order.pk) == before


def test_it_refuses_a_change_once_cancelled_with_nothing_to_offer(
    world: World, api: Any, shop: dict[str, Any]
) -> None:
    order = _order(api, world, shop)
    with transaction.atomic():
        order_cancel(order=order, reason="te laat", actor_staff=world.owner)
    before = _unchanged(order.pk)
    body = assert_error(
        api(world.customer_a).put(
            f"{API}/me/orders/{order.pk}/delivery", {"window": "08:00-12:00"}
        ),
        409,
    )
    assert (body["status"], body["options"]) == ("cancelled", [])
    assert _unchanged(order.pk) == before


def test_a_failed_attempt_after_the_van_left_opens_the_choice_again(
    world: World, api: Any, shop: dict[str, Any]
) -> None:
    order = _order(api, world, shop)
    _carrier(api, world, order.pk, "out_for_delivery")
    _carrier(api, world, order.pk, "attempt_failed")
    r = api(world.customer_a).put(
        f"{API}/me/orders/{order.pk}/delivery",
        {"place": {"kind": "pickup_point", "pickup_point": "tabak-centrum"}},
    )
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "scheduled"


def test_the_delivery_names_carrier_tracking_number_and_expected_window(
    world: World, api: Any, shop: dict[str, Any]
) -> None:
    Customer.objects.filter(pk=world.customer_a.pk).update(language="en")  # reads English
    DeliverySettings.objects.filter(business=world.x).update(carrier_name="PostNL")
    order = _order(api, world, shop)
    body = api(world.customer_a).get(f"{API}/me/orders/{order.pk}/delivery").json()
    d = Delivery.objects.get(order=order)
    assert body["carrier"] == "PostNL"
    assert body["tracking_number"] == ""
    assert {k: datetime.fromisoformat(v) for k, v in body["expected"].items()} == {
        "from": d.window_start,
        "to": d.window_end,
    }
    assert body["headline"] == "Expected tomorrow between 18:00 and 21:00"

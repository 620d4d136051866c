"""Issue #14: the tracking page at the level of the best — carrier and tracking number, the
expected window as a headline, a progress bar, checkpoints newest first, the pickup point's
address and opening hours, item names in the list, the "your choice is needed" flag, the
calendar button, and changes closed kindly once the van has left."""

from datetime import timedelta
from typing import Any

from django.utils import translation

from klantstuur.delivery.models import Delivery, DeliverySettings, PickupPoint
from klantstuur.orders.models import Order
from tests.conftest import World
from tests.delivery.test_api import API, _order, place_order, shop, tomorrow

__all__ = ["shop"]


def _carrier(api: Any, world: World, order_id: int, status: str, **extra: Any) -> None:
    r = api(world.carrier).post(
        f"{API}/carrier/events", {"order_id": order_id, "status": status, **extra}
    )
    assert r.status_code == 201, r.content


def test_the_tracking_page_tells_who_carries_it_when_and_how_far(
    world: World, api: Any, login: Any, shop: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    DeliverySettings.objects.filter(business=world.x).update(carrier_name="PostNL")
    order = _order(api, world, shop)
    _carrier(api, world, order.pk, "info_received", carrier="DHL", tracking_number="3SABC123")
    _carrier(api, world, order.pk, "in_transit", location="Utrecht")
    web = login(world.customer_a)
    web.get(f"/portal/orders/{order.pk}/")
    with django_assert_max_num_queries(8):
        r = web.get(f"/portal/orders/{order.pk}/")
    body = r.content.decode()
    assert '<dd id="carrier">DHL</dd>' in body
    assert "<code>3SABC123</code>" in body
    assert "Morgen verwacht tussen 18:00 en 21:00" in body
    assert '<li class="done">Besteld</li>' in body
    assert '<li class="done" aria-current="step">Bij de vervoerder</li>' in body
    assert "<li>Wordt vandaag bezorgd</li>" in body
    # newest first
    assert body.index("cp-in_transit") < body.index("cp-info_received")
    assert f'href="/portal/orders/{order.pk}/delivery.ics"' in body
    assert '<li>1× Remblokken <span class="muted">€ 19,95</span></li>' in body
    d = Delivery.objects.get(order=order)
    assert (d.carrier, d.tracking_number) == ("DHL", "3SABC123")


def test_a_pickup_point_shows_its_address_and_opening_hours(
    world: World, api: Any, login: Any, shop: dict[str, Any]
) -> None:
    PickupPoint.objects.filter(pk=shop["point"].pk).update(opening_hours="ma-za 9:00-18:00")
    r = place_order(
        api, world, shop, place={"kind": "pickup_point", "pickup_point": "tabak-centrum"}
    )
    order = Order.objects.get(pk=r.json()["id"])
    body = login(world.customer_a).get(f"/portal/orders/{order.pk}/").content.decode()
    assert "Tabak Centrum, Markt 1, 1012 AB" in body
    assert "Openingstijden: ma-za 9:00-18:00" in body
    assert "<li>Ligt klaar bij het afhaalpunt</li>" in body


def test_changes_closed_are_said_kindly_with_what_is_still_possible(
    world: World, api: Any, login: Any, shop: dict[str, Any]
) -> None:
    DeliverySettings.objects.filter(business=world.x).update(carrier_allows_redirect=True)
    order = _order(api, world, shop)
    _carrier(api, world, order.pk, "out_for_delivery")
    web = login(world.customer_a)
    body = web.get(f"/portal/orders/{order.pk}/").content.decode()
    assert 'id="changes-closed"' in body
    assert "Je pakket zit al in de bus" in body
    assert "/portal/orders/instructions/" in body
    assert f"/portal/orders/{order.pk}/change" not in body
    before = Delivery.objects.get(order=order).version
    r = web.post(
        f"/portal/orders/{order.pk}/delivery",
        {
            "date": (tomorrow() + timedelta(days=1)).isoformat(),
            "window": "18:00-21:00",
            "place": "home",
        },
    )
    assert r.status_code in (409, 422)
    assert Delivery.objects.get(order=order).version == before


def test_the_order_list_names_the_items_and_flags_a_choice_to_make(
    world: World, api: Any, login: Any, shop: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    waiting = _order(api, world, shop)
    calm = _order(api, world, shop)
    _carrier(api, world, waiting.pk, "attempt_failed", reason="not_at_home")
    web = login(world.customer_a)
    web.get("/portal/orders/")
    with django_assert_max_num_queries(8):
        body = web.get("/portal/orders/").content.decode()
    assert body.count("1× Remblokken") == 2
    assert body.count("Je keuze is nodig") == 1
    assert f'href="/portal/orders/{waiting.pk}/#choose"' in body
    assert f'href="/portal/orders/{calm.pk}/#choose"' not in body


def test_the_calendar_button_gives_the_orders_customer_its_file(
    world: World, api: Any, login: Any, shop: dict[str, Any]
) -> None:
    order = _order(api, world, shop)
    r = login(world.customer_a).get(f"/portal/orders/{order.pk}/delivery.ics")
    assert r.status_code == 200 and r["Content-Type"] == "text/calendar; charset=utf-8"
    with translation.override("nl"):
        assert b"Bezorging van bestelling" in r.content
    assert login(world.customer_b).get(f"/portal/orders/{order.pk}/delivery.ics").status_code == 404


def test_staff_set_the_tracking_number_and_the_customer_sees_it(
    world: World, api: Any, login: Any, shop: dict[str, Any]
) -> None:
    order = _order(api, world, shop)
    stranger = login(world.stranger).post(
        f"/console/delivery/orders/{order.pk}/tracking", {"tracking_number": "X"}
    )
    assert stranger.status_code == 404
    assert Delivery.objects.get(order=order).tracking_number == ""
    r = login(world.owner).post(
        f"/console/delivery/orders/{order.pk}/tracking",
        {"carrier": "PostNL", "tracking_number": "3STEST42"},
    )
    assert r.status_code == 302
    body = login(world.customer_a).get(f"/portal/orders/{order.pk}/").content.decode()
    assert '<dd id="carrier">PostNL</dd>' in body and "<code>3STEST42</code>" in body
    got = api(world.customer_a).get(f"{API}/me/orders/{order.pk}/delivery").json()
    assert (got["carrier"], got["tracking_number"]) == ("PostNL", "3STEST42")

# ruff: noqa: F811  (pytest fixtures shared from tests/delivery/test_api.py)
"""The return form on the tracking page: loaded when its panel opens, posted from the page."""

from typing import Any

from klantstuur.delivery.models import ReturnRequest
from tests.conftest import World
from tests.delivery.test_api import API, _order, shop  # noqa: F401

HX = {"HTTP_HX_REQUEST": "true"}


def _delivered(api: Any, world: World, shop: dict[str, Any]) -> Any:
    order = _order(api, world, shop)
    r = api(world.carrier).post(
        f"{API}/carrier/events", {"order_id": order.pk, "status": "delivered"}
    )
    assert r.status_code == 201
    return order


def test_the_tracking_page_offers_a_return_without_building_the_form(
    world: World, api: Any, login: Any, shop: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    order = _delivered(api, world, shop)
    web = login(world.customer_a)
    body = web.get(f"/portal/orders/{order.pk}/").content.decode()
    assert f'hx-get="/portal/orders/{order.pk}/return"' in body
    assert 'name="reason"' not in body  # the form (and its pickup points) load when opened
    # + what is still returnable (2), the business's reasons (1) since #14
    with django_assert_max_num_queries(12):
        fragment = web.get(f"/portal/orders/{order.pk}/return", **HX)
    assert fragment.status_code == 200
    html = fragment.content.decode()
    assert 'name="reason"' in html and 'name="pickup_point"' in html and "<html" not in html
    full = web.get(f"/portal/orders/{order.pk}/return")  # without htmx: the whole page, open
    assert full.status_code == 200 and "<html" in full.content.decode()
    assert 'name="reason"' in full.content.decode()


def test_the_return_form_is_only_for_the_orders_own_customer_and_a_delivered_order(
    world: World, api: Any, login: Any, shop: dict[str, Any]
) -> None:
    order = _order(api, world, shop)
    web = login(world.customer_a)
    assert web.get(f"/portal/orders/{order.pk}/return", **HX).status_code == 404  # not delivered
    body = web.get(f"/portal/orders/{order.pk}/").content.decode()
    assert "/return" not in body
    api(world.carrier).post(f"{API}/carrier/events", {"order_id": order.pk, "status": "delivered"})
    other = login(world.customer_b)
    assert other.get(f"/portal/orders/{order.pk}/return", **HX).status_code == 404
    assert other.post(f"/portal/orders/{order.pk}/return", {"reason": "x"}).status_code == 404
    assert not ReturnRequest.objects.exists()


def test_a_return_started_from_the_page(
    world: World, api: Any, login: Any, shop: dict[str, Any]
) -> None:
    order = _delivered(api, world, shop)
    web = login(world.customer_a)
    bad = web.post(f"/portal/orders/{order.pk}/return", {"reason": "", "method": "pickup"})
    assert bad.status_code == 422
    assert 'id="return-form"' in bad.content.decode()  # shown again, open, with the error
    assert not ReturnRequest.objects.exists()
    ok = web.post(f"/portal/orders/{order.pk}/return", {"reason": "Te klein", "method": "pickup"})
    assert ok.status_code == 302
    ret = ReturnRequest.objects.get(order=order)
    assert ok["Location"] == f"/portal/orders/returns/{ret.pk}/label/"
    label = web.get(ok["Location"]).content.decode()
    assert ret.label_code in label and "<svg" in label and "1× Remblokken" in label
    assert login(world.customer_b).get(ok["Location"]).status_code == 404
    assert ret.need.kind == "return" and ret.need.owner_id is not None

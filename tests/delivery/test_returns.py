# ruff: noqa: F811  (pytest fixtures shared from tests/delivery/test_api.py)
"""Returns: a need of kind return with an owner; the refund is a remedy on arrival."""

from typing import Any

from klantstuur.delivery.models import ReturnRequest
from klantstuur.needs.models import Need, Remedy
from klantstuur.orders.models import Order
from tests.conftest import World
from tests.delivery.test_api import API, _order, shop  # noqa: F401
from tests.helpers import assert_error


def test_a_return_from_start_to_refund(world: World, api: Any, shop: dict[str, Any]) -> None:
    order = _order(api, world, shop)
    me = api(world.customer_a)
    assert_error(
        me.post(f"{API}/me/orders/{order.pk}/returns", {"reason": "Past niet", "method": "pickup"}),
        409,
    )
    api(world.carrier).post(f"{API}/carrier/events", {"order_id": order.pk, "status": "delivered"})
    assert_error(
        api(world.customer_b).post(
            f"{API}/me/orders/{order.pk}/returns", {"reason": "x", "method": "pickup"}
        ),
        404,
    )
    assert_error(
        me.post(
            f"{API}/me/orders/{order.pk}/returns",
            {"reason": "x", "method": "dropoff", "pickup_point": "nope"},
        ),
        422,
        "pickup_point",
    )
    r = me.post(
        f"{API}/me/orders/{order.pk}/returns",
        {"reason": "Past niet", "method": "dropoff", "pickup_point": "tabak-centrum"},
    )
    assert r.status_code == 201, r.content
    need = Need.objects.get(pk=r.json()["need_id"])
    assert need.kind == "return" and r.json()["owner"]["id"] == need.owner_id
    assert_error(
        me.post(f"{API}/me/orders/{order.pk}/returns", {"reason": "again", "method": "pickup"}), 409
    )
    ret_id = r.json()["id"]
    assert_error(api(world.stranger).post(f"{API}/returns/{ret_id}/arrived", {}), 404)
    owner = world.owner if need.owner_id == world.owner.pk else need.owner
    not_owner = world.lead if owner.pk != world.lead.pk else world.colleague
    assert_error(api(not_owner).post(f"{API}/returns/{ret_id}/arrived", {}), 403)
    assert (
        ReturnRequest.objects.get(pk=ret_id).status == "requested" and Remedy.objects.count() == 0
    )
    r = api(owner).post(f"{API}/returns/{ret_id}/arrived", {})
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "arrived"
    refund = Remedy.objects.get()
    assert (refund.kind, refund.amount_cents, refund.need_id) == ("refund", 1995, need.pk)
    assert Order.objects.get(pk=order.pk).status == "fulfilled"

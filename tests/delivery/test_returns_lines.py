"""Issue #14: a return of chosen lines and quantities (never more than delivered), a reason
from the business's list, refund or exchange, and a label with a code and a QR code."""

from typing import Any

import pytest

from klantstuur.catalog.models import CatalogItem
from klantstuur.customers.models import Customer
from klantstuur.delivery.models import ReturnLine, ReturnReason, ReturnRequest
from klantstuur.needs.models import EventKind, JournalEvent, Need, Remedy
from klantstuur.orders.models import Order
from tests.conftest import World
from tests.delivery.test_api import API, shop, tomorrow
from tests.helpers import assert_error

__all__ = ["shop"]


@pytest.fixture
def delivered(world: World, api: Any, shop: dict[str, Any]) -> Order:
    """Anna's delivered order of 2× Remblokken (19,95) and 1× Bel (7,50)."""
    bell = CatalogItem.objects.create(business=world.x, name="Bel", price_cents=750)
    ReturnReason.objects.create(
        business=world.x, code="damaged", label_nl="Beschadigd", label_en="Damaged", position=1
    )
    ReturnReason.objects.create(
        business=world.x, code="too_small", label_nl="Te klein", label_en="Too small", position=2
    )
    ReturnReason.objects.create(business=world.y, code="other_y", label_nl="Y", label_en="Y")
    r = api(world.owner).post(
        f"{API}/orders",
        {
            "customer_id": world.customer_a.pk,
            "lines": [{"item": shop["item"].pk, "quantity": 2}, {"item": bell.pk, "quantity": 1}],
            "delivery": {"date": tomorrow().isoformat(), "window": "18:00-21:00"},
        },
    )
    assert r.status_code == 201, r.content
    order = Order.objects.get(pk=r.json()["id"])
    r = api(world.carrier).post(
        f"{API}/carrier/events", {"order_id": order.pk, "status": "delivered"}
    )
    assert r.status_code == 201, r.content
    return order


def _lines(order: Order) -> tuple[int, int]:
    first, second = order.lines.order_by("id").values_list("pk", flat=True)
    return first, second


def test_it_lists_the_businesss_reasons_in_the_readers_language(world: World, api: Any) -> None:
    Customer.objects.filter(pk=world.customer_a.pk).update(language="en")  # reads English
    ReturnReason.objects.create(
        business=world.x, code="damaged", label_nl="Beschadigd", label_en="Damaged"
    )
    ReturnReason.objects.create(
        business=world.x, code="gone", label_nl="Weg", label_en="Gone", active=False
    )
    ReturnReason.objects.create(business=world.y, code="y", label_nl="Y", label_en="Y")
    r = api(world.customer_a).get(f"{API}/return-reasons")
    assert r.json() == {"items": [{"code": "damaged", "label": "Damaged"}], "count": 1}
    client = api(world.customer_a)
    r = client.client.get(f"{API}/return-reasons", **client._headers({"Accept-Language": "nl"}))
    assert r.json()["items"] == [{"code": "damaged", "label": "Beschadigd"}]
    assert api(world.customer_y).get(f"{API}/return-reasons").json()["items"][0]["code"] == "y"
    assert_error(api(None).get(f"{API}/return-reasons"), 401)


def test_a_customer_returns_one_of_two_items_with_a_reason_and_gets_a_label(
    world: World, api: Any, login: Any, delivered: Order
) -> None:
    Customer.objects.filter(pk=world.customer_a.pk).update(language="en")  # reads English
    brakes, _bell = _lines(delivered)
    me = api(world.customer_a)
    r = me.post(
        f"{API}/me/orders/{delivered.pk}/returns",
        {
            "lines": [{"line_id": brakes, "quantity": 1}],
            "reason_code": "damaged",
            "outcome": "exchange",
            "method": "dropoff",
            "pickup_point": "tabak-centrum",
        },
    )
    assert r.status_code == 201, r.content
    body = r.json()
    ret = ReturnRequest.objects.get(pk=body["id"])
    assert body["lines"] == [{"line_id": brakes, "item": "Remblokken", "quantity": 1}]
    assert (body["reason_code"], body["outcome"], body["method"]) == (
        "damaged",
        "exchange",
        "dropoff",
    )
    assert body["label"] == {
        "code": ret.label_code,
        "qr_svg_url": f"/api/v1/me/returns/{ret.pk}/label.svg",
    }
    assert len(ret.label_code) == 12 and ret.label_code.startswith("RT-")
    need = Need.objects.get(pk=body["need_id"])
    assert need.summary == f"Return of order #{delivered.pk}: 1× Remblokken"
    started = JournalEvent.objects.get(need=need, kind=EventKind.RETURN_STARTED)
    assert started.data["lines"] == [{"line_id": brakes, "quantity": 1}]
    assert started.data["label_code"] == ret.label_code
    svg = me.get(body["label"]["qr_svg_url"])
    assert svg.status_code == 200 and svg["Content-Type"] == "image/svg+xml"
    assert svg.content.startswith(b"<?xml") and ret.label_code.encode() in svg.content
    for other in (world.customer_b, world.customer_y):
        assert_error(api(other).get(body["label"]["qr_svg_url"]), 404)
    staff_page = login(need.owner).get(f"/console/delivery/orders/{delivered.pk}/")
    assert ret.label_code in staff_page.content.decode()
    assert "<li>1× Remblokken</li>" in staff_page.content.decode()
    # The exchange follows on arrival: a replacement of what the items cost, by the owner.
    owner = api(need.owner)
    r = owner.post(f"{API}/returns/{ret.pk}/arrived", {})
    assert r.status_code == 200, r.content
    remedy = Remedy.objects.get(need=need)
    assert (remedy.kind, remedy.amount_cents) == ("replacement", 1995)


@pytest.mark.parametrize(
    ("lines", "field"),
    [
        ([{"line_id": "first", "quantity": 3}], "lines.0.quantity"),
        ([{"line_id": "first", "quantity": 0}], "lines.0.quantity"),
        ([{"line_id": 999999, "quantity": 1}], "lines.0.line_id"),
        (
            [{"line_id": "first", "quantity": 1}, {"line_id": "first", "quantity": 1}],
            "lines.1.line_id",
        ),
        ([], "lines"),
    ],
)
def test_it_never_takes_back_more_than_was_delivered(
    world: World, api: Any, delivered: Order, lines: list[dict[str, Any]], field: str
) -> None:
    brakes, _bell = _lines(delivered)
    body_lines = [
        {**ln, "line_id": brakes if ln["line_id"] == "first" else ln["line_id"]} for ln in lines
    ]
    r = api(world.customer_a).post(
        f"{API}/me/orders/{delivered.pk}/returns",
        {"lines": body_lines, "reason_code": "damaged", "method": "pickup"},
    )
    assert r.status_code == 422, r.content
    assert [e["field"] for e in r.json()["errors"]] == [field]
    assert ReturnRequest.objects.count() == 0 and ReturnLine.objects.count() == 0
    assert Need.objects.filter(kind="return").count() == 0


def test_what_was_returned_is_not_returnable_again(
    world: World, api: Any, delivered: Order
) -> None:
    brakes, bell = _lines(delivered)
    me = api(world.customer_a)
    first = me.post(
        f"{API}/me/orders/{delivered.pk}/returns",
        {
            "lines": [{"line_id": brakes, "quantity": 2}],
            "reason_code": "damaged",
            "method": "pickup",
        },
    ).json()
    need = Need.objects.get(pk=first["need_id"])
    owner = need.owner
    if owner.authority_cents < 2 * 1995:  # above the owner's authority: 403, nothing changes
        assert_error(api(owner).post(f"{API}/returns/{first['id']}/arrived", {}), 403)
        assert ReturnRequest.objects.get(pk=first["id"]).status == "requested"
        assert Remedy.objects.count() == 0
        type(owner).objects.filter(pk=owner.pk).update(authority_cents=5000)
    assert api(owner).post(f"{API}/returns/{first['id']}/arrived", {}).status_code == 200
    assert Remedy.objects.get(need=need).amount_cents == 2 * 1995
    again = me.post(
        f"{API}/me/orders/{delivered.pk}/returns",
        {
            "lines": [{"line_id": brakes, "quantity": 1}],
            "reason_code": "damaged",
            "method": "pickup",
        },
    )
    assert_error(again, 422, "lines.0.line_id")
    r = me.post(
        f"{API}/me/orders/{delivered.pk}/returns",
        {"reason_code": "too_small", "method": "pickup"},
    )
    assert r.status_code == 201, r.content
    assert r.json()["lines"] == [{"line_id": bell, "item": "Bel", "quantity": 1}]


def test_a_reason_must_come_from_the_businesss_list(
    world: World, api: Any, delivered: Order
) -> None:
    me = api(world.customer_a)
    url = f"{API}/me/orders/{delivered.pk}/returns"
    assert_error(me.post(url, {"reason": "kapot", "method": "pickup"}), 422, "reason_code")
    assert_error(me.post(url, {"reason_code": "other_y", "method": "pickup"}), 422, "reason_code")
    assert ReturnRequest.objects.count() == 0

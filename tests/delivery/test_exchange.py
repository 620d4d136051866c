"""Issue #14: the exchange follows when the item arrives. A new order for the same items and
quantities, at no charge, serving the return's need and naming the original order, with
its own delivery the customer steers; within the owner's authority; once, however often
the arrival is recorded."""

from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from klantstuur.accounts.models import User
from klantstuur.businesses.models import StaffMember
from klantstuur.catalog.models import CatalogItem
from klantstuur.core.errors import Conflict
from klantstuur.customers.models import Customer
from klantstuur.delivery import returns as return_services
from klantstuur.delivery.models import Delivery, ReturnRequest
from klantstuur.needs.models import EventKind, JournalEvent, Remedy
from klantstuur.orders.models import Order, OrderLine
from klantstuur.orders.services import LineSpec, order_place
from tests.conftest import World
from tests.delivery.test_api import API, shop, tomorrow
from tests.delivery.test_returns_lines import _lines, delivered
from tests.helpers import assert_error

__all__ = ["delivered", "shop"]


def _exchange(api: Any, world: World, order: Order, lines: list[dict[str, int]]) -> dict[str, Any]:
    r = api(world.customer_a).post(
        f"{API}/me/orders/{order.pk}/returns",
        {"lines": lines, "reason_code": "too_small", "outcome": "exchange", "method": "pickup"},
    )
    assert r.status_code == 201, r.content
    return dict(r.json())


def _owner(body: dict[str, Any], cents: int) -> StaffMember:
    StaffMember.objects.filter(pk=body["owner"]["id"]).update(authority_cents=cents)
    return StaffMember.objects.get(pk=body["owner"]["id"])


def test_the_exchange_order_follows_the_arrival_at_no_charge_with_its_own_delivery(
    world: World, api: Any, delivered: Order
) -> None:
    brakes, _bell = _lines(delivered)
    body = _exchange(api, world, delivered, [{"line_id": brakes, "quantity": 2}])
    owner = _owner(body, 5000)
    r = api(owner).post(f"{API}/returns/{body['id']}/arrived", {})
    assert r.status_code == 200, r.content
    ret = ReturnRequest.objects.get(pk=body["id"])
    assert r.json()["exchange_order_id"] == ret.exchange_order_id is not None
    ex = Order.objects.get(pk=ret.exchange_order_id)
    assert (ex.customer_id, ex.exchange_of_id, ex.need_id, ex.total_cents, ex.status) == (
        world.customer_a.pk,
        delivered.pk,
        ret.need_id,
        0,
        "placed",
    )
    assert list(OrderLine.objects.filter(order=ex).values_list("item__name", "quantity")) == [
        ("Remblokken", 2)
    ]
    assert set(OrderLine.objects.filter(order=ex).values_list("price_cents", flat=True)) == {0}
    # The owner's authority: the replacement of what the items cost, as before.
    remedy = Remedy.objects.get(need_id=ret.need_id)
    assert (remedy.kind, remedy.amount_cents) == ("replacement", 2 * 1995)
    # Its own delivery, booked in the first free slot, to where she asked for the original.
    d = Delivery.objects.get(order=ex)
    assert d.status == "scheduled" and d.promised_place == {"kind": "home"}
    assert Delivery.objects.get(order=delivered).version == 1  # the original is untouched
    # Journaled on the return's need: placed (naming the return), received, booked, arrived.
    kinds = list(
        JournalEvent.objects.filter(need_id=ret.need_id).order_by("id").values_list("kind", "data")
    )
    placed = next(d for k, d in kinds if k == EventKind.ORDER_PLACED)
    assert placed["exchange_for"] == {"order_id": delivered.pk, "return_id": ret.pk}
    assert placed["total_cents"] == 0
    arrived = next(d for k, d in kinds if k == EventKind.RETURN_ARRIVED)
    assert arrived == {"order_id": delivered.pk, "return_id": ret.pk, "exchange_order_id": ex.pk}
    assert [k for k, _d in kinds][-4:] == [
        EventKind.ORDER_PLACED,
        EventKind.CHECKPOINT,
        EventKind.DELIVERY_CHANGED,
        EventKind.RETURN_ARRIVED,
    ]
    # In the API: on her list and as an order, naming the original and the return.
    me = api(world.customer_a)
    listed = {o["id"]: o for o in me.get(f"{API}/me/orders").json()["items"]}
    assert listed[ex.pk]["exchange_of"] == {"order_id": delivered.pk, "return_id": ret.pk}
    assert listed[delivered.pk]["exchange_of"] is None
    assert me.get(f"{API}/me/orders/{ex.pk}").json()["exchange_of"]["return_id"] == ret.pk
    # She steers it like any order (to the next day: today's morning window may have
    # closed already, whatever the hour the test runs at).
    next_day = Delivery.objects.get(order=ex).promised_date + timedelta(days=1)
    moved = me.put(
        f"{API}/me/orders/{ex.pk}/delivery",
        {"date": next_day.isoformat(), "window": "08:00-12:00"},
    )
    assert moved.status_code == 200, moved.content
    assert Delivery.objects.get(order=ex).promised_window.code == "08:00-12:00"


def test_above_the_owners_authority_it_waits_and_nothing_is_placed(
    world: World, api: Any, delivered: Order
) -> None:
    brakes, _bell = _lines(delivered)
    body = _exchange(api, world, delivered, [{"line_id": brakes, "quantity": 2}])
    owner = _owner(body, 1000)  # the replacement is worth 39,90
    orders_before = Order.objects.count()
    assert_error(api(owner).post(f"{API}/returns/{body['id']}/arrived", {}), 403)
    ret = ReturnRequest.objects.get(pk=body["id"])
    assert (ret.status, ret.exchange_order_id) == ("requested", None)
    assert Order.objects.count() == orders_before and Remedy.objects.count() == 0
    assert not JournalEvent.objects.filter(kind=EventKind.RETURN_ARRIVED).exists()
    # Someone who may (here: the owner, given the authority) records it: one order follows.
    owner = _owner(body, 5000)
    assert api(owner).post(f"{API}/returns/{body['id']}/arrived", {}).status_code == 200
    assert Order.objects.count() == orders_before + 1


def test_an_arrival_recorded_twice_places_one_order(
    world: World, api: Any, delivered: Order
) -> None:
    brakes, bell = _lines(delivered)
    body = _exchange(
        api,
        world,
        delivered,
        [{"line_id": brakes, "quantity": 1}, {"line_id": bell, "quantity": 1}],
    )
    owner = _owner(body, 5000)
    client = api(owner)
    assert_error(
        client.post(f"{API}/returns/{body['id']}/arrived", {"refund_cents": 100}),
        422,
        "refund_cents",
    )
    assert client.post(f"{API}/returns/{body['id']}/arrived", {}).status_code == 200
    assert_error(client.post(f"{API}/returns/{body['id']}/arrived", {}), 409)
    assert Order.objects.filter(exchange_of=delivered).count() == 1
    assert Remedy.objects.count() == 1
    ex = Order.objects.get(exchange_of=delivered)
    assert sorted(ex.lines.values_list("item__name", "quantity")) == [
        ("Bel", 1),
        ("Remblokken", 1),
    ]
    # Another business's staff never see it.
    assert_error(api(world.stranger).post(f"{API}/returns/{body['id']}/arrived", {}), 404)


def test_the_portal_shows_the_exchange_order_and_links_it_to_the_return(
    world: World, api: Any, login: Any, delivered: Order
) -> None:
    brakes, _bell = _lines(delivered)
    body = _exchange(api, world, delivered, [{"line_id": brakes, "quantity": 1}])
    owner = _owner(body, 5000)
    assert api(owner).post(f"{API}/returns/{body['id']}/arrived", {}).status_code == 200
    ex = Order.objects.get(exchange_of=delivered)
    Customer.objects.filter(pk=world.customer_a.pk).update(language="nl")
    web = login(world.customer_a)
    listing = web.get("/portal/orders/").content.decode()
    assert "Ruilbestelling" in listing
    assert f'href="/portal/orders/{delivered.pk}/#return-{body["id"]}"' in listing
    page = web.get(f"/portal/orders/{ex.pk}/").content.decode()
    assert 'id="exchange-badge">Ruilbestelling<' in page
    assert "1× Remblokken" in page
    original = web.get(f"/portal/orders/{delivered.pk}/").content.decode()
    assert f'href="/portal/orders/{ex.pk}/"' in original
    assert "Waarom: Te klein" in original
    staff = login(owner).get(f"/console/delivery/orders/{delivered.pk}/").content.decode()
    assert f'href="/console/delivery/orders/{ex.pk}/"' in staff
    assert "Te klein" in staff and "too_small" not in staff
    need = web.get(f"/portal/needs/{ret_need(body)}/").content.decode()
    assert f"Ruilbestelling #{ex.pk} geplaatst" in need


def ret_need(body: dict[str, Any]) -> int:
    return int(body["need_id"])


@pytest.mark.django_db(transaction=False)
@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    ordered=st.lists(st.integers(min_value=1, max_value=5), min_size=1, max_size=3),
    data=st.data(),
    arrivals=st.integers(min_value=1, max_value=3),
)
def test_an_exchange_never_sends_more_than_was_returned(
    world: World, shop: dict[str, Any], ordered: list[int], data: Any, arrivals: int
) -> None:
    """Whatever was ordered and whichever part of it goes back, the exchange order holds
    exactly what was returned (never more than delivered), at no charge, once."""
    with transaction.atomic(), translation.override("en"):
        items = [
            CatalogItem.objects.create(business=world.x, name=f"Item {n}", price_cents=100 + n)
            for n in range(len(ordered))
        ]
        order = order_place(
            business=world.x,
            lines=[LineSpec(item_id=i.pk, quantity=q) for i, q in zip(items, ordered, strict=True)],
            channel="customer",
            customer=world.customer_a,
            actor_customer=world.customer_a,
            delivery={"date": tomorrow().isoformat(), "window": "18:00-21:00"},
        )
        Order.objects.filter(pk=order.pk).update(status="fulfilled")
        lines = list(order.lines.order_by("id"))
        back = [data.draw(st.integers(min_value=0, max_value=ln.quantity)) for ln in lines]
        chosen = [{"line_id": ln.pk, "quantity": q} for ln, q in zip(lines, back, strict=True) if q]
        if not chosen:
            chosen = [{"line_id": lines[0].pk, "quantity": 1}]
        ret = return_services.return_start(
            customer=world.customer_a,
            order=order,
            lines=chosen,
            reason="too small",
            outcome="exchange",
            method="pickup",
        )
        owner = StaffMember.objects.get(pk=ret.need.owner_id)
        StaffMember.objects.filter(pk=owner.pk).update(authority_cents=10**6)
        owner.refresh_from_db()
        for n in range(arrivals):
            try:
                return_services.return_arrived(staff=owner, ret=ret)
            except Conflict:
                assert n > 0
        exchanges = list(Order.objects.filter(exchange_of=order))
        assert len(exchanges) == 1 and exchanges[0].total_cents == 0
        got = {(ln.item_id, ln.quantity, ln.price_cents) for ln in exchanges[0].lines.all()}
        by_line = {ln.pk: ln for ln in lines}
        wanted = {(by_line[c["line_id"]].item_id, c["quantity"], 0) for c in chosen}
        assert got == wanted
        for item_id, qty, _p in got:
            delivered_qty = sum(ln.quantity for ln in lines if ln.item_id == item_id)
            assert qty <= delivered_qty
        transaction.set_rollback(True)


def test_the_console_records_the_arrival_within_the_owners_authority(
    world: World, api: Any, login: Any, delivered: Order
) -> None:
    brakes, _bell = _lines(delivered)
    body = _exchange(api, world, delivered, [{"line_id": brakes, "quantity": 2}])
    owner = _owner(body, 1000)  # the replacement is worth 39,90
    User.objects.filter(pk=owner.user_id).update(language="nl")
    url = f"/console/delivery/returns/{body['id']}/arrived"
    page = login(owner).post(url)
    assert page.status_code == 403
    assert "39,90" in page.content.decode()  # the refusal names the amount and who may
    assert ReturnRequest.objects.get(pk=body["id"]).status == "requested"
    assert not Order.objects.filter(exchange_of=delivered).exists()
    owner = _owner(body, 5000)
    done = login(owner).post(url)
    assert (
        done.status_code == 302 and done["Location"] == f"/console/delivery/orders/{delivered.pk}/"
    )
    assert Order.objects.filter(exchange_of=delivered).count() == 1
    again = login(owner).post(url)
    assert again.status_code == 409
    assert Order.objects.filter(exchange_of=delivered).count() == 1

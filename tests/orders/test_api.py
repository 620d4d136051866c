"""The orders foundation: catalog, placing an order, checkpoints for staff and customer alike."""

from typing import Any

import pytest

from klantstuur.catalog.models import CatalogItem, Station
from klantstuur.needs.models import EventKind, JournalEvent, Need
from klantstuur.orders.checkpoints import checkpoint_record
from klantstuur.orders.models import Checkpoint, Order
from tests.conftest import World


@pytest.fixture
def menu(world: World) -> dict[str, Any]:
    griddle = Station.objects.create(business=world.x, code="pannenkoeken", name="Pannenkoeken")
    return {
        "pancake": CatalogItem.objects.create(
            business=world.x, name="Spek", price_cents=1150, station=griddle, prep_minutes=12
        ),
        "other": CatalogItem.objects.create(business=world.y, name="Y only", price_cents=100),
    }


def test_it_lists_the_catalog_with_stations(world: World, api: Any, menu: dict[str, Any]) -> None:
    r = api(world.owner).get("/api/v1/catalog")
    assert r.status_code == 200
    assert r.json()["count"] == 1
    assert r.json()["items"][0]["station"] == "pannenkoeken"
    assert r.json()["items"][0]["price_cents"] == 1150


def test_it_places_a_customer_order_with_a_need_and_an_owner(
    world: World, api: Any, menu: dict[str, Any]
) -> None:
    r = api(world.owner).post(
        "/api/v1/orders",
        {
            "customer_id": world.customer_a.pk,
            "lines": [{"item": menu["pancake"].pk, "quantity": 2}],
        },
    )
    assert r.status_code == 201, r.content
    body = r.json()
    need = Need.objects.get(pk=body["need_id"])
    assert need.kind == "order"
    assert body["owner"] == {"id": need.owner_id, "name": need.owner.name}
    assert body["lines"][0]["station"] == "pannenkoeken"
    assert body["promise"]["due_at"] is not None
    assert [c["code"] for c in body["checkpoints"]] == ["order_received"]
    order = Order.objects.get(pk=body["id"])
    assert order.total_cents == 2300
    assert JournalEvent.objects.filter(need=need, kind=EventKind.ORDER_PLACED).count() == 1


def test_it_shows_the_customer_the_same_checkpoints(
    world: World, api: Any, menu: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    staff = api(world.owner)
    body = staff.post(
        "/api/v1/orders",
        {"customer_id": world.customer_a.pk, "lines": [{"item": menu["pancake"].pk}]},
    ).json()
    from django.db import transaction

    order = Order.objects.get(pk=body["id"])
    with transaction.atomic():
        checkpoint_record(order=order, code="packed", actor_staff=world.owner)
    staff_view = staff.get(f"/api/v1/orders/{order.pk}").json()["checkpoints"]
    customer = api(world.customer_a)
    with django_assert_max_num_queries(8):
        mine = customer.get(f"/api/v1/me/orders/{order.pk}")
    assert mine.status_code == 200
    assert mine.json()["checkpoints"] == staff_view
    assert [c["code"] for c in staff_view] == ["order_received", "packed"]


def test_it_refuses_other_customers_and_businesses(
    world: World, api: Any, menu: dict[str, Any]
) -> None:
    body = (
        api(world.owner)
        .post(
            "/api/v1/orders",
            {"customer_id": world.customer_a.pk, "lines": [{"item": menu["pancake"].pk}]},
        )
        .json()
    )
    assert api(world.customer_b).get(f"/api/v1/me/orders/{body['id']}").status_code == 404
    assert api(world.stranger).get(f"/api/v1/orders/{body['id']}").status_code == 404
    assert api(world.customer_a).get(f"/api/v1/orders/{body['id']}").status_code == 403
    # another business's item, another business's customer: nothing placed
    before = (Order.objects.count(), Need.objects.count(), Checkpoint.objects.count())
    r = api(world.owner).post(
        "/api/v1/orders",
        {"customer_id": world.customer_a.pk, "lines": [{"item": menu["other"].pk}]},
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "lines.0.item"
    r = api(world.owner).post(
        "/api/v1/orders",
        {"customer_id": world.customer_y.pk, "lines": [{"item": menu["pancake"].pk}]},
    )
    assert r.status_code == 404
    r = api(world.owner).post("/api/v1/orders", {"customer_id": world.customer_a.pk, "lines": []})
    assert r.status_code == 422
    assert (Order.objects.count(), Need.objects.count(), Checkpoint.objects.count()) == before

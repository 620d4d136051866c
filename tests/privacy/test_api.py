# ruff: noqa: F811  (pytest fixtures shared from tests/delivery/test_api.py)
"""The customer's own data: export, preferences, erasure once obligations end."""

from typing import Any

import pytest
from django.utils import timezone

from klantstuur.customers.models import Customer
from klantstuur.needs.models import Need
from klantstuur.orders.models import Order
from klantstuur.privacy.services import erasures_carry_out
from tests.conftest import World
from tests.delivery.test_api import API, _order, shop  # noqa: F401
from tests.helpers import assert_error


@pytest.fixture(autouse=True)
def _english(settings: Any) -> None:
    """These tests read English texts written by the services; Dutch is the default."""
    settings.LANGUAGE_CODE = "en"


def test_export_holds_everything_about_me_and_nothing_of_others(
    world: World, api: Any, shop: dict[str, Any]
) -> None:
    order = _order(api, world, shop)
    body = api(world.customer_a).get(f"{API}/me/export").json()
    assert body["customer"]["email"] == "a@example.com"
    assert [o["id"] for o in body["orders"]] == [order.pk]
    assert body["orders"][0]["delivery"]["promised"]["window"] == "18:00-21:00"
    other = api(world.customer_b).get(f"{API}/me/export").json()
    assert other["orders"] == [] and other["customer"]["email"] == "b@example.com"
    assert_error(api(world.owner).get(f"{API}/me/export"), 403)
    assert api(None).get(f"{API}/me/export").status_code == 401


def test_preferences_are_mine_to_set(world: World, api: Any) -> None:
    r = api(world.customer_a).patch(f"{API}/me/preferences", {"notify_by_email": False})
    assert r.status_code == 200 and r.json() == {"notify_by_email": False}
    assert not Customer.objects.get(pk=world.customer_a.pk).notify_by_email
    assert Customer.objects.get(pk=world.customer_b.pk).notify_by_email
    assert_error(
        api(world.customer_a).patch(f"{API}/me/preferences", {"notify_by_email": "nope"}),
        422,
        "notify_by_email",
    )


def test_erasure_waits_for_open_orders_then_anonymises(
    world: World, api: Any, shop: dict[str, Any]
) -> None:
    order = _order(api, world, shop)
    r = api(world.customer_a).post(f"{API}/me/erasure")
    assert r.status_code == 202, r.content
    assert set(r.json()["waiting_for"]) == {"open_needs", "open_orders"}
    assert erasures_carry_out(timezone.now()) == 0
    Order.objects.filter(pk=order.pk).update(status="fulfilled")
    Need.objects.filter(customer=world.customer_a).update(status="solved", solved_at=timezone.now())
    assert erasures_carry_out(timezone.now()) == 1
    c = Customer.objects.get(pk=world.customer_a.pk)
    assert c.email is None and c.name.startswith("Erased") and c.erased_at
    assert Order.objects.get(pk=order.pk).total_cents == 1995  # the bookkeeping stays
    assert Customer.objects.get(pk=world.customer_b.pk).email == "b@example.com"
    assert erasures_carry_out(timezone.now()) == 0

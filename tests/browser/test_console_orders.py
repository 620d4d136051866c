# ruff: noqa: F811  (pytest fixtures shared from tests/delivery/test_api.py)
"""Staff find an order in a real browser: the orders list → the failed delivery waiting
for the customer's choice → its delivery page."""

from typing import Any

import pytest

from tests.browser.conftest import shot
from tests.browser.test_reschedule import _login
from tests.conftest import World
from tests.delivery.test_api import API, place_order, shop  # noqa: F401


@pytest.mark.django_db(transaction=True)
def test_staff_find_the_order_waiting_for_the_customer(
    world: World, live_server: Any, desk: Any, api: Any, shop: dict[str, Any]
) -> None:
    ids = [place_order(api, world, shop).json()["id"] for _ in range(3)]
    failed = ids[1]
    r = api(world.carrier).post(
        f"{API}/carrier/events",
        {"order_id": failed, "status": "attempt_failed", "reason": "not_at_home"},
    )
    assert r.status_code == 201
    _login(desk.context, live_server.url, world.owner.user)
    desk.goto(f"{live_server.url}/console/")
    desk.click("nav >> text=Bestellingen")
    for order_id in ids:
        assert desk.locator(f"a[href='/console/delivery/orders/{order_id}/']").count() == 1
    desk.select_option("select[name=delivery]", "problem")
    desk.click("button:has-text('Filteren')")
    rows = desk.locator("table.orders tbody tr")
    assert rows.count() == 1
    assert "wacht op de keuze van de klant" in rows.first.inner_text()
    shot(desk, "console-orders-problem")
    desk.click(f"a[href='/console/delivery/orders/{failed}/']")
    desk.wait_for_url(f"**/console/delivery/orders/{failed}/")
    assert f"#{failed}" in desk.content()

"""Issue #16 in a real browser: Bram offers to accept parcels, Anna asks him to take
hers from her phone, Bram accepts from his; both see it, the delivery keeps its owner."""

from datetime import time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from klantstuur.accounts.services import customer_user
from klantstuur.catalog.models import CatalogItem
from klantstuur.delivery.models import Delivery, DeliverySettings, DeliveryWindow
from klantstuur.orders.services import LineSpec, order_place
from tests.browser.conftest import assert_accessible, shot
from tests.browser.test_community import _phone
from tests.conftest import World

AMS = ZoneInfo("Europe/Amsterdam")


@pytest.mark.django_db(transaction=True)
def test_anna_asks_bram_to_take_her_parcel_and_he_accepts(
    world: World, live_server: Any, browser: Any, settings: Any
) -> None:
    settings.SITE_URL = base = live_server.url
    DeliverySettings.objects.create(business=world.x, horizon_days=14)
    DeliveryWindow.objects.create(business=world.x, starts=time(18), ends=time(21))
    item = CatalogItem.objects.create(business=world.x, name="Remblokken", price_cents=1495)
    tomorrow = timezone.localtime(timezone.now(), AMS).date() + timedelta(days=1)
    order = order_place(
        business=world.x,
        lines=[LineSpec(item_id=item.pk)],
        channel="customer",
        customer=world.customer_a,
        delivery={"date": tomorrow.isoformat(), "window": "18:00-21:00"},
    )
    owner = order.need.owner_id

    bram = _phone(browser, base, customer_user(customer=world.customer_b))
    bram.goto(f"{base}/portal/community/neighbours/")
    assert_accessible(bram)
    bram.fill("#id_postcode", "3512 JK")
    bram.fill("#id_house_number", "14")
    bram.fill("#id_hours_at_home", "doordeweeks na 17:00")
    bram.click("form[action='/portal/community/neighbours/offer'] button")
    bram.locator("#offer-h").wait_for()

    anna = _phone(browser, base, customer_user(customer=world.customer_a))
    anna.goto(f"{base}/portal/community/neighbours/?postcode=3512JK")
    assert_accessible(anna)
    assert "b@example.com" not in anna.content()
    anna.fill(f"#hn-{world.customer_b.pk}-{order.pk}", "12")
    anna.click(f"#neighbour-{world.customer_b.pk} form button")
    anna.wait_for_load_state()
    shot(anna, "neighbours-1-anna-asked")

    bram.goto(f"{base}/portal/community/neighbours/")
    bram.locator("#inbox-h").wait_for()
    assert_accessible(bram)
    bram.click("button[name=answer][value=accept]")
    bram.locator("#journal-h").wait_for()
    shot(bram, "neighbours-2-bram-accepted")

    delivery = Delivery.objects.get(order=order)
    assert delivery.place_kind == "neighbour"
    assert delivery.promised_place == {"kind": "neighbour", "house_number": "14", "name": "Bram"}
    order.refresh_from_db()
    assert order.need.owner_id == owner
    anna.goto(f"{base}/portal/needs/{order.need_id}/")
    assert "Bram" in anna.locator("#timeline").inner_text()
    assert_accessible(anna)

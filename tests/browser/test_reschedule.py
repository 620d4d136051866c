"""Issue #4 in a real browser: the customer reschedules at 23:30 on a phone → the carrier
reports a failed attempt → the customer sees the message and picks a pickup point → the
owner's console shows it."""

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.test import Client
from django.utils import timezone

from klantstuur.accounts.services import customer_user
from klantstuur.catalog.models import CatalogItem
from klantstuur.delivery.models import Delivery, DeliverySettings, DeliveryWindow, PickupPoint
from klantstuur.needs.models import EventKind, JournalEvent
from klantstuur.orders.services import LineSpec, order_place
from tests.browser.conftest import shot
from tests.conftest import World

AMS = ZoneInfo("Europe/Amsterdam")


def _login(context: Any, base: str, user: Any) -> None:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    context.add_cookies(
        [{"name": django_settings.SESSION_COOKIE_NAME, "value": cookie, "url": base}]
    )


@pytest.mark.django_db(transaction=True)
def test_the_customer_reschedules_at_2330_and_picks_a_pickup_point_after_a_failed_attempt(
    world: World, live_server: Any, phone: Any, desk: Any, settings: Any, api: Any, monkeypatch: Any
) -> None:
    settings.SITE_URL = live_server.url
    today = timezone.localtime(timezone.now(), AMS).date()
    late_evening = datetime.combine(today, time(23, 30), tzinfo=AMS)
    monkeypatch.setattr(timezone, "now", lambda: late_evening)
    tomorrow = today + timedelta(days=1)

    DeliverySettings.objects.create(business=world.x)
    DeliveryWindow.objects.create(business=world.x, starts=time(8), ends=time(12))
    DeliveryWindow.objects.create(business=world.x, starts=time(18), ends=time(21))
    PickupPoint.objects.create(
        business=world.x,
        code="tabak",
        name="Tabakszaak Centrum",
        address="Markt 12",
        postcode="3511 AB",
    )
    item = CatalogItem.objects.create(business=world.x, name="Remblokken", price_cents=1495)
    order = order_place(
        business=world.x,
        lines=[LineSpec(item_id=item.pk)],
        channel="customer",
        customer=world.customer_a,
        actor_customer=world.customer_a,
        delivery={"date": tomorrow.isoformat(), "window": "18:00-21:00"},
    )

    # 23:30: the customer moves the delivery to tomorrow morning from their phone.
    _login(phone.context, live_server.url, customer_user(customer=world.customer_a))
    phone.goto(f"{live_server.url}/portal/orders/{order.pk}/")
    # Phone first: one compact menu in the bar; its links appear when it is opened.
    assert not phone.locator("li.portal-link").first.is_visible()
    shot(phone, "portal-nav-390-closed")
    phone.locator(".portal-menu summary").click()
    phone.locator(".portal-menu a[href='/portal/orders/instructions/']").wait_for()
    current = phone.locator(".portal-menu a[aria-current=page]")
    assert current.get_attribute("href") == "/portal/orders/"
    shot(phone, "portal-nav-390-open")
    phone.locator(".portal-menu summary").click()
    phone.locator("#change summary").click()
    phone.select_option("#change select[name=window]", "08:00-12:00")
    shot(phone, "reschedule-1-at-2330")
    phone.click("#change button[type=submit]")
    phone.locator("#promise", has_text="08:00-12:00").wait_for()
    assert Delivery.objects.get(order=order).promised_window.code == "08:00-12:00"

    # The carrier reports a failed attempt (its integration account, through the API).
    monkeypatch.setattr(timezone, "now", lambda: late_evening + timedelta(hours=10))
    mail.outbox.clear()
    r = api(world.carrier).post(
        "/api/v1/carrier/events",
        {
            "order_id": order.pk,
            "status": "attempt_failed",
            "reason": "not_at_home",
            "note": "Niemand thuis",
        },
    )
    assert r.status_code == 201, r.content
    assert [m.to for m in mail.outbox] == [["a@example.com"]]  # told first, before asking

    # The customer sees the message, and picks a pickup point.
    phone.goto(f"{live_server.url}/portal/orders/{order.pk}/")
    phone.locator("#choose").wait_for()
    assert "Niemand thuis" in phone.locator("#choose").inner_text()
    shot(phone, "reschedule-2-failed-attempt")
    phone.check("#change input[name=place][value=pickup_point]")
    phone.select_option("#change select[name=pickup_point]", "tabak")
    phone.select_option("#change select[name=date]", (tomorrow + timedelta(days=1)).isoformat())
    phone.click("#change button[type=submit]")
    phone.locator("#promise", has_text="Tabakszaak Centrum").wait_for()
    assert phone.locator("#choose").count() == 0
    shot(phone, "reschedule-3-pickup-point")

    # The owner's console shows it: the alert and the customer's choice on the need.
    _login(desk.context, live_server.url, world.owner.user)
    desk.goto(f"{live_server.url}/console/needs/{order.need_id}/")
    desk.locator("#timeline li.ev-alert").wait_for()
    assert (
        desk.locator("#timeline li.ev-delivery_changed").count() == 3
    )  # booked, 23:30, pickup point
    shot(desk, "reschedule-4-owner-console")
    kinds = list(JournalEvent.objects.filter(need_id=order.need_id).values_list("kind", flat=True))
    assert kinds.count(EventKind.ALERT) == 1

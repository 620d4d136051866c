"""Issue #14 in a real browser, on a phone: Anna reschedules, the parcel goes out, her change
is refused kindly, it is delivered, she returns one of two items with a reason and gets a
label; her timeline and her calendar file agree with the staff's view. She asked for an
exchange: when the owner records that the item arrived, an exchange order for the same item
is on her list. Every customer page visited passes axe-core (WCAG 2 AA)."""

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from icalendar import Calendar

from klantstuur.accounts.services import customer_user
from klantstuur.businesses.models import StaffMember
from klantstuur.catalog.models import CatalogItem
from klantstuur.delivery.models import (
    Delivery,
    DeliverySettings,
    DeliveryWindow,
    PickupPoint,
    ReturnLine,
    ReturnReason,
    ReturnRequest,
)
from klantstuur.orders.models import Order
from klantstuur.orders.services import LineSpec, order_place
from tests.browser.conftest import assert_accessible, shot
from tests.browser.test_reschedule import AMS, _login
from tests.conftest import World


@pytest.mark.django_db(transaction=True)
def test_anna_reschedules_is_refused_kindly_once_out_and_returns_one_of_two_items(
    world: World, live_server: Any, phone: Any, desk: Any, settings: Any, api: Any
) -> None:
    from datetime import time

    settings.SITE_URL = live_server.url
    DeliverySettings.objects.create(business=world.x, carrier_name="PostNL")
    DeliveryWindow.objects.create(business=world.x, starts=time(8), ends=time(12))
    DeliveryWindow.objects.create(business=world.x, starts=time(18), ends=time(21))
    PickupPoint.objects.create(
        business=world.x,
        code="tabak",
        name="Tabakszaak Centrum",
        address="Markt 12",
        postcode="3511 AB",
        opening_hours="ma-za 8-20",
    )
    ReturnReason.objects.create(
        business=world.x, code="wrong_size", label_nl="Verkeerde maat", label_en="Wrong size"
    )
    tube = CatalogItem.objects.create(business=world.x, name="Binnenband 26 inch", price_cents=899)
    oil = CatalogItem.objects.create(business=world.x, name="Kettingolie", price_cents=795)
    in_two_days = timezone.localtime(timezone.now(), AMS).date() + timedelta(days=2)
    order = order_place(
        business=world.x,
        lines=[LineSpec(item_id=tube.pk), LineSpec(item_id=oil.pk)],
        channel="customer",
        customer=world.customer_a,
        actor_customer=world.customer_a,
        delivery={"date": in_two_days.isoformat(), "window": "18:00-21:00"},
    )
    base = live_server.url
    _login(phone.context, base, customer_user(customer=world.customer_a))

    # 1. Anna moves it to the morning from her phone; the list names what is in it.
    phone.goto(f"{base}/portal/orders/")
    assert "1× Binnenband 26 inch, 1× Kettingolie" in phone.locator(".order-items").inner_text()
    assert_accessible(phone)
    phone.goto(f"{base}/portal/orders/{order.pk}/")
    assert phone.locator("#headline").inner_text().startswith("Verwacht op")
    assert_accessible(phone)
    phone.locator("#change summary").click()
    phone.select_option("#change select[name=window]", "08:00-12:00")
    assert_accessible(phone)
    phone.click("#change button[type=submit]")
    phone.locator("#promise", has_text="08:00-12:00").wait_for()
    shot(phone, "i14-1-rescheduled")

    # 2. The parcel goes out: the carrier names itself and its number.
    carrier = api(world.carrier)
    for status in ("info_received", "in_transit", "out_for_delivery"):
        r = carrier.post(
            "/api/v1/carrier/events",
            {
                "order_id": order.pk,
                "status": status,
                "carrier": "PostNL",
                "tracking_number": "3SKLNT0000042",
            },
        )
        assert r.status_code == 201, r.content
    phone.goto(f"{base}/portal/orders/{order.pk}/")
    closed = phone.locator("#changes-closed")
    closed.wait_for()
    assert "Je pakket zit al in de bus" in closed.inner_text()
    assert phone.locator("#change").count() == 0  # nothing to change any more
    assert phone.locator("#tracking-number").inner_text() == "3SKLNT0000042"
    assert phone.locator("ol.progress-steps li[aria-current=step]").inner_text() == (
        "Wordt vandaag bezorgd"
    )
    assert_accessible(phone)
    shot(phone, "i14-2-out-for-delivery-closed")
    # Her change through the API is refused too, naming why.
    r = api(world.customer_a).put(
        f"/api/v1/me/orders/{order.pk}/delivery", {"window": "18:00-21:00"}
    )
    assert r.status_code == 409 and r.json()["status"] == "out_for_delivery"

    # 3. Delivered; she returns the inner tube (one of two), wrong size, for the right one.
    assert (
        carrier.post(
            "/api/v1/carrier/events", {"order_id": order.pk, "status": "delivered"}
        ).status_code
        == 201
    )
    phone.goto(f"{base}/portal/orders/{order.pk}/")
    phone.locator("#return summary").click()
    form = phone.locator("#return-form")
    form.wait_for()
    lines = list(order.lines.order_by("id").values_list("pk", flat=True))
    phone.fill(f"#return-form input[name=qty_{lines[0]}]", "1")
    phone.fill(f"#return-form input[name=qty_{lines[1]}]", "0")
    phone.select_option("#return-form select[name=reason_code]", "wrong_size")
    phone.check("#return-form input[name=outcome][value=exchange]")
    phone.check("#return-form input[name=method][value=dropoff]")
    phone.select_option("#return-form select[name=pickup_point]", "tabak")
    assert_accessible(phone)
    shot(phone, "i14-3-return-form")
    phone.click("#return-form button[type=submit]")
    phone.locator("#return-label").wait_for()
    ret = ReturnRequest.objects.get(order=order)
    assert phone.locator("#label-code").inner_text() == ret.label_code
    assert phone.locator("#return-label svg").count() == 1
    assert phone.locator("#label-lines").inner_text() == "1× Binnenband 26 inch"
    assert list(ReturnLine.objects.values_list("line_id", "quantity")) == [(lines[0], 1)]
    assert (ret.reason_code, ret.outcome, ret.method) == ("wrong_size", "exchange", "dropoff")
    assert_accessible(phone)
    shot(phone, "i14-4-return-label")

    # 4. Her timeline and her calendar file agree with the staff's view.
    d = Delivery.objects.get(order=order)
    ics = phone.request.get(f"{base}/portal/orders/{order.pk}/delivery.ics")
    event = Calendar.from_ical(ics.body()).walk("VEVENT")[0]
    assert (event.decoded("DTSTART"), event.decoded("DTEND")) == (d.window_start, d.window_end)
    assert int(event["SEQUENCE"]) == d.version - 1 == 1
    phone.goto(f"{base}/portal/needs/{order.need_id}/")
    assert_accessible(phone)
    mine = phone.locator("#timeline").inner_text()
    _login(desk.context, base, world.owner.user)
    desk.goto(f"{base}/console/delivery/orders/{order.pk}/")
    staff_checkpoints = desk.locator("#checkpoints").inner_text()
    for words in ("Bezorgd", "Wordt vandaag bezorgd", "Onderweg"):
        assert words in staff_checkpoints
        assert words in mine
    assert "08:00-12:00" in desk.locator("#promised").inner_text()
    assert "08:00-12:00" in mine or "08:00" in mine
    shot(desk, "i14-5-staff-view")

    # 5. The tube arrives; its owner records it (within their authority) and the exchange
    # order follows: on Anna's list, at no charge, linked to her return.
    owner = StaffMember.objects.get(pk=ret.need.owner_id)
    StaffMember.objects.filter(pk=owner.pk).update(authority_cents=5000)
    _login(desk.context, base, owner.user)
    desk.goto(f"{base}/console/delivery/orders/{order.pk}/")
    assert "Verkeerde maat" in desk.locator("#returns").inner_text()
    desk.click(".return-arrived button[type=submit]")
    desk.locator("#returns .exchange-order").wait_for()
    ret.refresh_from_db()
    exchange = Order.objects.get(pk=ret.exchange_order_id)
    assert (exchange.exchange_of_id, exchange.total_cents) == (order.pk, 0)
    shot(desk, "i14-6-arrived-exchange-placed")
    phone.goto(f"{base}/portal/orders/")
    card = phone.locator("article.order-card", has=phone.locator(".badge-exchange"))
    assert card.count() == 1
    assert "Ruilbestelling" in card.inner_text()
    assert "1× Binnenband 26 inch" in card.locator(".order-items").inner_text()
    assert_accessible(phone)
    shot(phone, "i14-7-exchange-order-listed")
    card.locator(".exchange-of a").click()
    phone.locator(f"#return-{ret.pk} .exchange-order").wait_for()
    phone.goto(f"{base}/portal/orders/{exchange.pk}/")
    assert phone.locator("#exchange-badge").inner_text() == "Ruilbestelling"
    assert_accessible(phone)

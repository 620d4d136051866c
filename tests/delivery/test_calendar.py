"""Issue #14: the promised window in the customer's calendar — one VEVENT, a stable UID and a
SEQUENCE that rises with every change, so a calendar replaces the event it has."""

from datetime import timedelta
from typing import Any

from icalendar import Calendar

from klantstuur.customers.models import Customer
from klantstuur.delivery.models import Delivery, DeliverySettings
from tests.conftest import World
from tests.delivery.test_api import API, _order, shop, tomorrow
from tests.helpers import assert_error

__all__ = ["shop"]


def _event(response: Any) -> Any:
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    events = Calendar.from_ical(response.content).walk("VEVENT")
    assert len(events) == 1
    return events[0]


def test_the_calendar_file_follows_every_change_with_the_same_uid(
    world: World, api: Any, shop: dict[str, Any]
) -> None:
    Customer.objects.filter(pk=world.customer_a.pk).update(language="en")  # reads English
    DeliverySettings.objects.filter(business=world.x).update(carrier_name="PostNL")
    order = _order(api, world, shop)
    me = api(world.customer_a)
    url = f"{API}/me/orders/{order.pk}/delivery.ics"
    first = _event(me.get(url))
    d = Delivery.objects.get(order=order)
    assert str(first["UID"]) == f"delivery-{order.pk}@{world.x.slug}.klantstuur"
    assert int(first["SEQUENCE"]) == 0
    assert (first.decoded("DTSTART"), first.decoded("DTEND")) == (d.window_start, d.window_end)
    assert str(first["STATUS"]) == "CONFIRMED"
    assert "Carrier: PostNL" in str(first["DESCRIPTION"])
    new_day = tomorrow() + timedelta(days=2)
    r = me.put(f"{API}/me/orders/{order.pk}/delivery", {"date": new_day.isoformat()})
    assert r.status_code == 200, r.content
    second = _event(me.get(url))
    d.refresh_from_db()
    assert str(second["UID"]) == str(first["UID"])
    assert int(second["SEQUENCE"]) == 1
    assert second.decoded("DTSTART") == d.window_start and d.window_start.date() == new_day
    r = me.put(f"{API}/me/orders/{order.pk}/delivery", {"window": "08:00-12:00"})
    assert int(_event(me.get(url))["SEQUENCE"]) == 2


def test_only_the_orders_customer_gets_its_calendar_file(
    world: World, api: Any, shop: dict[str, Any]
) -> None:
    order = _order(api, world, shop)
    url = f"{API}/me/orders/{order.pk}/delivery.ics"
    for other in (world.customer_b, world.customer_y):
        assert_error(api(other).get(url), 404)
    assert_error(api(world.owner).get(url), 403)
    assert_error(api(None).get(url), 401)

# ruff: noqa: F811  (pytest fixtures shared from tests/delivery/test_api.py)
"""Delivery pages and reads: bounded queries, the change form loaded when opened, the staff
delivery page, the promise in the reader's language, Idempotency-Key on delivery writes."""

from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _

from klantstuur.delivery.models import CarrierEvent, Delivery, SlotLoad
from klantstuur.needs.models import JournalEvent
from klantstuur.orders.checkpoints import label
from klantstuur.orders.models import Checkpoint, OrderLine
from tests.conftest import World
from tests.delivery.test_api import API, _order, commits, shop, tomorrow  # noqa: F401
from tests.helpers import assert_error, snapshot

HX = {"HTTP_HX_REQUEST": "true"}


def _with_history(
    api: Any, world: World, shop: dict[str, Any], upto: str = "out_for_delivery"
) -> Any:
    order = _order(api, world, shop)
    carrier = api(world.carrier)
    statuses = ("info_received", "in_transit", "out_for_delivery")
    for status in statuses[: statuses.index(upto) + 1]:
        assert (
            carrier.post(
                f"{API}/carrier/events", {"order_id": order.pk, "status": status}
            ).status_code
            == 201
        )
    return order


def test_the_tracking_page_is_bounded_and_computes_no_options(
    world: World, api: Any, login: Any, shop: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    order = _with_history(api, world, shop, upto="in_transit")  # still changeable
    web = login(world.customer_a)
    web.get(f"/portal/orders/{order.pk}/")  # warm the session
    with django_assert_max_num_queries(8):
        r = web.get(f"/portal/orders/{order.pk}/")
    assert r.status_code == 200
    body = r.content.decode()
    assert 'id="promise"' in body and "18:00-21:00" in body
    assert 'name="date"' not in body  # the options load when the panel opens
    assert f"/portal/orders/{order.pk}/change" in body


def test_the_change_form_loads_when_opened_and_only_for_the_owner_of_the_order(
    world: World, api: Any, login: Any, shop: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    order = _order(api, world, shop)
    web = login(world.customer_a)
    web.get(f"/portal/orders/{order.pk}/")
    with django_assert_max_num_queries(12):
        r = web.get(f"/portal/orders/{order.pk}/change", **HX)
    assert r.status_code == 200
    body = r.content.decode()
    assert 'name="date"' in body and "08:00-12:00" in body and "<html" not in body
    full = web.get(f"/portal/orders/{order.pk}/change")  # without htmx: the whole page
    assert full.status_code == 200 and 'name="date"' in full.content.decode()
    assert login(world.customer_b).get(f"/portal/orders/{order.pk}/change", **HX).status_code == 404
    assert login(world.owner).get(f"/portal/orders/{order.pk}/change", **HX).status_code == 403


def test_the_customer_order_endpoint_and_options_are_bounded(
    world: World, api: Any, shop: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    order = _with_history(api, world, shop)
    me = api(world.customer_a)
    me.get(f"{API}/me/orders/{order.pk}")
    with django_assert_max_num_queries(8):
        r = me.get(f"{API}/me/orders/{order.pk}")
    assert r.status_code == 200 and len(r.json()["checkpoints"]) == 4
    with django_assert_max_num_queries(8):
        r = me.get(f"{API}/delivery-options", postcode="1012 AB")
    assert r.status_code == 200 and r.json()["dates"]
    with django_assert_max_num_queries(8):
        r = me.get(f"{API}/me/orders/{order.pk}/delivery")
    assert r.status_code == 200


def test_the_promise_is_rendered_in_the_readers_language(
    world: World, api: Any, shop: dict[str, Any]
) -> None:
    order = _order(api, world, shop)
    me = api(world.customer_a)
    me.put(
        f"{API}/me/orders/{order.pk}/delivery",
        {"place": {"kind": "neighbour", "house_number": "14", "name": "Jansen"}},
    )
    en = me.client.get(
        f"{API}/me/orders/{order.pk}/delivery", HTTP_ACCEPT_LANGUAGE="en", **me._headers()
    ).json()["promise"]
    nl = me.client.get(
        f"{API}/me/orders/{order.pk}/delivery", HTTP_ACCEPT_LANGUAGE="nl", **me._headers()
    ).json()["promise"]
    assert "With a neighbour" in en and "Jansen" in en
    assert en != nl and "Jansen" in nl
    ev = JournalEvent.objects.filter(kind="delivery_changed").last()
    assert ev is not None and ev.data["after"]["place"]["name"] == "Jansen"  # structured


def test_staff_see_delivery_events_in_the_need_timeline(
    world: World, api: Any, login: Any, shop: dict[str, Any]
) -> None:
    order = _order(api, world, shop)
    api(world.customer_a).put(f"{API}/me/orders/{order.pk}/delivery", {"window": "08:00-12:00"})
    api(world.carrier).post(
        f"{API}/carrier/events",
        {"order_id": order.pk, "status": "attempt_failed", "reason": "not_at_home"},
    )
    r = login(world.owner).get(f"/console/needs/{order.need_id}/")
    assert r.status_code == 200
    body = r.content.decode()
    with translation.override("nl"):  # the staff member's language
        assert _("Delivery booked") in body and _("Delivery changed") in body
        assert str(label("attempt_failed")) in body and "08:00-12:00" in body
    portal = login(world.customer_a).get(f"/portal/needs/{order.need_id}/")
    assert portal.status_code == 200 and "08:00-12:00" in portal.content.decode()
    # A kind no branch knows (another app's, or a future one) shows its name, never a 500.
    from django.template.loader import render_to_string

    from klantstuur.needs.models import JournalEvent as Ev

    odd = Ev(kind="party_seated", data={"anything": 1}, customer=world.customer_a)
    html = render_to_string("delivery/event_detail.html", {"event": odd, "d": odd.data})
    assert html.strip() == str(odd.get_kind_display())


def test_the_staff_delivery_page_is_for_staff_of_the_business(
    world: World, api: Any, login: Any, shop: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    order = _with_history(api, world, shop)
    page = f"/console/delivery/orders/{order.pk}/"
    desk = login(world.colleague)
    desk.get(page)
    with django_assert_max_num_queries(10):
        r = desk.get(page)
    assert r.status_code == 200
    body = r.content.decode()
    assert "Olga Owner" in body and 'id="requested"' in body and 'id="promised"' in body
    assert "cp-out_for_delivery" in body and "/out-of-stock" in body
    assert login(world.stranger).get(page).status_code == 404
    assert login(world.customer_a).get(page).status_code == 403
    assert login(world.carrier).get(page).status_code == 403
    r = api(world.owner).get(f"{API}/orders/{order.pk}/delivery")
    assert r.json()["console_url"] == page


def test_staff_record_a_scan_and_out_of_stock_there_others_change_nothing(
    world: World, api: Any, login: Any, shop: dict[str, Any]
) -> None:
    order = _order(api, world, shop)
    line = order.lines.get()
    scan = f"/console/delivery/orders/{order.pk}/scan"
    oos = f"/console/delivery/orders/{order.pk}/lines/{line.pk}/out-of-stock"
    before = snapshot(), Checkpoint.objects.count(), list(OrderLine.objects.values("status"))
    assert login(world.stranger).post(scan, {"code": "packed"}).status_code == 404
    assert login(world.stranger).post(oos).status_code == 404
    assert login(world.customer_a).post(oos).status_code == 403
    assert login(world.owner).post(scan, {"code": "delivered"}).status_code == 422
    assert (
        snapshot(),
        Checkpoint.objects.count(),
        list(OrderLine.objects.values("status")),
    ) == before
    desk = login(world.owner)
    assert desk.post(scan, {"code": "packed"}).status_code == 302
    assert desk.post(oos).status_code == 302
    codes = list(order.checkpoints.values_list("code", flat=True))
    assert codes == ["order_received", "packed", "exception"]
    assert OrderLine.objects.get(pk=line.pk).status == "cancelled"


def test_a_retried_carrier_event_with_the_same_key_changes_nothing(
    world: World, api: Any, shop: dict[str, Any]
) -> None:
    order = _order(api, world, shop)
    carrier = api(world.carrier)
    body = {"order_id": order.pk, "status": "in_transit"}
    first = carrier.post(f"{API}/carrier/events", body, headers={"Idempotency-Key": "ev-1"})
    assert first.status_code == 201
    after = snapshot(), CarrierEvent.objects.count(), Checkpoint.objects.count()
    again = carrier.post(f"{API}/carrier/events", body, headers={"Idempotency-Key": "ev-1"})
    assert (again.status_code, again.content) == (201, first.content)
    assert again["Idempotent-Replayed"] == "true"
    assert (snapshot(), CarrierEvent.objects.count(), Checkpoint.objects.count()) == after
    assert CarrierEvent.objects.count() == 1


def test_a_retried_delivery_change_with_the_same_key_changes_nothing(
    world: World, api: Any, shop: dict[str, Any]
) -> None:
    order = _order(api, world, shop)
    me = api(world.customer_a)
    url = f"{API}/me/orders/{order.pk}/delivery"
    first = me.put(url, {"window": "08:00-12:00"}, headers={"Idempotency-Key": "ch-1"})
    assert first.status_code == 200, first.content
    d = Delivery.objects.get(order=order)
    after = snapshot(), list(SlotLoad.objects.values_list("key", "date", "booked")), d.version
    again = me.put(url, {"window": "08:00-12:00"}, headers={"Idempotency-Key": "ch-1"})
    assert (again.status_code, again.content) == (200, first.content)
    assert again["Idempotent-Replayed"] == "true"
    d.refresh_from_db()
    assert (
        snapshot(),
        list(SlotLoad.objects.values_list("key", "date", "booked")),
        d.version,
    ) == after
    # The same key from another customer is not their answer: a 404, nothing changed.
    assert_error(
        api(world.customer_b).put(
            url, {"window": "18:00-21:00"}, headers={"Idempotency-Key": "ch-1"}
        ),
        404,
    )

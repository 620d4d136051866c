"""Delivery the customer steers: options, booking, changing until the cutoff, carrier events,
proactive service, the "promise about to break" sweep (time travel)."""

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.utils import timezone

from klantstuur.catalog.models import CatalogItem
from klantstuur.delivery import proactive
from klantstuur.delivery.models import (
    CarrierEvent,
    Delivery,
    DeliverySettings,
    DeliveryWindow,
    PickupPoint,
    SlotLoad,
)
from klantstuur.needs.models import EventKind, JournalEvent, Need
from klantstuur.orders.models import Checkpoint, Order
from tests.conftest import World
from tests.helpers import assert_error, settle

AMS = ZoneInfo("Europe/Amsterdam")
API = "/api/v1"


def at(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm), tzinfo=AMS)


@pytest.fixture
def shop(world: World) -> dict[str, Any]:
    DeliverySettings.objects.create(business=world.x, horizon_days=14, webhook_secret="")
    morning = DeliveryWindow.objects.create(
        business=world.x, starts=time(8), ends=time(12), capacity=2, cutoff_minutes=360
    )
    evening = DeliveryWindow.objects.create(
        business=world.x, starts=time(18), ends=time(21), capacity=50, cutoff_minutes=360
    )
    point = PickupPoint.objects.create(
        business=world.x,
        code="tabak-centrum",
        name="Tabak Centrum",
        address="Markt 1",
        postcode="1012 AB",
    )
    DeliveryWindow.objects.create(business=world.y, starts=time(9), ends=time(10))
    item = CatalogItem.objects.create(business=world.x, name="Remblokken", price_cents=1995)
    return {"morning": morning, "evening": evening, "point": point, "item": item}


@pytest.fixture
def commits(django_capture_on_commit_callbacks: Any) -> Any:
    """Run after-commit reactions (proactive service, e-mail) inside a test transaction."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def tomorrow() -> date:
    return timezone.localtime(timezone.now(), AMS).date() + timedelta(days=1)


def place_order(api: Any, world: World, shop: dict[str, Any], **delivery: Any) -> Any:
    body = {
        "customer_id": world.customer_a.pk,
        "lines": [{"item": shop["item"].pk, "quantity": 1}],
        "delivery": {"date": tomorrow().isoformat(), "window": "18:00-21:00", **delivery},
    }
    return api(world.owner).post(f"{API}/orders", body)


def test_it_lists_options_with_cutoffs(world: World, api: Any, shop: dict[str, Any]) -> None:
    r = api(world.customer_a).get(f"{API}/delivery-options", postcode="1012ab")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["postcode"] == "1012 AB"
    assert body["horizon_days"] == 14
    assert 14 <= len(body["dates"]) <= 15
    windows = body["dates"][-1]["windows"]
    assert [w["window"] for w in windows] == ["08:00-12:00", "18:00-21:00"]
    assert windows[0]["remaining"] == 2
    assert [p["code"] for p in body["pickup_points"]] == ["tabak-centrum"]
    assert {p["kind"] for p in body["places"]} == {"home", "neighbour", "pickup_point", "address"}


def test_it_refuses_options_to_a_carrier_and_a_bad_postcode(
    world: World, api: Any, shop: dict[str, Any]
) -> None:
    assert_error(api(world.carrier).get(f"{API}/delivery-options"), 403)
    assert_error(
        api(world.customer_a).get(f"{API}/delivery-options", postcode="abc"), 422, "postcode"
    )
    assert api(None).get(f"{API}/delivery-options").status_code == 401


def test_it_books_the_request_beside_the_promise(
    world: World, api: Any, shop: dict[str, Any]
) -> None:
    r = place_order(
        api, world, shop, place={"kind": "neighbour", "house_number": "14", "name": "Jansen"}
    )
    assert r.status_code == 201, r.content
    order = Order.objects.get(pk=r.json()["id"])
    d = Delivery.objects.get(order=order)
    assert d.requested_date == d.promised_date == tomorrow()
    assert d.requested_window == d.promised_window == shop["evening"]
    assert d.promised_place == {"kind": "neighbour", "house_number": "14", "name": "Jansen"}
    assert d.window_start == at(tomorrow(), 18)
    assert d.cutoff_at == at(tomorrow(), 12)
    assert order.promised_at == at(tomorrow(), 21)
    assert "18:00-21:00" in order.promise_text
    assert SlotLoad.objects.get(key=f"w{shop['evening'].pk}", date=tomorrow()).booked == 1
    assert (
        JournalEvent.objects.filter(need=order.need, kind=EventKind.DELIVERY_CHANGED).count() == 1
    )


@pytest.mark.parametrize(
    ("delivery", "field"),
    [
        ({"date": "2000-01-01"}, "delivery.date"),
        ({"date": "not-a-date"}, "delivery.date"),
        ({"date": (date.today() + timedelta(days=40)).isoformat()}, "delivery.date"),
        ({"window": "07:00-08:00"}, "delivery.window"),
        ({"window": "evening"}, "delivery.window"),
        (
            {"place": {"kind": "pickup_point", "pickup_point": "nope"}},
            "delivery.place.pickup_point",
        ),
        ({"place": {"kind": "neighbour", "house_number": "14"}}, "delivery.place.name"),
        ({"place": {"kind": "moon"}}, "delivery.place.kind"),
        (
            {"place": {"kind": "address", "street": "X 1", "postcode": "??", "city": "A"}},
            "delivery.place.postcode",
        ),
    ],
)
def test_it_refuses_a_bad_booking_and_changes_nothing(
    world: World, api: Any, shop: dict[str, Any], delivery: dict[str, Any], field: str
) -> None:
    before = (Order.objects.count(), Need.objects.count(), JournalEvent.objects.count())
    r = place_order(api, world, shop, **delivery)
    assert_error(r, 422, field)
    assert (Order.objects.count(), Need.objects.count(), JournalEvent.objects.count()) == before
    assert SlotLoad.objects.filter(booked__gt=0).count() == 0


def test_a_full_slot_is_a_409_with_options(world: World, api: Any, shop: dict[str, Any]) -> None:
    for _ in range(2):
        assert place_order(api, world, shop, window="08:00-12:00").status_code == 201
    r = place_order(api, world, shop, window="08:00-12:00")
    body = assert_error(r, 409, "window")
    assert body["options"] and all("cutoff" in o for o in body["options"])
    assert Order.objects.count() == 2


def _order(api: Any, world: World, shop: dict[str, Any]) -> Order:
    r = place_order(api, world, shop)
    assert r.status_code == 201, r.content
    return Order.objects.get(pk=r.json()["id"])


def test_the_customer_changes_date_window_and_place(
    world: World, api: Any, shop: dict[str, Any]
) -> None:
    order = _order(api, world, shop)
    new_day = tomorrow() + timedelta(days=2)
    r = api(world.customer_a).put(
        f"{API}/me/orders/{order.pk}/delivery",
        {
            "date": new_day.isoformat(),
            "window": "08:00-12:00",
            "place": {"kind": "pickup_point", "pickup_point": "tabak-centrum"},
        },
    )
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["promised"] == body["requested"]
    assert body["promised"]["window"] == "08:00-12:00"
    assert body["promised"]["place"]["name"] == "Tabak Centrum"
    assert SlotLoad.objects.get(key=f"w{shop['evening'].pk}", date=tomorrow()).booked == 0
    assert SlotLoad.objects.get(key=f"w{shop['morning'].pk}", date=new_day).booked == 1
    assert SlotLoad.objects.get(key=f"p{shop['point'].pk}", date=new_day).booked == 1
    ev = JournalEvent.objects.filter(need=order.need, kind=EventKind.DELIVERY_CHANGED).last()
    assert ev is not None and ev.actor_customer_id == world.customer_a.pk
    assert ev.data["before"]["window"] == "18:00-21:00"


def test_another_customer_cannot_see_or_change_it(
    world: World, api: Any, shop: dict[str, Any]
) -> None:
    order = _order(api, world, shop)
    d = Delivery.objects.get(order=order)
    for who in (world.customer_b, world.customer_y):
        assert_error(
            api(who).put(f"{API}/me/orders/{order.pk}/delivery", {"window": "08:00-12:00"}), 404
        )
        assert_error(api(who).get(f"{API}/me/orders/{order.pk}/delivery"), 404)
    assert_error(api(world.stranger).get(f"{API}/orders/{order.pk}/delivery"), 404)
    assert_error(
        api(world.owner).put(f"{API}/me/orders/{order.pk}/delivery", {"window": "08:00-12:00"}), 403
    )
    assert_error(
        api(world.customer_a).put(
            f"{API}/me/orders/99999999999999999999/delivery", {"window": "08:00-12:00"}
        ),
        404,
    )
    d2 = Delivery.objects.get(pk=d.pk)
    assert (d2.version, d2.promised_window_id) == (1, shop["evening"].pk)


def test_changes_close_at_the_cutoff_with_a_409_naming_it(
    world: World, api: Any, shop: dict[str, Any], monkeypatch: Any
) -> None:
    order = _order(api, world, shop)
    day = tomorrow()
    monkeypatch.setattr(timezone, "now", lambda: at(day, 11, 59))
    r = api(world.customer_a).put(
        f"{API}/me/orders/{order.pk}/delivery",
        {"place": {"kind": "neighbour", "house_number": "3", "name": "Piet"}},
    )
    assert r.status_code == 200, r.content
    monkeypatch.setattr(timezone, "now", lambda: at(day, 12, 0))
    r = api(world.customer_a).put(
        f"{API}/me/orders/{order.pk}/delivery",
        {"window": "08:00-12:00", "date": (day + timedelta(days=1)).isoformat()},
    )
    body = assert_error(r, 409)
    assert datetime.fromisoformat(body["cutoff"]) == at(day, 12)
    assert body["options"][0]["condition"] == "not_at_home"
    assert Delivery.objects.get(order=order).version == 2


def test_at_2330_the_customer_moves_to_the_next_morning_until_its_cutoff(
    world: World, api: Any, shop: dict[str, Any], monkeypatch: Any
) -> None:
    order = _order(api, world, shop)
    day = tomorrow()
    monkeypatch.setattr(timezone, "now", lambda: at(day - timedelta(days=1), 23, 30))
    r = api(world.customer_a).put(f"{API}/me/orders/{order.pk}/delivery", {"window": "08:00-12:00"})
    assert r.status_code == 200, r.content
    assert datetime.fromisoformat(r.json()["cutoff"]) == at(day, 2)
    monkeypatch.setattr(timezone, "now", lambda: at(day, 2, 1))
    r = api(world.customer_a).put(f"{API}/me/orders/{order.pk}/delivery", {"window": "18:00-21:00"})
    body = assert_error(r, 409)
    assert datetime.fromisoformat(body["cutoff"]) == at(day, 2)
    assert Delivery.objects.get(order=order).promised_window == shop["morning"]


def test_a_carrier_posts_checkpoints_customer_and_staff_read_the_same(
    world: World, api: Any, shop: dict[str, Any]
) -> None:
    order = _order(api, world, shop)
    carrier = api(world.carrier)
    for status in ("info_received", "in_transit", "out_for_delivery", "delivered"):
        r = carrier.post(
            f"{API}/carrier/events",
            {"order_id": order.pk, "status": status, "location": "Hub Utrecht"},
        )
        assert r.status_code == 201, r.content
    mine = api(world.customer_a).get(f"{API}/me/orders/{order.pk}").json()["checkpoints"]
    staff = api(world.owner).get(f"{API}/orders/{order.pk}").json()["checkpoints"]
    assert mine == staff
    assert [c["code"] for c in mine][-4:] == [
        "info_received",
        "in_transit",
        "out_for_delivery",
        "delivered",
    ]
    assert Delivery.objects.get(order=order).status == "delivered"
    assert Order.objects.get(pk=order.pk).status == "fulfilled"


def test_carrier_refusals_change_nothing(world: World, api: Any, shop: dict[str, Any]) -> None:
    order = _order(api, world, shop)
    before = (
        Checkpoint.objects.count(),
        CarrierEvent.objects.count(),
        JournalEvent.objects.count(),
    )
    carrier = api(world.carrier)
    assert_error(
        carrier.post(f"{API}/carrier/events", {"order_id": order.pk, "status": "teleported"}),
        422,
        "status",
    )
    assert_error(
        carrier.post(f"{API}/carrier/events", {"order_id": 987654, "status": "in_transit"}),
        404,
        "order_id",
    )
    assert_error(
        carrier.post(
            f"{API}/carrier/events",
            {"order_id": order.pk, "status": "in_transit", "at": "2020-01-01T00:00:00+00:00"},
        ),
        422,
        "at",
    )
    assert_error(
        api(world.owner).post(
            f"{API}/carrier/events", {"order_id": order.pk, "status": "in_transit"}
        ),
        403,
    )
    assert_error(
        api(world.customer_a).post(
            f"{API}/carrier/events", {"order_id": order.pk, "status": "in_transit"}
        ),
        403,
    )
    assert_error(
        api(world.stranger).post(
            f"{API}/carrier/events", {"order_id": order.pk, "status": "in_transit"}
        ),
        403,
    )
    # a carrier account may do nothing else
    assert_error(carrier.get(f"{API}/needs"), 403)
    assert_error(carrier.get(f"{API}/orders/{order.pk}/delivery"), 403)
    assert_error(carrier.post(f"{API}/orders/{order.pk}/scans", {"code": "picked"}), 403)
    assert (
        Checkpoint.objects.count(),
        CarrierEvent.objects.count(),
        JournalEvent.objects.count(),
    ) == before


def test_a_carrier_of_another_business_gets_404(
    world: World, api: Any, shop: dict[str, Any]
) -> None:
    from klantstuur.businesses.models import Role
    from klantstuur.businesses.services import staff_create

    other = staff_create(
        business=world.y, email="c@y.example", name="C Y", role=Role.CARRIER, password="x-123456789"
    )
    order = _order(api, world, shop)
    assert_error(
        api(other).post(f"{API}/carrier/events", {"order_id": order.pk, "status": "in_transit"}),
        404,
    )
    assert CarrierEvent.objects.count() == 0


def test_a_repeated_event_id_is_not_counted_twice(
    world: World, api: Any, shop: dict[str, Any]
) -> None:
    order = _order(api, world, shop)
    body = {"order_id": order.pk, "status": "in_transit", "event_id": "evt-1"}
    assert api(world.carrier).post(f"{API}/carrier/events", body).status_code == 201
    r = api(world.carrier).post(f"{API}/carrier/events", body)
    assert r.status_code == 200 and r.json()["duplicate"] is True
    assert CarrierEvent.objects.count() == 1


def test_a_batch_reports_refusals_by_index(world: World, api: Any, shop: dict[str, Any]) -> None:
    order = _order(api, world, shop)
    events = [{"order_id": order.pk, "status": "in_transit", "event_id": f"e{n}"} for n in range(5)]
    events.append({"order_id": order.pk, "status": "nope"})
    r = api(world.carrier).post(f"{API}/carrier/events/batch", {"events": events})
    assert r.status_code == 200, r.content
    assert r.json()["accepted"] == 5
    assert r.json()["errors"][0]["index"] == 5
    assert CarrierEvent.objects.count() == 5


def test_a_failed_attempt_tells_the_customer_first_with_choices(
    world: World, api: Any, shop: dict[str, Any], commits: Any
) -> None:
    order = _order(api, world, shop)
    settle()
    with commits():
        r = api(world.carrier).post(
            f"{API}/carrier/events",
            {
                "order_id": order.pk,
                "status": "attempt_failed",
                "reason": "not_at_home",
                "note": "Niemand thuis",
            },
        )
    assert r.status_code == 201
    alert = JournalEvent.objects.get(kind=EventKind.ALERT)
    assert alert.need_id == order.need_id  # the order's need is reused, with its owner
    assert alert.visible_to_customer
    assert alert.data["choices"] == ["another_date", "pickup_point", "neighbour"]
    assert [m.to for m in mail.outbox] == [["a@example.com"]]
    assert "Niemand thuis" in mail.outbox[0].body
    # #14: the flag the order list shows, and what is in the order, in the e-mail too
    assert mail.outbox[0].subject.startswith("Je keuze is nodig — ")
    assert "Je bestelling: 1× Remblokken" in mail.outbox[0].body
    d = api(world.customer_a).get(f"{API}/me/orders/{order.pk}/delivery").json()
    assert d["needs_choice"] is True and d["problem"] == "attempt_failed"
    notices = api(world.customer_a).get(f"{API}/me/notifications").json()
    assert notices["count"] == 1 and notices["items"][0]["choices"]
    # The customer picks a pickup point: the choice is open again whatever the old cutoff.
    r = api(world.customer_a).put(
        f"{API}/me/orders/{order.pk}/delivery",
        {
            "date": (tomorrow() + timedelta(days=1)).isoformat(),
            "place": {"kind": "pickup_point", "pickup_point": "tabak-centrum"},
        },
    )
    assert r.status_code == 200, r.content
    assert r.json()["needs_choice"] is False and r.json()["status"] == "scheduled"
    assert api(world.customer_b).get(f"{API}/me/notifications").json()["count"] == 0


def test_a_problem_after_the_need_is_solved_opens_a_new_one_with_an_owner(
    world: World, api: Any, shop: dict[str, Any], commits: Any
) -> None:
    order = _order(api, world, shop)
    Need.objects.filter(pk=order.need_id).update(status="solved", solved_at=timezone.now())
    with commits():
        api(world.carrier).post(
            f"{API}/carrier/events", {"order_id": order.pk, "status": "exception"}
        )
    new = Need.objects.exclude(pk=order.need_id).get()
    assert new.owner_id is not None and new.contacts == 0
    assert Delivery.objects.get(order=order).problem_need_id == new.pk
    with commits():
        api(world.carrier).post(
            f"{API}/carrier/events", {"order_id": order.pk, "status": "attempt_failed"}
        )
    assert Need.objects.count() == 2  # reused


def test_the_sweep_warns_when_nothing_is_out_at_window_start_and_when_it_passed(
    world: World, api: Any, shop: dict[str, Any]
) -> None:
    order = _order(api, world, shop)
    assert proactive.promises_check(at(tomorrow(), 17, 59)) == 0
    assert proactive.promises_check(at(tomorrow(), 18, 1)) == 1
    assert proactive.promises_check(at(tomorrow(), 18, 2)) == 0  # once
    reasons = list(
        JournalEvent.objects.filter(kind=EventKind.ALERT).values_list("data__reason", flat=True)
    )
    assert reasons == ["not_out_for_delivery"]
    api(world.carrier).post(
        f"{API}/carrier/events", {"order_id": order.pk, "status": "out_for_delivery"}
    )
    assert proactive.promises_check(at(tomorrow(), 21, 1)) == 1
    reasons = list(
        JournalEvent.objects.filter(kind=EventKind.ALERT).values_list("data__reason", flat=True)
    )
    assert reasons == ["not_out_for_delivery", "window_missed"]
    assert Delivery.objects.get(order=order).needs_choice


def test_a_delivered_order_raises_no_alert(world: World, api: Any, shop: dict[str, Any]) -> None:
    order = _order(api, world, shop)
    api(world.carrier).post(f"{API}/carrier/events", {"order_id": order.pk, "status": "delivered"})
    assert proactive.promises_check(at(tomorrow(), 22)) == 0
    assert not JournalEvent.objects.filter(kind=EventKind.ALERT).exists()


def test_shop_scans_are_staff_only_and_named(world: World, api: Any, shop: dict[str, Any]) -> None:
    order = _order(api, world, shop)
    r = api(world.owner).post(f"{API}/orders/{order.pk}/scans", {"code": "picked"})
    assert r.status_code == 201, r.content
    assert_error(
        api(world.owner).post(f"{API}/orders/{order.pk}/scans", {"code": "delivered"}), 422, "code"
    )
    assert_error(
        api(world.stranger).post(f"{API}/orders/{order.pk}/scans", {"code": "packed"}), 404
    )
    assert list(Checkpoint.objects.filter(order=order).values_list("code", flat=True)) == [
        "order_received",
        "picked",
    ]

"""Carrier events in batches, set-based (issue #4): every accepted event stored once with its
checkpoint and journal event, duplicates counted, refusals by index, the same end state as
recording the events one by one, one reaction dispatch per batch, a bounded number of
queries whatever the batch size."""

import random
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, transaction
from django.utils import timezone

from klantstuur.businesses.models import Role, StaffMember
from klantstuur.businesses.services import staff_create
from klantstuur.catalog.models import CatalogItem
from klantstuur.core.errors import DomainError, Invalid, NotFound
from klantstuur.customers.models import Customer
from klantstuur.delivery.models import (
    CarrierEvent,
    Delivery,
    DeliverySettings,
    DeliveryWindow,
)
from klantstuur.delivery.services import ingest
from klantstuur.needs import consumers, reactions
from klantstuur.needs.models import EventKind, JournalEvent, Need
from klantstuur.orders.checkpoints import CARRIER_CODES
from klantstuur.orders.models import Checkpoint, Order
from klantstuur.orders.services import LineSpec, order_place
from tests.conftest import World
from tests.delivery import carrier_oracle
from tests.helpers import assert_error

AMS = ZoneInfo("Europe/Amsterdam")
BATCH = "/api/v1/carrier/events/batch"


@pytest.fixture
def item(world: World) -> CatalogItem:
    return shop(world)


def shop(world: World) -> CatalogItem:
    """Business X delivers in the evening (room for many orders); one item to order."""
    DeliverySettings.objects.create(business=world.x, horizon_days=14)
    DeliveryWindow.objects.create(
        business=world.x, starts=time(18), ends=time(21), capacity=1000, cutoff_minutes=360
    )
    return CatalogItem.objects.create(business=world.x, name="Remblokken", price_cents=1995)


@pytest.fixture
def commits(django_capture_on_commit_callbacks: Any) -> Any:
    return lambda: django_capture_on_commit_callbacks(execute=True)


def tomorrow() -> str:
    return (timezone.localtime(timezone.now(), AMS).date() + timedelta(days=1)).isoformat()


def orders(
    world: World, item: CatalogItem, n: int, customer: Customer | None = None
) -> list[Order]:
    return [
        order_place(
            business=world.x,
            customer=customer or world.customer_a,
            lines=[LineSpec(item_id=item.pk)],
            channel="shop",
            actor_staff=world.owner,
            delivery={"date": tomorrow(), "window": "18:00-21:00"},
        )
        for _ in range(n)
    ]


def post(api: Any, staff: StaffMember, events: list[Any]) -> dict[str, Any]:
    # The reasons asserted below are the English ones (the business's default is Dutch).
    r = api(staff).post(BATCH, {"events": events}, headers={"Accept-Language": "en"})
    assert r.status_code == 200, r.content
    body: dict[str, Any] = r.json()
    return body


def stored(order: Order) -> list[tuple[Any, ...]]:
    """The carrier events of an order with their checkpoint and journal event."""
    out = []
    for e in CarrierEvent.objects.filter(order=order).select_related("checkpoint__event"):
        cp = e.checkpoint
        assert cp is not None and cp.order_id == order.pk and cp.code == e.status and cp.at == e.at
        j = cp.event
        assert j.kind == EventKind.CHECKPOINT and j.need_id == order.need_id
        assert j.data["order_id"] == order.pk and j.data["code"] == e.status
        out.append((e.external_id, e.status))
    return out


def test_every_accepted_event_is_stored_once_with_its_checkpoint_and_journal_event(
    world: World, api: Any, item: CatalogItem
) -> None:
    some = orders(world, item, 3)
    events = [
        {
            "order_id": some[n % 3].pk,
            "status": ("info_received", "in_transit", "out_for_delivery")[n % 3],
            "event_id": f"e{n}",
            "location": " Hub Utrecht ",
            "note": "ok",
        }
        for n in range(30)
    ]
    cp0, j0 = Checkpoint.objects.count(), JournalEvent.objects.count()
    body = post(api, world.carrier, events)
    assert body == {"accepted": 30, "duplicates": 0, "errors": []}
    assert CarrierEvent.objects.count() == 30
    assert Checkpoint.objects.count() == cp0 + 30
    assert JournalEvent.objects.count() == j0 + 30
    for n, order in enumerate(some):
        assert sorted(stored(order)) == sorted(
            (f"e{k}", events[k]["status"]) for k in range(n, 30, 3)
        )
    e = CarrierEvent.objects.get(external_id="e0")
    assert (e.location, e.note, e.source, e.reason) == ("Hub Utrecht", "ok", "api", "")
    j = e.checkpoint.event  # type: ignore[union-attr]
    assert j.actor_staff_id == world.carrier.pk and j.visible_to_customer
    assert j.data == {
        "order_id": some[0].pk,
        "code": "info_received",
        "label": j.data["label"],
        "line_id": None,
        "location": "Hub Utrecht",
        "note": "ok",
        "reason": "",
        "source": "api",
    }
    assert Delivery.objects.get(order=some[1]).status == "in_transit"
    assert Order.objects.get(pk=some[2].pk).last_checkpoint == "out_for_delivery"


def test_duplicates_in_a_batch_and_against_earlier_batches_are_counted_not_stored(
    world: World, api: Any, item: CatalogItem
) -> None:
    a, b = orders(world, item, 2)
    first = [
        {"order_id": a.pk, "status": "in_transit", "event_id": "x1"},
        {"order_id": b.pk, "status": "in_transit", "event_id": "x2"},
        {"order_id": a.pk, "status": "in_transit", "event_id": "x1"},  # same batch
        {"order_id": b.pk, "status": "in_transit"},  # no id: never a duplicate
        {"order_id": b.pk, "status": "in_transit"},
    ]
    assert post(api, world.carrier, first) == {"accepted": 4, "duplicates": 1, "errors": []}
    second = [
        {"order_id": a.pk, "status": "in_transit", "event_id": "x1"},  # earlier batch
        {"order_id": a.pk, "status": "out_for_delivery", "event_id": "x3"},
        {"order_id": b.pk, "status": "in_transit", "event_id": " x2 "},  # stripped, as stored
        {"order_id": a.pk, "status": "out_for_delivery", "event_id": "x3"},
    ]
    assert post(api, world.carrier, second) == {"accepted": 1, "duplicates": 3, "errors": []}
    assert sorted(CarrierEvent.objects.values_list("external_id", flat=True)) == [
        "",
        "",
        "x1",
        "x2",
        "x3",
    ]
    assert Checkpoint.objects.filter(code__in=CARRIER_CODES).count() == 5
    assert JournalEvent.objects.filter(kind=EventKind.CHECKPOINT, data__source="api").count() == 5
    # the single endpoint sees the batch's ids too
    r = api(world.carrier).post(
        "/api/v1/carrier/events", {"order_id": a.pk, "status": "in_transit", "event_id": "x3"}
    )
    assert r.status_code == 200 and r.json()["duplicate"] is True
    assert r.json()["id"] == CarrierEvent.objects.get(external_id="x3").pk


def test_refusals_are_listed_by_index_and_only_the_good_events_are_stored(
    world: World, api: Any, item: CatalogItem
) -> None:
    (mine,) = orders(world, item, 1)
    y_item = CatalogItem.objects.create(business=world.y, name="Y", price_cents=100)
    theirs = order_place(
        business=world.y,
        customer=world.customer_y,
        lines=[LineSpec(item_id=y_item.pk)],
        channel="shop",
        actor_staff=world.stranger,
    )
    old = (timezone.now() - timedelta(days=90)).isoformat()
    events: list[Any] = [
        {"order_id": mine.pk, "status": "in_transit", "event_id": "ok-0"},  # 0
        {"order_id": 987654321, "status": "in_transit"},  # 1 unknown order
        {"order_id": mine.pk, "status": "teleported"},  # 2 unknown status
        {"order_id": theirs.pk, "status": "in_transit", "event_id": "y"},  # 3 Y's order
        {"order_id": str(mine.pk), "status": "in_transit"},  # 4 bad type
        {"order_id": mine.pk, "status": 5},  # 5 bad type
        {"order_id": mine.pk, "status": "in_transit", "at": old},  # 6 too long ago
        {"order_id": mine.pk, "status": "attempt_failed", "reason": "bored"},  # 7 bad reason
        {"order_id": mine.pk, "status": "in_transit", "colour": "red"},  # 8 unknown field
        {"order_id": mine.pk, "status": "in_transit", "event_id": "x" * 101},  # 9 too long
        {"order_id": mine.pk, "status": "in_transit", "location": "x" * 201},  # 10
        {"order_id": mine.pk, "status": "out_for_delivery", "event_id": "ok-1"},  # 11
        "in_transit",  # 12 not an object
        None,  # 13 not an object
    ]
    body = post(api, world.carrier, events)
    assert body["accepted"] == 2 and body["duplicates"] == 0
    got = {(e["index"], e["status"], e["field"]) for e in body["errors"]}
    assert got == {
        (1, 404, "order_id"),
        (2, 422, "status"),
        (3, 404, "order_id"),
        (4, 422, "order_id"),
        (5, 422, "status"),
        (6, 422, "at"),
        (7, 422, "reason"),
        (8, 422, "colour"),
        (9, 422, "event_id"),
        (10, 422, "location"),
        (12, 422, None),
        (13, 422, None),
    }
    assert [e["index"] for e in body["errors"]] == sorted(e["index"] for e in body["errors"])
    by_index = {e["index"]: e["reason"] for e in body["errors"]}
    assert by_index[1] == by_index[3] == "No such order."
    assert by_index[2].startswith("Unknown status; choose one of: info_received")
    assert by_index[7].startswith("Unknown reason; choose one of: not_at_home")
    assert "dictionary" in by_index[12] and "dictionary" in by_index[13]
    assert sorted(stored(mine)) == [("ok-0", "in_transit"), ("ok-1", "out_for_delivery")]
    assert CarrierEvent.objects.count() == 2
    assert not Checkpoint.objects.filter(order=theirs).exclude(code="order_received").exists()


def test_the_service_refuses_bad_types_by_index(world: World, item: CatalogItem) -> None:
    (mine,) = orders(world, item, 1)
    results = ingest.carrier_events_record(
        staff=world.carrier,
        events=[
            {"order_id": "1", "status": "in_transit"},
            {"order_id": True, "status": "in_transit"},
            {"order_id": mine.pk, "status": ["in_transit"]},
            {"order_id": mine.pk, "status": "in_transit", "at": "2026-01-01T00:00:00+00:00"},
            {"order_id": mine.pk, "status": "in_transit", "location": ["x"]},
            {"order_id": mine.pk, "status": "in_transit", "at": datetime(2026, 1, 1)},
            {"order_id": mine.pk, "status": "in_transit", "location": 12},
        ],
    )
    kinds = [(type(r).__name__, getattr(r, "field", None)) for r in results]
    assert kinds == [
        ("NotFound", "order_id"),
        ("NotFound", "order_id"),
        ("Invalid", "status"),
        ("Invalid", "at"),
        ("Invalid", "location"),
        ("Invalid", "at"),
        ("Recorded", None),
    ]
    assert CarrierEvent.objects.get().location == "12"


def test_a_carrier_of_another_business_is_refused_and_stores_nothing(
    world: World, api: Any, item: CatalogItem
) -> None:
    (mine,) = orders(world, item, 1)
    other = staff_create(
        business=world.y, email="c@y.example", name="C Y", role=Role.CARRIER, password="x-123456789"
    )
    body = post(api, other, [{"order_id": mine.pk, "status": "in_transit", "event_id": "e"}] * 3)
    assert body["accepted"] == 0
    assert [(e["status"], e["field"]) for e in body["errors"]] == [(404, "order_id")] * 3
    for who in (world.owner, world.customer_a, world.stranger):
        assert_error(
            api(who).post(BATCH, {"events": [{"order_id": mine.pk, "status": "in_transit"}]}),
            403,
        )
    assert CarrierEvent.objects.count() == 0
    assert Delivery.objects.get(order=mine).status == "scheduled"


# --- the same end state as one by one ---------------------------------------------------------


def _prepare(pairs: list[tuple[Order, Order]], base: datetime) -> None:
    """The same varied starting state on both orders of each pair."""
    for n, (a, b) in enumerate(pairs):
        ids = [a.pk, b.pk]
        kind = n % 6
        if kind == 1:  # the carrier already saw it, later than some of the new events
            Delivery.objects.filter(order_id__in=ids).update(
                status="out_for_delivery", last_carrier_at=base + timedelta(minutes=1)
            )
        elif kind == 2:  # already delivered: nothing moves it, the order may still fulfil
            Delivery.objects.filter(order_id__in=ids).update(
                status="delivered", last_carrier_at=base - timedelta(minutes=30)
            )
        elif kind == 3:  # cancelled order and delivery
            Delivery.objects.filter(order_id__in=ids).update(status="cancelled")
            Order.objects.filter(pk__in=ids).update(status="cancelled")
        elif kind == 4:  # a problem waiting for the customer's choice
            Delivery.objects.filter(order_id__in=ids).update(
                status="attempt_failed",
                problem_reason="attempt_failed",
                last_carrier_at=base - timedelta(minutes=2),
            )
        elif kind == 5:  # a later checkpoint than any new one: the latest stays
            later = base + timedelta(minutes=12)
            for o in (a, b):
                ingest.shop_scan_record(staff=o.created_by, order_id=o.pk, code="packed")  # type: ignore[arg-type]
            Checkpoint.objects.filter(order_id__in=ids, code="packed").update(at=later)


def _events(
    pairs: list[tuple[Order, Order]], rng: random.Random, base: datetime
) -> list[dict[str, Any]]:
    out = []
    offsets = (-5, -1, 0, 0, 1, 3, 5)  # ties on purpose
    for n in range(6 * len(pairs)):
        code = rng.choice(CARRIER_CODES)
        reason = ""
        if code == "attempt_failed":
            reason = rng.choice(("not_at_home", "refused", ""))
        elif code == "exception":
            reason = rng.choice(("damaged", "out_of_stock"))
        out.append(
            {
                "pair": rng.randrange(len(pairs)),
                "status": code,
                "at": base + timedelta(minutes=rng.choice(offsets)),
                "reason": reason,
                "location": f"L{n % 4}",
                "note": "",
                "event_id": f"n{n}" if n % 5 else f"n{n - 5 * (n % 10 == 0)}",  # some repeats
            }
        )
    return out


def _state(order: Order, prefix: str) -> dict[str, Any]:
    d = Delivery.objects.get(order=order)
    o = Order.objects.get(pk=order.pk)

    def cp_data(data: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in data.items() if k != "order_id"}

    return {
        "delivery": (d.status, d.last_carrier_at, d.problem_reason),
        "order": (o.status, o.last_checkpoint),
        "checkpoints": [
            (c.code, c.at, c.location, c.note, c.event.kind, c.event.at, cp_data(c.event.data))
            for c in Checkpoint.objects.filter(order=order).select_related("event").order_by("id")
            if c.code in CARRIER_CODES
        ],
        "journal": [
            (j.kind, j.visible_to_customer, j.actor_staff_id, j.need_id == order.need_id, j.at)
            for j in JournalEvent.objects.filter(need_id=order.need_id, kind=EventKind.CHECKPOINT)
            .exclude(data__source="shop")
            .order_by("id")
            if j.data.get("code") in CARRIER_CODES
        ],
        "carrier": [
            (e.status, e.reason, e.at, e.location, e.note, e.source, e.external_id[len(prefix) :])
            for e in CarrierEvent.objects.filter(order=order, source="api").order_by("id")
        ],
    }


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_batch_leaves_what_recording_one_by_one_leaves(
    world: World, item: CatalogItem, seed: int
) -> None:
    rng = random.Random(seed)
    made = orders(world, item, 24)
    pairs = list(zip(made[:12], made[12:], strict=True))
    base = timezone.now()
    _prepare(pairs, base)
    events = _events(pairs, rng, base)
    now = timezone.now()
    results = ingest.carrier_events_record(
        staff=world.carrier,
        events=[
            {
                **{k: v for k, v in e.items() if k != "pair"},
                "order_id": pairs[e["pair"]][0].pk,
                "event_id": "a-" + e["event_id"],
            }
            for e in events
        ],
        now=now,
    )
    assert all(not isinstance(r, DomainError) for r in results)
    # The reference: each event by itself (its own savepoint), per order in the order
    # given and orders in ascending id, as the batch did before it was set-based.
    reference: dict[int, Any] = {}
    with transaction.atomic():
        for k in sorted(range(len(events)), key=lambda k: (events[k]["pair"], k)):
            e = events[k]
            reference[k] = carrier_oracle.record_one(
                staff=world.carrier,
                order_id=pairs[e["pair"]][1].pk,
                code=e["status"],
                at=e["at"],
                location=e["location"],
                note=e["note"],
                reason=e["reason"],
                external_id="b-" + e["event_id"],
                source="api",
                now=now,
            )
    assert [getattr(r, "duplicate", None) for r in results] == [
        reference[k].duplicate for k in range(len(events))
    ]
    for a, b in pairs:
        assert _state(a, "a-") == _state(b, "b-"), (a.pk, b.pk)
    moved = {Delivery.objects.get(order=a).status for a, _b in pairs}
    assert len(moved) >= 3  # the input really exercised the transitions


def test_a_failed_attempt_in_a_batch_opens_or_reuses_a_need_each(
    world: World, api: Any, item: CatalogItem, commits: Any
) -> None:
    a, b, c = orders(world, item, 3)
    Need.objects.filter(pk=b.need_id).update(status="solved", solved_at=timezone.now())
    with commits():
        body = post(
            api,
            world.carrier,
            [
                {"order_id": c.pk, "status": "in_transit", "event_id": "c1"},
                {"order_id": a.pk, "status": "attempt_failed", "reason": "not_at_home"},
                {"order_id": b.pk, "status": "exception", "reason": "damaged"},
            ],
        )
    assert body["accepted"] == 3
    alerts = {j.data["order_id"]: j for j in JournalEvent.objects.filter(kind=EventKind.ALERT)}
    assert set(alerts) == {a.pk, b.pk}
    assert alerts[a.pk].need_id == a.need_id  # reused, with its owner
    assert alerts[a.pk].data["choices"] == ["another_date", "pickup_point", "neighbour"]
    new = Need.objects.get(pk=alerts[b.pk].need_id)
    assert new.pk != b.need_id and new.owner_id is not None and new.contacts == 0
    assert Delivery.objects.get(order=b).problem_need_id == new.pk
    assert Delivery.objects.get(order=a).problem_reason == "attempt_failed"


def test_one_dispatch_per_batch_carries_every_event(
    world: World, api: Any, item: CatalogItem, commits: Any, monkeypatch: Any
) -> None:
    some = orders(world, item, 4)
    batches: list[list[int]] = []
    spy = consumers.Consumer(
        name="spy",
        handle=lambda e: batches.append([e.pk]),
        handle_many=lambda es: batches.append([e.pk for e in es]),
        kinds=frozenset({EventKind.CHECKPOINT}),
    )
    monkeypatch.setattr(consumers, "_consumers", {"spy": spy})
    consumers.drain()  # the checkpoints of placing the orders
    batches.clear()
    seen: list[int] = []
    monkeypatch.setattr(reactions, "_immediate", [("spy", lambda e: seen.append(e.pk))])
    events = [{"order_id": some[n % 4].pk, "status": "in_transit"} for n in range(40)]
    with commits() as callbacks:
        assert post(api, world.carrier, events)["accepted"] == 40
    assert len(callbacks) == 1
    ids = list(CarrierEvent.objects.order_by("id").values_list("checkpoint__event_id", flat=True))
    assert batches == [ids]  # the deferred reaction read the whole batch at once
    assert seen == ids  # the immediate reactions ran once per event, in order


def test_a_failing_deferred_reaction_stops_neither_the_others_nor_the_rest(
    world: World, item: CatalogItem, monkeypatch: Any
) -> None:
    orders(world, item, 2)
    ran: list[tuple[str, int]] = []

    def boom(event: JournalEvent) -> None:
        raise RuntimeError("a failing reaction stops nothing")

    def boom_many(events: Any) -> None:
        raise RuntimeError("nor does its batch form")

    monkeypatch.setattr(
        consumers,
        "_consumers",
        {
            "boom": consumers.Consumer(name="boom", handle=boom, handle_many=boom_many),
            "spy": consumers.Consumer(name="spy", handle=lambda e: ran.append((e.kind, e.pk))),
        },
    )
    consumers.drain()
    ids = list(JournalEvent.objects.order_by("tx", "id").values_list("pk", flat=True))
    assert ran == [(JournalEvent.objects.get(pk=i).kind, i) for i in ids]
    assert [(lag.name, lag.events_behind) for lag in consumers.lags()] == [("boom", 0), ("spy", 0)]


def _queries_for(
    api: Any, world: World, some: list[Order], n: int, django_assert_max_num_queries: Any
) -> None:
    events = [
        {
            "order_id": some[k % len(some)].pk,
            "status": ("in_transit", "out_for_delivery", "attempt_failed", "delivered")[k % 4],
            "event_id": f"q{n}-{k}",
        }
        for k in range(n)
    ]
    events[1] = dict(events[0])  # a duplicate in the batch
    client = api(world.carrier)
    with django_assert_max_num_queries(20):
        r = client.post(BATCH, {"events": events})
    assert r.status_code == 200 and r.json()["accepted"] == n - 1


def test_a_batch_of_200_takes_a_bounded_number_of_queries(
    world: World, api: Any, item: CatalogItem, django_assert_max_num_queries: Any
) -> None:
    some = orders(world, item, 50)
    _queries_for(api, world, some, 200, django_assert_max_num_queries)
    if connection.vendor == "postgresql":  # SQLite splits an INSERT at 999 parameters
        _queries_for(api, world, some, 1000, django_assert_max_num_queries)


def test_a_single_event_takes_few_queries(
    world: World, api: Any, item: CatalogItem, django_assert_max_num_queries: Any
) -> None:
    (order,) = orders(world, item, 1)
    client = api(world.carrier)
    body = {"order_id": order.pk, "status": "in_transit", "event_id": "s1"}
    with django_assert_max_num_queries(13):
        assert client.post("/api/v1/carrier/events", body).status_code == 201
    with django_assert_max_num_queries(9):
        assert client.post("/api/v1/carrier/events", body).status_code == 200


def test_a_concurrent_insert_of_the_same_event_id_falls_back_one_by_one(
    world: World, api: Any, item: CatalogItem, monkeypatch: Any, commits: Any
) -> None:
    """The race: another request stores an event id after our duplicate check. The unique
    constraint stops our INSERT, the set-based attempt rolls back whole, and the batch is
    recorded one event at a time: that id a duplicate, the others stored once."""
    a, b = orders(world, item, 2)
    assert (
        post(api, world.carrier, [{"order_id": a.pk, "status": "in_transit", "event_id": "r1"}])[
            "accepted"
        ]
        == 1
    )
    before = (Checkpoint.objects.count(), JournalEvent.objects.count())
    monkeypatch.setattr(ingest, "_stored", lambda staff, ids: {})  # the check misses it
    client = api(world.carrier)
    with commits() as callbacks:
        r = client.post(
            BATCH,
            {
                "events": [
                    {"order_id": b.pk, "status": "out_for_delivery", "event_id": "r2"},
                    {"order_id": a.pk, "status": "out_for_delivery", "event_id": "r1"},
                    {"order_id": a.pk, "status": "delivered", "event_id": "r3"},
                ]
            },
        )
    body = r.json()
    # the rolled-back attempt's dispatch is dropped; the two stored events dispatch each
    assert len(callbacks) == 2
    assert body == {"accepted": 2, "duplicates": 1, "errors": []}
    assert sorted(CarrierEvent.objects.values_list("external_id", flat=True)) == ["r1", "r2", "r3"]
    assert (Checkpoint.objects.count(), JournalEvent.objects.count()) == (
        before[0] + 2,
        before[1] + 2,
    )
    assert Delivery.objects.get(order=a).status == "delivered"
    assert Order.objects.get(pk=a.pk).status == "fulfilled"


def test_refusals_raise_on_the_single_path(world: World, item: CatalogItem) -> None:
    (order,) = orders(world, item, 1)
    with pytest.raises(NotFound):
        ingest.carrier_event_record(staff=world.carrier, order_id=987654, status="in_transit")
    with pytest.raises(Invalid):
        ingest.carrier_event_record(staff=world.carrier, order_id=order.pk, status="nope")
    rec = ingest.carrier_event_record(
        staff=world.carrier, order_id=order.pk, status="delivered", external_id="d"
    )
    assert not rec.duplicate and rec.event.pk
    assert Order.objects.get(pk=order.pk).status == "fulfilled"
    assert Order.objects.get(pk=order.pk).last_checkpoint == "delivered"


def test_a_reaction_with_a_batch_form_runs_once_per_batch(
    world: World, item: CatalogItem, monkeypatch: Any
) -> None:
    a, b = orders(world, item, 2)
    events = list(JournalEvent.objects.filter(need_id__in=[a.need_id, b.need_id]).order_by("id"))
    calls: list[Any] = []
    monkeypatch.setattr(reactions, "_immediate", [])
    monkeypatch.setattr(reactions, "_many", {})
    monkeypatch.setattr(consumers, "_consumers", {})
    reactions.register("plain", lambda e: calls.append(("plain", e.pk)))
    reactions.register(
        "both",
        lambda e: calls.append(("one", e.pk)),
        many=lambda es: calls.append(("many", [e.pk for e in es])),
    )
    reactions.register(
        "later",
        lambda e: calls.append(("later", e.pk)),
        deferred=True,
        many=lambda es: calls.append(("later-many", [e.pk for e in es])),
    )
    ids = [e.pk for e in events]
    every = list(JournalEvent.objects.order_by("tx", "id").values_list("pk", flat=True))
    reactions.dispatch_many(events)  # inline: the deferred reaction reads the journal now
    assert calls == [
        *[("plain", i) for i in ids],
        ("many", ids),
        ("later-many", every),
    ]
    calls.clear()
    reactions.dispatch(events[0])  # one event: the per-event immediate forms, as before
    assert calls == [("plain", ids[0]), ("one", ids[0])]  # nothing new in the journal

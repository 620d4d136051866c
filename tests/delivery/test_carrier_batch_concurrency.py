"""Concurrent carrier batches on PostgreSQL: overlapping orders and event ids, real
transactions in threads. Nothing lost, nothing stored twice, no deadlock."""

from typing import Any

import pytest
from django.db import connection

from klantstuur.delivery.models import CarrierEvent, Delivery
from klantstuur.delivery.services import ingest
from klantstuur.needs.models import EventKind, JournalEvent
from klantstuur.orders.models import Checkpoint
from tests.conftest import World
from tests.delivery.test_carrier_batch import orders, shop
from tests.platform.test_concurrency import race

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _skip_unless_real_locks(db: Any) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("races are observed on PostgreSQL (see tests/platform/test_concurrency.py)")


def test_overlapping_batches_store_every_event_id_once(world: World) -> None:
    some = orders(world, shop(world), 12)
    statuses = ("in_transit", "out_for_delivery", "attempt_failed", "in_transit")

    def batch(ids: list[int]) -> list[dict[str, Any]]:
        return [
            {
                "order_id": some[n % len(some)].pk,
                "status": statuses[n % len(statuses)],
                "event_id": f"e{n}",
            }
            for n in ids
        ]

    results: list[Any] = []

    def post(ids: list[int]) -> Any:
        return lambda: results.append(
            ingest.carrier_events_record(staff=world.carrier, events=batch(ids))
        )

    def single(n: int) -> Any:
        e = batch([n])[0]
        return lambda: ingest.carrier_event_record(
            staff=world.carrier,
            order_id=e["order_id"],
            status=e["status"],
            external_id=e["event_id"],
        )

    race(
        post(list(range(0, 120))),
        post(list(reversed(range(60, 180)))),
        post(list(range(100, 200))),
        single(150),
        single(5),
    )
    ids = list(CarrierEvent.objects.values_list("external_id", flat=True))
    assert len(ids) == len(set(ids)) == 200
    assert sum(not r.duplicate for rs in results for r in rs) <= 200
    carrier_checkpoints = Checkpoint.objects.filter(
        code__in=statuses, event__kind=EventKind.CHECKPOINT
    )
    assert carrier_checkpoints.count() == 200
    assert JournalEvent.objects.filter(data__source="api").count() == 200
    for order in some:
        last = CarrierEvent.objects.filter(order=order).order_by("-at", "-id").first()
        assert last is not None
        assert Delivery.objects.get(order=order).last_carrier_at == last.at


def test_a_cancel_racing_carrier_events_for_the_same_orders_never_deadlocks(
    world: World,
) -> None:
    """Cancel and ingest lock the delivery before the order; the other order deadlocked."""
    from klantstuur.orders.cancel import order_cancel
    from klantstuur.orders.models import Order

    some = orders(world, shop(world), 6)
    jobs: list[Any] = []
    for o in some:
        jobs.append(lambda o=o: order_cancel(order=o, reason="changed my mind"))
        jobs.append(
            lambda o=o: ingest.carrier_events_record(
                staff=world.carrier,
                events=[{"order_id": o.pk, "status": "in_transit", "event_id": f"c{o.pk}"}],
            )
        )
    for _ in range(3):
        outcomes = race(*jobs)  # a deadlock would come back as a crash
        assert set(outcomes) <= {"ok", "Conflict"}, outcomes
    assert set(
        Order.objects.filter(pk__in=[o.pk for o in some]).values_list("status", flat=True)
    ) == {"cancelled"}

"""Delivery's hand-written SQL agrees with the rules stated beside it in Python; the
status transitions are one table the derived sets come from."""

import random
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from klantstuur.delivery.models import (
    BROKEN_STATUSES,
    FINAL_STATUSES,
    TRANSITIONS,
    Delivery,
    DeliveryStatus,
    can_transition,
)
from klantstuur.delivery.queries import (
    CarrierState,
    carrier_state_after,
    deliveries_set_sql,
    problem_after,
)
from klantstuur.orders.checkpoints import CARRIER_CODES, DELIVERY_EFFECT
from tests.conftest import World
from tests.delivery.test_carrier_batch import orders, shop


def test_the_derived_sets_come_from_the_transitions() -> None:
    assert FINAL_STATUSES == (DeliveryStatus.DELIVERED, DeliveryStatus.CANCELLED)
    assert BROKEN_STATUSES == (DeliveryStatus.ATTEMPT_FAILED, DeliveryStatus.EXCEPTION)
    for old, _new in TRANSITIONS:
        assert old not in FINAL_STATUSES
    # every status a checkpoint leads to is a carrier move from every open status
    for status in DELIVERY_EFFECT.values():
        assert status in DeliveryStatus.values
        for old in DeliveryStatus.values:
            assert can_transition(old, status, "carrier") == (old not in FINAL_STATUSES)


def test_the_problem_rule() -> None:
    assert problem_after("attempt_failed", "attempt_failed", "") == "attempt_failed"
    assert problem_after("exception", "exception", "attempt_failed") == "exception"
    assert problem_after("delivered", "delivered", "exception") == ""
    assert problem_after("available_for_pickup", "available_for_pickup", "x") == ""
    assert problem_after("in_transit", "in_transit", "attempt_failed") == "attempt_failed"


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_deliveries_update_writes_what_the_python_rule_computes(
    world: World, seed: int
) -> None:
    rng = random.Random(seed)
    made = orders(world, shop(world), 10)
    base = timezone.now() - timedelta(hours=2)
    deliveries = list(Delivery.objects.filter(order__in=made).order_by("pk"))
    for d in deliveries:  # a random starting state
        d.status = rng.choice(DeliveryStatus.values)
        d.last_carrier_at = rng.choice([None, base + timedelta(minutes=rng.randint(0, 60))])
        d.problem_reason = rng.choice(["", "attempt_failed"])
        d.save()
    rows: list[tuple[int, CarrierState]] = []
    for d in deliveries:
        state = CarrierState(d.status, d.last_carrier_at, d.problem_reason)
        moved = False
        for _ in range(rng.randint(1, 4)):
            code = rng.choice(CARRIER_CODES)
            at = base + timedelta(minutes=rng.randint(0, 60))
            after = carrier_state_after(state, DELIVERY_EFFECT[code], code, at)
            if after is not None:
                assert d.status not in FINAL_STATUSES
                state, moved = after, True
        if moved:
            rows.append((d.pk, state))
    assert rows
    now = timezone.now()
    sql, params = deliveries_set_sql(rows, now=now)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
    moved_ids = {pk for pk, _s in rows}
    for pk, state in rows:
        d = Delivery.objects.get(pk=pk)
        assert CarrierState(d.status, d.last_carrier_at, d.problem_reason) == state
        assert d.updated_at == now
    for d in deliveries:
        if d.pk not in moved_ids:
            fresh = Delivery.objects.get(pk=d.pk)
            assert (fresh.status, fresh.last_carrier_at) == (d.status, d.last_carrier_at)

"""Orders' hand-written SQL agrees with the rules stated beside it in Python, and the
checkpoint vocabulary is one table the other sets derive from."""

import random
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from klantstuur.catalog.models import CatalogItem
from klantstuur.core.errors import Invalid
from klantstuur.orders.checkpoints import (
    CARRIER_CODES,
    DELIVERY_EFFECT,
    LABELS,
    PROBLEM_CODES,
    SHOP_REPORTABLE_CODES,
    SHOP_SCAN_CODES,
    CheckpointCode,
    NewCheckpoint,
    checkpoint_record,
    checkpoints_record_many,
    fulfils,
)
from klantstuur.orders.models import Checkpoint, Order, OrderStatus
from klantstuur.orders.queries import (
    CheckpointRow,
    checkpoints_apply_sql,
    last_checkpoint_after,
    order_status_after,
)
from klantstuur.orders.services import LineSpec, order_place
from tests.conftest import World


def test_the_vocabulary_is_one_table_and_the_sets_derive_from_it() -> None:
    assert set(LABELS) == {c.value for c in CheckpointCode}
    assert CARRIER_CODES == (
        "info_received",
        "in_transit",
        "out_for_delivery",
        "attempt_failed",
        "delivered",
        "available_for_pickup",
        "exception",
    )
    assert SHOP_SCAN_CODES == ("picked", "packed", "handed_to_carrier")
    assert (*SHOP_SCAN_CODES, "exception") == SHOP_REPORTABLE_CODES
    assert PROBLEM_CODES == ("attempt_failed", "exception")
    assert [c for c in LABELS if fulfils(c)] == ["delivered"]
    assert not fulfils("no such code")
    assert DELIVERY_EFFECT["handed_to_carrier"] == "in_transit"
    assert set(DELIVERY_EFFECT) == {*CARRIER_CODES, "handed_to_carrier"}


def _orders(world: World, n: int) -> list[Order]:
    item = CatalogItem.objects.create(business=world.x, name="Remblokken", price_cents=1995)
    return [
        order_place(
            business=world.x,
            customer=world.customer_a,
            lines=[LineSpec(item_id=item.pk)],
            channel="shop",
            actor_staff=world.owner,
        )
        for _ in range(n)
    ]


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_the_orders_update_agrees_with_its_python_rules(world: World, seed: int) -> None:
    rng = random.Random(seed)
    made = _orders(world, 12)
    base = timezone.now() - timedelta(hours=1)
    statuses = [OrderStatus.PLACED, OrderStatus.FULFILLED, OrderStatus.CANCELLED]
    for o in made:
        Order.objects.filter(pk=o.pk).update(status=rng.choice(statuses))
        Checkpoint.objects.filter(order=o).update(at=base + timedelta(minutes=rng.randint(0, 30)))
    rows = [
        CheckpointRow(
            order_id=o.pk,
            code=rng.choice(CARRIER_CODES),
            at=base + timedelta(minutes=rng.randint(0, 30)),
            fulfils=rng.random() < 0.5,
        )
        for o in made
    ]
    before = {o.pk: Order.objects.get(pk=o.pk) for o in made}
    # The latest time among the order's checkpoints, the new one included (it is inserted
    # before the UPDATE; at its own time it is never later than itself).
    latest = {
        r.order_id: max(
            [*Checkpoint.objects.filter(order_id=r.order_id).values_list("at", flat=True), r.at]
        )
        for r in rows
    }
    sql, params = checkpoints_apply_sql(rows, now=timezone.now())
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
    for r in rows:
        old, new = before[r.order_id], Order.objects.get(pk=r.order_id)
        assert new.status == order_status_after(old.status, r)
        assert new.last_checkpoint == last_checkpoint_after(
            old.last_checkpoint, r, latest[r.order_id]
        )
    assert {Order.objects.get(pk=r.order_id).status for r in rows} >= {"fulfilled", "placed"}


def test_one_checkpoint_is_a_batch_of_one(world: World) -> None:
    (a, b) = _orders(world, 2)
    now = timezone.now()
    with transaction.atomic():
        one = checkpoint_record(order=a, code="packed", actor_staff=world.owner, at=now, note="n")
        (many,) = checkpoints_record_many(
            checkpoints=[NewCheckpoint(order=b, code="packed", at=now, note="n")],
            actor_staff=world.owner,
        )
    for cp, order in ((one, a), (many, b)):
        cp.refresh_from_db()
        assert (cp.code, cp.at, cp.note, cp.event.data["code"]) == ("packed", now, "n", "packed")
        assert Order.objects.get(pk=order.pk).last_checkpoint == "packed"
    # without ``fulfil`` (carrier ingest), a delivered checkpoint does not fulfil the order
    with transaction.atomic():
        checkpoint_record(order=a, code="delivered", at=now)
    assert Order.objects.get(pk=a.pk).status == "placed"
    with transaction.atomic():
        checkpoints_record_many(
            checkpoints=[NewCheckpoint(order=b, code="delivered", at=now)], fulfil=True
        )
    assert Order.objects.get(pk=b.pk).status == "fulfilled"


def test_an_unknown_code_is_refused(world: World) -> None:
    (a,) = _orders(world, 1)
    with pytest.raises(Invalid), transaction.atomic():
        checkpoint_record(order=a, code="teleported")

"""The live reaction's batch form (carrier ingest): the same channels and messages as
event by event, with one party lookup and one publish for the whole batch."""

import asyncio
from typing import Any

import pytest
from django.db import connection

from klantstuur.live import broker, channels
from klantstuur.needs.models import EventKind, JournalEvent
from tests.conftest import World
from tests.floor.test_api import terrace  # noqa: F401  (fixture)
from tests.live.test_fanout import (  # noqa: F401  (fixtures)
    _drain,
    _subscribe,
    listener,
    loop,
    seated_order,
)


def _events(world: World, api: Any, terrace: dict[str, Any]) -> list[JournalEvent]:  # noqa: F811
    _party, order = seated_order(world, api, terrace)
    line_id = order["lines"][0]["id"]
    assert api(world.kitchen).post(f"/api/v1/order-lines/{line_id}/ready").status_code == 200
    events = list(JournalEvent.objects.filter(data__order_id=order["id"]).order_by("id"))
    assert any(e.kind == EventKind.CHECKPOINT for e in events)
    # As carrier ingest writes them: the checkpoint's data names no party.
    for e in events:
        (e.data or {}).pop("party_id", None)
    return events


def test_the_batch_routes_every_event_as_one_by_one_would(
    world: World,
    api: Any,
    terrace: dict[str, Any],  # noqa: F811
    django_assert_max_num_queries: Any,
) -> None:
    events = _events(world, api, terrace)
    one_by_one = [channels.route(e) for e in events]
    with django_assert_max_num_queries(1):  # the parties of all orders at once
        from klantstuur.orders.models import Order

        ids = {e.data["order_id"] for e in events if e.data.get("order_id")}
        parties = dict(Order.objects.filter(pk__in=ids).values_list("pk", "party_id"))
    assert [channels.route(e, parties) for e in events] == one_by_one
    assert any(c.startswith("party:") for chans, _m in one_by_one for c in chans)


@pytest.mark.skipif(connection.vendor == "postgresql", reason="memory hub: SQLite")
def test_a_batch_reaches_the_screens_in_order_with_one_lookup(
    world: World,
    api: Any,
    terrace: dict[str, Any],  # noqa: F811
    loop: asyncio.AbstractEventLoop,  # noqa: F811
    django_assert_max_num_queries: Any,
) -> None:
    events = _events(world, api, terrace)
    order_id = events[0].data["order_id"]
    sub = _subscribe(loop, [f"order:{order_id}"])
    try:
        with django_assert_max_num_queries(1):
            channels.react_many(events)
        got = _drain(loop, sub)
        assert [m["event"] for m in got] == [e.pk for e in events]
    finally:
        broker.hub.unsubscribe(sub)


@pytest.mark.postgres_only
@pytest.mark.skipif(connection.vendor != "postgresql", reason="LISTEN/NOTIFY needs PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_publish_many_is_one_statement_and_keeps_the_order(
    loop: asyncio.AbstractEventLoop,  # noqa: F811
    listener: None,  # noqa: F811
    django_assert_max_num_queries: Any,
) -> None:
    sub = _subscribe(loop, ["station:9"])
    try:
        items = [(["station:9"], {"code": "line_ready", "line_id": n}) for n in range(25)]
        with django_assert_max_num_queries(1):
            broker.publish_many(items)
        got = _drain(loop, sub)
        assert [m["line_id"] for m in got] == list(range(25))
    finally:
        broker.hub.unsubscribe(sub)

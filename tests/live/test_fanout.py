"""Live fan-out: after commit, journal events reach the screens concerned.

In-process (memory hub, SQLite) and across processes (PostgreSQL LISTEN/NOTIFY).
"""

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from django.db import connection

from klantstuur.live import broker
from klantstuur.live.broker import Subscriber
from klantstuur.orders.models import OrderLine
from tests.conftest import World
from tests.floor.test_api import terrace  # noqa: F401  (fixture)


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    """An event loop in its own thread, standing in for the ASGI server's."""
    running = asyncio.new_event_loop()
    thread = threading.Thread(target=running.run_forever, daemon=True)
    thread.start()
    yield running
    running.call_soon_threadsafe(running.stop)
    thread.join(2)


@pytest.fixture
def listener() -> Iterator[None]:
    """This process's LISTEN thread, closed afterwards (the test database is dropped later)."""
    broker.ensure_listener()
    yield
    broker.stop_listener()


def seated_order(world: World, api: Any, terrace: dict[str, Any]) -> tuple[Any, Any]:  # noqa: F811
    """A party at table 12 with one pancake ordered: (party, order) as the API returned them."""
    party = api(world.owner).post("/api/v1/floor/parties", {"table": "12", "seats": 2}).json()
    order = (
        api(world.owner)
        .post(
            "/api/v1/orders",
            {"party_id": party["id"], "lines": [{"item": terrace["pancake"].pk, "seat": 1}]},
        )
        .json()
    )
    return party, order


def _subscribe(loop: asyncio.AbstractEventLoop, channels: list[str]) -> Subscriber:
    async def make() -> Subscriber:
        return broker.hub.subscribe(channels)

    return asyncio.run_coroutine_threadsafe(make(), loop).result(2)


def _next(loop: asyncio.AbstractEventLoop, sub: Subscriber, timeout: float = 2.0) -> Any:
    async def get() -> str:
        return await asyncio.wait_for(sub.queue.get(), timeout)

    return json.loads(asyncio.run_coroutine_threadsafe(get(), loop).result(timeout + 1))


def _drain(loop: asyncio.AbstractEventLoop, sub: Subscriber) -> list[Any]:
    out = []
    while True:
        try:
            out.append(_next(loop, sub, 0.2))
        except TimeoutError:
            return out


@pytest.mark.skipif(connection.vendor == "postgresql", reason="memory hub: SQLite")
def test_it_pushes_checkpoints_to_board_guest_and_pass(
    world: World,
    api: Any,
    terrace: dict[str, Any],  # noqa: F811
    loop: asyncio.AbstractEventLoop,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        party = api(world.owner).post("/api/v1/floor/parties", {"table": "12", "seats": 2}).json()
        other = api(world.owner).post("/api/v1/floor/parties", {"table": "21", "seats": 2}).json()
    griddle = terrace["griddle"]
    board = _subscribe(loop, [f"station:{griddle.pk}"])
    guest = _subscribe(loop, [f"party:{party['id']}"])
    stranger = _subscribe(loop, [f"party:{other['id']}"])
    runner = _subscribe(loop, [f"runner:{world.x.pk}"])
    try:
        with django_capture_on_commit_callbacks(execute=True):
            order = (
                api(world.owner)
                .post(
                    "/api/v1/orders",
                    {
                        "party_id": party["id"],
                        "lines": [{"item": terrace["pancake"].pk, "seat": 1}],
                    },
                )
                .json()
            )
        codes = {m["code"] for m in _drain(loop, board)}
        assert "order_received" in codes
        assert any(m["code"] == "order_received" for m in _drain(loop, guest))
        line = OrderLine.objects.get(order_id=order["id"])
        with django_capture_on_commit_callbacks(execute=True):
            api(world.kitchen).post(f"/api/v1/order-lines/{line.pk}/ready")
            committed = time.time()  # the callbacks run when this block ends
        bump = _next(loop, board)
        assert (bump["code"], bump["line_id"], bump["status"]) == ("line_ready", line.pk, "ready")
        # Stamped when it left, after the commit (the benchmark's start): not before the
        # event was written, not before the commit.
        assert datetime.fromisoformat(bump["at"]).timestamp() <= bump["sent"]
        assert committed <= bump["sent"] + 0.001 <= time.time() + 0.001
        assert any(m["code"] == "line_ready" for m in _drain(loop, runner))
        with django_capture_on_commit_callbacks(execute=True):
            api(world.colleague).post(
                f"/api/v1/order-lines/{line.pk}/delivered", {"table": "12", "seat": 1}
            )
        assert "line_served" in {m["code"] for m in _drain(loop, guest)}
        # Served straight from the pass: the griddle's "last bumps" loses it.
        assert [m["code"] for m in _drain(loop, board)] == ["line_served"]
        # Another party's guest page heard nothing of this order.
        assert all(m.get("party_id") != party["id"] for m in _drain(loop, stranger))
    finally:
        for sub in (board, guest, stranger, runner):
            broker.hub.unsubscribe(sub)
    assert broker.hub.count() == 0


@pytest.mark.skipif(connection.vendor == "postgresql", reason="memory hub: SQLite")
def test_a_plate_picked_up_is_off_the_board_so_serving_it_does_not_refresh_the_board(
    world: World,
    api: Any,
    terrace: dict[str, Any],  # noqa: F811
    loop: asyncio.AbstractEventLoop,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        party = api(world.owner).post("/api/v1/floor/parties", {"table": "12", "seats": 2}).json()
        lines = [{"item": terrace["pancake"].pk, "seat": 1}]
        order = api(world.owner).post("/api/v1/orders", {"party_id": party["id"], "lines": lines})
        line = OrderLine.objects.get(order_id=order.json()["id"])
        api(world.kitchen).post(f"/api/v1/order-lines/{line.pk}/ready")
    board = _subscribe(loop, [f"station:{terrace['griddle'].pk}"])
    guest = _subscribe(loop, [f"party:{party['id']}"])
    try:
        with django_capture_on_commit_callbacks(execute=True):
            api(world.colleague).post(f"/api/v1/order-lines/{line.pk}/pick-up")
        # Picked up: it leaves the board's "last bumps".
        assert [m["code"] for m in _drain(loop, board)] == ["line_on_its_way"]
        with django_capture_on_commit_callbacks(execute=True):
            served = api(world.colleague).post(
                f"/api/v1/order-lines/{line.pk}/delivered", {"table": "12", "seat": 1}
            )
        assert served.status_code == 200
        assert [m["code"] for m in _drain(loop, board)] == []
        assert [m["code"] for m in _drain(loop, guest)] == ["line_on_its_way", "line_served"]
    finally:
        for sub in (board, guest):
            broker.hub.unsubscribe(sub)


def test_a_full_screen_queue_does_not_block_the_others(loop: asyncio.AbstractEventLoop) -> None:
    slow = _subscribe(loop, ["station:1"])
    fast = _subscribe(loop, ["station:1"])
    try:
        for n in range(broker.QUEUE_SIZE + 5):
            broker.hub.deliver(["station:1"], json.dumps({"n": n}))
        assert _next(loop, fast)["n"] == 0
        asyncio.run_coroutine_threadsafe(asyncio.sleep(0.05), loop).result(1)
        assert slow.dropped == 5
    finally:
        broker.hub.unsubscribe(slow)
        broker.hub.unsubscribe(fast)


@pytest.mark.postgres_only
@pytest.mark.skipif(connection.vendor != "postgresql", reason="LISTEN/NOTIFY needs PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_notifications_cross_processes_through_postgres(
    loop: asyncio.AbstractEventLoop, listener: None
) -> None:
    """Another server process (here: its own connection) publishes; this process's screens hear it."""
    import psycopg

    sub = _subscribe(loop, ["station:7"])
    try:
        broker.publish(["station:7"], {"code": "line_ready", "line_id": 1})
        assert _next(loop, sub)["code"] == "line_ready"
        conninfo = broker._conninfo()
        with psycopg.connect(conninfo, autocommit=True) as other:
            envelope = json.dumps({"c": ["station:7"], "m": json.dumps({"code": "line_served"})})
            other.execute("SELECT pg_notify(%s, %s)", [broker.PG_CHANNEL, envelope])
        assert _next(loop, sub)["code"] == "line_served"
    finally:
        broker.hub.unsubscribe(sub)


@pytest.mark.postgres_only
@pytest.mark.skipif(connection.vendor != "postgresql", reason="LISTEN/NOTIFY needs PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_a_bump_is_notified_after_commit_through_postgres(
    world: World,
    api: Any,
    terrace: dict[str, Any],  # noqa: F811
    loop: asyncio.AbstractEventLoop,
    listener: None,
) -> None:
    party, order = seated_order(world, api, terrace)
    line_id = order["lines"][0]["id"]
    sub = _subscribe(loop, [f"party:{party['id']}"])
    try:
        assert api(world.kitchen).post(f"/api/v1/order-lines/{line_id}/ready").status_code == 200
        got = [m for m in _drain(loop, sub) if m["code"] == "line_ready"]
        assert got and got[0]["line_id"] == line_id
    finally:
        broker.hub.unsubscribe(sub)

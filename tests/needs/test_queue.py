"""The journal is the queue (ADR 0010): cursors, batches, lag, and the SQL held to its rule."""

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from klantstuur.needs import consumers, notifications, queries
from klantstuur.needs.models import JournalEvent, Notification, ReactionCursor
from klantstuur.needs.queries import Position
from tests.helpers import open_need, settle


def _spy(monkeypatch: Any, **options: Any) -> list[list[int]]:
    """Replace every deferred reaction by one that writes down the batches it is given."""
    batches: list[list[int]] = []
    spy = consumers.Consumer(
        name="spy",
        handle=lambda e: batches.append([e.pk]),
        handle_many=lambda es: batches.append([e.pk for e in es]),
        **options,
    )
    monkeypatch.setattr(consumers, "_consumers", {"spy": spy})
    return batches


def _journal_ids() -> list[int]:
    return list(JournalEvent.objects.order_by("tx", "id").values_list("pk", flat=True))


def test_a_reaction_reads_every_event_once_in_order_in_batches(
    world: Any, monkeypatch: Any, settings: Any
) -> None:
    settings.KLANTSTUUR = {**settings.KLANTSTUUR, "REACTION_BATCH": 3}
    batches = _spy(monkeypatch)
    for n in range(4):
        open_need(world.customer_a, summary=f"question {n}")
    assert consumers.drain() == 4
    assert batches == [_journal_ids()[:3], _journal_ids()[3:]]
    assert consumers.drain() == 0  # the cursor moved: nothing is read twice
    cursor = ReactionCursor.objects.get(name="spy")
    assert (cursor.event_id, cursor.handled) == (_journal_ids()[-1], 4)


def test_a_reaction_is_handed_only_its_kinds_and_passes_the_rest(
    world: Any, monkeypatch: Any
) -> None:
    batches = _spy(monkeypatch, kinds=frozenset({"customer_message"}))
    need = open_need(world.customer_a)
    from klantstuur.needs import services

    services.message_post_by_customer(customer=world.customer_a, need=need, body="And now?")
    consumers.drain()
    wanted = list(JournalEvent.objects.filter(kind="customer_message").values_list("pk", flat=True))
    assert batches == [wanted]
    assert [lag.events_behind for lag in consumers.lags()] == [0]


def test_a_new_reaction_may_start_at_the_end_of_the_journal(world: Any, monkeypatch: Any) -> None:
    open_need(world.customer_a)
    batches = _spy(monkeypatch, from_start=False)
    assert consumers.drain() == 0  # its cursor is made at the end: history is not news
    later = open_need(world.customer_a, summary="Later")
    consumers.drain()
    assert batches == [list(JournalEvent.objects.filter(need=later).values_list("pk", flat=True))]


def test_skipping_to_the_head_hands_over_nothing_written_before(
    world: Any, monkeypatch: Any
) -> None:
    batches = _spy(monkeypatch)
    open_need(world.customer_a)
    consumers.skip_to_head()
    assert consumers.drain() == 0
    assert batches == []


def test_lag_counts_the_events_behind_and_the_age_of_the_oldest(
    world: Any, monkeypatch: Any
) -> None:
    _spy(monkeypatch)
    open_need(world.customer_a)
    open_need(world.customer_b)
    oldest = JournalEvent.objects.order_by("id").first()
    assert oldest is not None
    (lag,) = consumers.lags(now=oldest.at + timedelta(seconds=90))
    assert (lag.name, lag.events_behind, round(lag.seconds_behind), lag.late) == (
        "spy",
        2,
        90,
        True,
    )
    consumers.drain()
    (lag,) = consumers.lags()
    assert (lag.events_behind, lag.seconds_behind, lag.late, lag.handled) == (0, 0.0, False, 2)


def test_healthz_verbose_shows_each_reaction_and_the_notifications(world: Any) -> None:
    open_need(world.customer_a)  # written, not yet handled: no commit was captured
    body = Client().get("/healthz?verbose=1").json()
    behind = {r["name"]: r["events_behind"] for r in body["reactions"]}
    assert body["status"] == "ok"
    assert behind == {
        "notifications": 1,
        "delivery_problems": 1,
        "metrics": 1,
        "webhooks": 1,
        "community_openness": 1,
    }
    assert body["notifications"] == {"retrying": 0, "given_up": 0}
    settle()
    body = Client().get("/healthz?verbose=1").json()
    assert {r["name"]: r["events_behind"] for r in body["reactions"]} == dict.fromkeys(behind, 0)
    assert Client().get("/healthz").json() == {"status": "ok"}


def test_a_failed_mail_is_retried_with_back_off_until_it_is_sent(
    world: Any, monkeypatch: Any
) -> None:
    class Down:
        def open(self) -> None:
            raise OSError("mail server down")

        def close(self) -> None:
            pass

    with monkeypatch.context() as m:
        m.setattr(notifications, "get_connection", Down)
        open_need(world.customer_a, by=world.owner)  # staff opened it: the customer is told
        settle()
    failed = Notification.objects.get()
    assert (failed.status, failed.attempts, failed.audience) == ("failed", 1, "customer")
    assert failed.next_attempt_at == failed.created_at + timedelta(minutes=1)
    assert notifications.notifications_retry(failed.created_at) == 0  # not due yet
    assert notifications.notifications_retry(failed.created_at + timedelta(minutes=1)) == 1
    sent = Notification.objects.get()
    assert (sent.status, sent.attempts, sent.error, sent.next_attempt_at) == ("sent", 2, "", None)
    assert [m.to for m in mail.outbox] == [["a@example.com"]]


def test_the_back_off_doubles_up_to_an_hour() -> None:
    assert [notifications.retry_after(n).total_seconds() for n in range(1, 9)] == [
        60,
        120,
        240,
        480,
        960,
        1920,
        3600,
        3600,
    ]


def test_a_mail_recorded_once_is_not_sent_again(world: Any) -> None:
    open_need(world.customer_a, by=world.owner)
    settle()
    first = JournalEvent.objects.get(kind="need_opened")
    ReactionCursor.objects.filter(name="notifications").update(tx=0, event_id=0)
    consumers.drain()  # the batch is read again (as after a crash): the record stops a resend
    assert mail.outbox == []
    assert Notification.objects.filter(event=first).count() == 1


# --- the SQL held to its rule -----------------------------------------------------------

positions = st.tuples(st.integers(0, 3), st.integers(1, 40))


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    rows=st.lists(st.tuples(st.integers(0, 3), st.integers(0, 2)), min_size=0, max_size=25),
    after=positions,
    partitions=st.integers(1, 3),
    data=st.data(),
)
def test_the_due_events_in_sql_are_those_the_rule_names(
    world: Any, rows: list[tuple[int, int]], after: tuple[int, int], partitions: int, data: Any
) -> None:
    """Events with any transaction id and business; the SQL's batch is exactly the rule's."""
    partition = data.draw(st.integers(0, partitions - 1))
    businesses = [world.x, world.y, world.x]
    customers = {world.x.pk: world.customer_a, world.y.pk: world.customer_y}
    made = JournalEvent.objects.bulk_create(
        [
            JournalEvent(
                business=businesses[b],
                customer=customers[businesses[b].pk],
                need=None,
                kind="customer_updated",
                tx=tx,
            )
            for tx, b in rows
        ]
    )
    try:
        cursor = Position(*after)
        expected = sorted(
            (e.tx, e.pk)
            for e in made
            if queries.due(
                e.tx, e.pk, e.business_id, after=cursor, partition=partition, partitions=partitions
            )
        )
        found = [
            (tx, pk)
            for tx, pk, business_id, _kind in queries.due_window(after=cursor, limit=100)
            if pk in {e.pk for e in made} and business_id % partitions == partition
        ]
        assert found == expected
    finally:
        JournalEvent.objects.filter(pk__in=[e.pk for e in made])._raw_delete(connection.alias)


def test_a_partition_with_nothing_of_its_own_moves_past_the_others_events(
    world: Any, monkeypatch: Any, settings: Any
) -> None:
    settings.KLANTSTUUR = {**settings.KLANTSTUUR, "REACTION_PARTITIONS": {"spy": 2}}
    batches = _spy(monkeypatch)
    open_need(world.customer_a)  # business X: one partition of two has it, the other not
    consumers.drain()
    assert [e for b in batches for e in b] == _journal_ids()
    empty = 1 - world.x.pk % 2
    cursor = ReactionCursor.objects.get(name="spy", partition=empty)
    assert (cursor.event_id, cursor.handled) == (_journal_ids()[-1], 1)
    assert consumers.consume_once(consumers.registered()[0], empty).events == 0


def test_an_event_of_a_transaction_still_running_is_not_due() -> None:
    running = 100
    assert queries.due(99, 7, 1, after=Position(0, 0), oldest_running_tx=running)
    assert not queries.due(100, 5, 1, after=Position(0, 0), oldest_running_tx=running)
    assert not queries.due(101, 3, 1, after=Position(0, 0), oldest_running_tx=running)
    assert not queries.due(99, 7, 1, after=Position(99, 7))


@pytest.mark.django_db(transaction=True)
def test_an_event_committed_late_is_read_after_the_earlier_ones_never_skipped(
    world: Any, monkeypatch: Any
) -> None:
    """PostgreSQL: a transaction that took its id first but commits last holds the queue
    back until it commits; then its event is read, and nothing is passed over."""
    if connection.vendor != "postgresql":
        pytest.skip("transaction ids: PostgreSQL (SQLite has one writer at a time)")
    import threading

    from django.db import transaction

    from klantstuur.privacy.services import customer_update

    batches = _spy(monkeypatch)
    consumers.drain()
    batches.clear()
    holding, release, done = threading.Event(), threading.Event(), threading.Event()

    def slow_writer() -> None:
        try:
            with transaction.atomic():
                customer_update(customer=world.customer_a, actor_staff=world.owner, name="Slow")
                holding.set()
                release.wait(10)
        finally:
            connection.close()
            done.set()

    thread = threading.Thread(target=slow_writer)
    thread.start()
    assert holding.wait(10)
    # A higher id, committed first.
    customer_update(customer=world.customer_b, actor_staff=world.owner, name="Quick")
    consumers.drain()
    assert batches == []  # the older transaction still runs: nothing is due yet
    release.set()
    assert done.wait(10)
    thread.join(10)
    consumers.drain()
    slow_event = JournalEvent.objects.get(customer=world.customer_a).pk
    quick_event = JournalEvent.objects.get(customer=world.customer_b).pk
    assert slow_event < quick_event
    assert batches == [[slow_event, quick_event]]


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_hand_every_event_over_exactly_once(
    world: Any, monkeypatch: Any
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SKIP LOCKED between two connections: PostgreSQL")
    import threading

    from django.db import transaction

    seen: list[int] = []
    lock = threading.Lock()

    def handle_many(events: Any) -> None:
        ids = [e.pk for e in events]

        def record() -> None:
            with lock:
                seen.extend(ids)

        transaction.on_commit(record)  # counted only when the batch's cursor move commits

    spy = consumers.Consumer(name="spy", handle=lambda e: None, handle_many=handle_many)
    monkeypatch.setattr(consumers, "_consumers", {"spy": spy})
    for n in range(30):
        open_need(world.customer_a if n % 2 else world.customer_b, summary=f"n{n}")

    def worker() -> None:
        try:
            for _ in range(50):
                consumers.consume([spy], limit=4)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    consumers.drain()
    assert sorted(seen) == sorted(_journal_ids())
    assert len(seen) == len(set(seen))


def test_the_demo_history_is_not_news(monkeypatch: Any, db: Any) -> None:
    from klantstuur.demo.data import load_demo

    load_demo()
    assert all(lag.events_behind == 0 for lag in consumers.lags())
    assert mail.outbox == []

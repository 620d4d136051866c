"""A real ``klantstuur worker`` killed with SIGKILL in the middle of its batches, again and
again (issue #10; benchmarks/fault_kill_worker.py is the large version): after a restart
the backlog drains, every event is handed to each reaction exactly once, the projection
counts every need once and every notification is recorded exactly once."""

import random
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.db.models import Sum

from klantstuur.metrics.models import DailyRollup, NeedFacts
from klantstuur.needs import consumers, notifications
from klantstuur.needs.models import JournalEvent, Need, Notification, ReactionCursor
from tests.conftest import World
from tests.helpers import open_need
from tests.platform.servers import wait_for
from tests.platform.workers import worker_kill, worker_start

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="worker processes: PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]

NEEDS = 150  # × 2: opened by the customer (mail to the owner) and by staff (to the customer)
KILLS = 3


def _worker(tmp: Path) -> subprocess.Popen[bytes]:
    return worker_start(
        tmp,
        KLANTSTUUR_REACTION_BATCH="5",
    )


def _handled() -> int:
    connection.close()  # a fresh snapshot
    return int(ReactionCursor.objects.aggregate(n=Sum("handled"))["n"] or 0)


def _expected_notifications() -> Counter[tuple[int, str]]:
    events = list(
        JournalEvent.objects.filter(kind__in=notifications.NOTIFIED, need__isnull=False)
        .select_related("need__owner__user", "customer", "actor_staff", "actor_customer")
        .order_by("id")
    )
    emails = notifications._staff_emails(
        [i for e in events for i in notifications._staff_recipients(e)]
    )
    return Counter((e.pk, m.audience) for e in events for m in notifications.mails_for(e, emails))


def test_a_killed_worker_loses_nothing_and_does_nothing_twice(
    world: World, settings: Any, tmp_path: Path
) -> None:
    settings.KLANTSTUUR = {**settings.KLANTSTUUR, "REACTIONS_INLINE": False}
    for i in range(NEEDS):
        customer = world.customer_a if i % 2 else world.customer_b
        open_need(customer, summary=f"need {i}")
        open_need(customer, by=world.owner, summary=f"staff need {i}")
    events = JournalEvent.objects.count()
    rng = random.Random(10)
    left_behind = []
    deadline = time.monotonic() + 50
    for _ in range(KILLS):
        before = _handled()
        proc = _worker(tmp_path)
        try:
            wait_for(lambda b=before: _handled() > b, 20, "the worker's first batch")
            time.sleep(rng.uniform(0.05, 0.3))
        finally:
            worker_kill(proc)
        left_behind.append(events * len(consumers.registered()) - _handled())
    assert left_behind[0] > 0, "the first kill came after the whole backlog: nothing tested"

    proc = _worker(tmp_path)
    try:
        while any(lag.events_behind for lag in consumers.lags()):
            assert time.monotonic() < deadline, (tmp_path / "worker.log").read_text()[-3000:]
            connection.close()
            time.sleep(0.2)
    finally:
        worker_kill(proc, signal.SIGTERM)

    connection.close()
    events = JournalEvent.objects.count()  # the sweeps may have written some
    handled = dict(ReactionCursor.objects.values_list("name").annotate(n=Sum("handled")))
    assert handled == {c.name: events for c in consumers.registered()}
    needs = Need.objects.count()
    assert NeedFacts.objects.count() == needs == 2 * NEEDS
    assert DailyRollup.objects.aggregate(n=Sum("needs"))["n"] == needs
    recorded = Counter(Notification.objects.values_list("event_id", "audience"))
    expected = _expected_notifications()
    assert recorded == expected
    assert set(expected.values()) == {1}
    assert {audience for _, audience in expected} == {"customer", "staff"}

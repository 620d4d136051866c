"""A real ``klantstuur worker`` killed with SIGKILL in the middle of its batches, again and
again (issue #10; benchmarks/fault_kill_worker.py is the large version): after a restart
the backlog drains, every event is handed to each reaction exactly once, the projection
counts every need once and every notification is recorded exactly once."""

import os
import random
import signal
import subprocess
import sys
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
from tests.platform.servers import ROOT, wait_for

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="worker processes: PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]

NEEDS = 150  # × 2: opened by the customer (mail to the owner) and by staff (to the customer)
KILLS = 3


def _database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] or "postgres"
    if db["PASSWORD"]:
        auth += f":{db['PASSWORD']}"
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _worker(tmp: Path) -> subprocess.Popen[bytes]:
    """``klantstuur worker`` against the test database, small batches so a kill lands in
    the middle of the work."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTEST_", "DATABASE_", "KLANTSTUUR_"))
        and k != "DJANGO_SETTINGS_MODULE"
    }
    env.update(
        DJANGO_SETTINGS_MODULE="klantstuur.settings",
        DATABASE_URL=_database_url(),
        SECRET_KEY="worker-kill-test-secret-key-0123456789abcdefghijklmnop",
        KLANTSTUUR_DATA_DIR=str(tmp),
        KLANTSTUUR_REACTION_BATCH="5",
        EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
        LOG_LEVEL="WARNING",
    )
    return subprocess.Popen(
        [sys.executable, "-m", "klantstuur", "worker"],
        cwd=ROOT,
        env=env,
        stdout=(tmp / "worker.log").open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _handled() -> int:
    connection.close()  # a fresh snapshot
    return int(ReactionCursor.objects.aggregate(n=Sum("handled"))["n"] or 0)


def _kill(proc: subprocess.Popen[bytes], sig: int = signal.SIGKILL) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, sig)
    proc.wait(15)


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
            _kill(proc)
        left_behind.append(events * len(consumers.registered()) - _handled())
    assert left_behind[0] > 0, "the first kill came after the whole backlog: nothing tested"

    proc = _worker(tmp_path)
    try:
        while any(lag.events_behind for lag in consumers.lags()):
            assert time.monotonic() < deadline, (tmp_path / "worker.log").read_text()[-3000:]
            connection.close()
            time.sleep(0.2)
    finally:
        _kill(proc, signal.SIGTERM)

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

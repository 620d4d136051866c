"""A real ``klantstuur worker`` sending webhooks, killed with SIGKILL again and again while
deliveries are on their way and retries wait: afterwards every event has reached the
receiver (at least once, always under its one ``webhook-id``), none is lost."""

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from klantstuur.integrations import services
from klantstuur.integrations.models import DeliveryStatus, WebhookAttempt, WebhookDelivery
from klantstuur.needs.models import JournalEvent
from tests.conftest import World
from tests.helpers import open_need
from tests.platform.servers import ROOT, wait_for

from .receiver import receiving

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="worker processes: PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]

NEEDS = 60
KILLS = 3


def _database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] or "postgres"
    if db["PASSWORD"]:
        auth += f":{db['PASSWORD']}"
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _worker(tmp: Path) -> subprocess.Popen[bytes]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTEST_", "DATABASE_", "KLANTSTUUR_"))
        and k != "DJANGO_SETTINGS_MODULE"
    }
    env.update(
        DJANGO_SETTINGS_MODULE="klantstuur.settings",
        DATABASE_URL=_database_url(),
        SECRET_KEY="webhook-kill-test-secret-key-0123456789abcdefghijklmnop",
        KLANTSTUUR_DATA_DIR=str(tmp),
        KLANTSTUUR_WEBHOOKS_ALLOW_PRIVATE="1",
        KLANTSTUUR_WEBHOOK_BATCH="8",
        KLANTSTUUR_WEBHOOK_CONCURRENCY="4",
        KLANTSTUUR_WEBHOOK_TIMEOUT_SECONDS="1",
        KLANTSTUUR_WEBHOOK_RETRY_BASE_SECONDS="0.2",
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


def _kill(proc: subprocess.Popen[bytes], sig: int = signal.SIGKILL) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, sig)
    proc.wait(15)


def _delivered() -> int:
    connection.close()  # a fresh snapshot
    return WebhookDelivery.objects.filter(status=DeliveryStatus.DELIVERED).count()


def test_a_killed_worker_loses_no_webhook(world: World, settings: Any, tmp_path: Path) -> None:
    settings.KLANTSTUUR = {**settings.KLANTSTUUR, "REACTIONS_INLINE": False}
    rng = random.Random(12)
    with receiving() as receiver:
        # Every fourth answer a 500 (retries wait between attempts), every answer slowish.
        receiver.script = [(500 if i % 4 == 0 else 204, 0.02) for i in range(4 * NEEDS)]
        services.endpoint_create(
            business=world.x, url=receiver.url, events=["need_opened"], actor_staff=world.manager
        )
        for i in range(NEEDS):
            open_need(world.customer_a if i % 2 else world.customer_b, summary=f"need {i}")
        events = set(JournalEvent.objects.filter(kind="need_opened").values_list("pk", flat=True))
        assert len(events) == NEEDS
        kills_with_work_left = 0
        for _ in range(KILLS):
            before = len(receiver.received)
            proc = _worker(tmp_path)
            try:
                wait_for(lambda b=before: len(receiver.received) > b, 30, "a delivery")
                time.sleep(rng.uniform(0.05, 0.4))
            finally:
                _kill(proc)
            kills_with_work_left += _delivered() < NEEDS
        assert kills_with_work_left > 0, "every kill came after all was sent: nothing tested"
        proc = _worker(tmp_path)
        try:
            deadline = time.monotonic() + 60
            while _delivered() < NEEDS:
                assert time.monotonic() < deadline, (tmp_path / "worker.log").read_text()[-3000:]
                time.sleep(0.2)
        finally:
            _kill(proc, signal.SIGTERM)
        connection.close()
        got = {r.json["data"]["id"] for r in receiver.received}
        assert got == events  # none lost
        # Each id stands for one event: a repeat is the same message again.
        by_id: dict[str, set[bytes]] = {}
        for r in receiver.received:
            by_id.setdefault(r.headers["webhook-id"], set()).add(r.body)
        assert {len(bodies) for bodies in by_id.values()} == {1}
        assert len(by_id) == NEEDS
        assert WebhookDelivery.objects.count() == NEEDS
        assert WebhookAttempt.objects.filter(status_code=500).exists()

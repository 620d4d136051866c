"""A real ``klantstuur worker`` sending webhooks, killed with SIGKILL again and again while
deliveries are on their way and retries wait: afterwards every event has reached the
receiver (at least once, always under its one ``webhook-id``), none is lost."""

import random
import signal
import subprocess
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
from tests.platform.servers import wait_for
from tests.platform.workers import worker_kill, worker_start

from .receiver import receiving

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="worker processes: PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]

NEEDS = 60
KILLS = 3


def _worker(tmp: Path) -> subprocess.Popen[bytes]:
    return worker_start(
        tmp,
        KLANTSTUUR_WEBHOOKS_ALLOW_PRIVATE="1",
        KLANTSTUUR_WEBHOOK_BATCH="8",
        KLANTSTUUR_WEBHOOK_CONCURRENCY="4",
        KLANTSTUUR_WEBHOOK_TIMEOUT_SECONDS="1",
        KLANTSTUUR_WEBHOOK_RETRY_BASE_SECONDS="0.2",
    )


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
                worker_kill(proc)
            kills_with_work_left += _delivered() < NEEDS
        assert kills_with_work_left > 0, "every kill came after all was sent: nothing tested"
        proc = _worker(tmp_path)
        try:
            deadline = time.monotonic() + 60
            while _delivered() < NEEDS:
                assert time.monotonic() < deadline, (tmp_path / "worker.log").read_text()[-3000:]
                time.sleep(0.2)
        finally:
            worker_kill(proc, signal.SIGTERM)
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

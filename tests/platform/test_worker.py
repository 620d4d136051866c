"""The worker: runs queued tasks in bounded rounds, sweeps between them, stops when told."""

import threading
import time
from typing import Any

import pytest
from django.db import OperationalError
from django_tasks_db.models import DBTaskResult

from klantstuur import worker
from klantstuur.delivery.notify import send_alert

pytestmark = pytest.mark.django_db(transaction=True)


def _successful() -> int:
    try:
        return DBTaskResult.objects.filter(status="SUCCESSFUL").count()
    except OperationalError:
        # SQLite's shared-cache test database answers "locked" at once, instead of
        # waiting, while the worker's thread writes: look again on the next poll.
        return -1


def test_it_works_through_a_backlog_in_rounds_and_stops_when_told(
    settings: Any, monkeypatch: Any
) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    monkeypatch.setattr(worker, "TASKS_PER_ROUND", 2)
    sweeps: list[int] = []
    monkeypatch.setattr(worker, "run_sweeps", lambda: sweeps.append(1) or {})
    for _ in range(5):
        send_alert.enqueue(0)  # no such event: the task does nothing
    assert DBTaskResult.objects.filter(status="READY").count() == 5
    stop = threading.Event()
    thread = threading.Thread(target=worker.run_forever, kwargs={"interval": 0.2, "stop": stop})
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while _successful() < 5:
            assert time.monotonic() < deadline, "the backlog was not worked through"
            time.sleep(0.1)
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive()
    assert sweeps  # the sweeps ran between the rounds

"""The background worker: the journal's deferred reactions, sweeps and one-off tasks.

Outgoing webhooks that are due are sent after the reactions (klantstuur.integrations).
Reactions read the journal in batches (klantstuur.needs.consumers); any number of
worker processes, on any number of machines, share them. Sweeps are the time-driven
steps: handoff reminders and expiries, resolutions confirmed after the announced quiet
period. One-off jobs (a delivery alert's e-mail) are django-tasks database tasks.
"""

import logging
import os
import signal
import threading
import time
from types import FrameType

from django.conf import settings
from django.db import close_old_connections
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands.db_worker import Worker

logger = logging.getLogger("klantstuur.worker")


# Batches of every reaction per round, before the sweeps and tasks get their turn.
REACTION_ROUNDS = 20
LAG_LOG_SECONDS = 60.0


def run_reactions() -> int:
    """A bounded round of every deferred reaction; the number of events handled."""
    from klantstuur.needs import consumers

    return consumers.consume(rounds=REACTION_ROUNDS)


def run_webhooks() -> int:
    """Outgoing webhooks that are due: a bounded number of rounds; attempts made."""
    from klantstuur.integrations import sender

    return sender.deliver_all(max_rounds=WEBHOOK_ROUNDS)


WEBHOOK_ROUNDS = 10


def log_lag() -> None:
    from klantstuur.needs import consumers

    consumers.log_lag()


def run_sweeps() -> dict[str, int]:
    """Every registered sweep once (see klantstuur.core.sweeps)."""
    from klantstuur.core import sweeps

    return sweeps.run_all()


TASKS_PER_ROUND = 500


def run_forever(
    *, interval: float = 1.0, stop: threading.Event | None = None, parent_pid: int | None = None
) -> None:
    """Run until SIGINT/SIGTERM, or until ``parent_pid`` is gone (the demo's worker)."""
    stop = stop or threading.Event()
    worker_id = get_random_string(32)
    current: list[Worker] = []

    def _stop(signum: int, frame: FrameType | None) -> None:
        logger.info("worker stopping")
        stop.set()
        for tasks in current:  # ends the round after the task at hand
            tasks.running = False

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, _stop)
        signal.signal(signal.SIGTERM, _stop)

    sweep_every = settings.KLANTSTUUR["SWEEP_SECONDS"]
    next_sweep = 0.0
    next_lag = time.monotonic() + LAG_LOG_SECONDS
    logger.info("worker started")
    while not stop.is_set():
        busy = False
        if parent_pid is not None and os.getppid() != parent_pid:
            logger.info("parent process gone; worker stopping")
            break
        try:
            if time.monotonic() >= next_sweep:
                done = run_sweeps()
                if any(done.values()):
                    logger.info("sweep: %s", done)
                next_sweep = time.monotonic() + sweep_every
            if stop.is_set():
                break
            started = time.monotonic()
            handled = run_reactions()
            handled += run_webhooks()
            if time.monotonic() >= next_lag:
                log_lag()
                next_lag = time.monotonic() + LAG_LOG_SECONDS
            if stop.is_set():
                break
            # A bounded round, so sweeps and stopping come round during a long backlog.
            tasks = Worker(
                queue_names=["*"],
                interval=0,
                batch=True,
                backend_name="default",
                startup_delay=False,
                max_tasks=TASKS_PER_ROUND,
                worker_id=worker_id,
                excluded_queue_names=[],
            )
            current[:] = [tasks]
            tasks.run()  # ready tasks until none is left or the round is full
            busy = handled > 0 or time.monotonic() - started > interval
        except Exception:  # keep the worker alive; the failure is logged and retried
            logger.exception("worker iteration failed")
        finally:
            close_old_connections()
        if not busy:  # a backlog goes on at once; an idle queue is polled every interval
            stop.wait(interval)

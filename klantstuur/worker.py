"""The background worker: queued tasks (django-tasks database backend) plus sweeps.

Sweeps are the time-driven steps: handoff reminders and expiries, and
resolutions confirmed after the announced quiet period.
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


def run_sweeps() -> dict[str, int]:
    """Every registered sweep once (see klantstuur.core.sweeps)."""
    from klantstuur.core import sweeps

    return sweeps.run_all()


def run_forever(
    *, interval: float = 1.0, stop: threading.Event | None = None, parent_pid: int | None = None
) -> None:
    """Run until SIGINT/SIGTERM, or until ``parent_pid`` is gone (the demo's worker)."""
    stop = stop or threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        logger.info("worker stopping")
        stop.set()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, _stop)
        signal.signal(signal.SIGTERM, _stop)

    tasks = Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=get_random_string(32),
        excluded_queue_names=[],
    )
    sweep_every = settings.KLANTSTUUR["SWEEP_SECONDS"]
    next_sweep = 0.0
    logger.info("worker started")
    while not stop.is_set():
        if parent_pid is not None and os.getppid() != parent_pid:
            logger.info("parent process gone; worker stopping")
            break
        try:
            if time.monotonic() >= next_sweep:
                done = run_sweeps()
                if any(done.values()):
                    logger.info("sweep: %s", done)
                next_sweep = time.monotonic() + sweep_every
            tasks.running = True
            tasks.run()  # runs every ready task, then returns
        except Exception:  # keep the worker alive; the failure is logged and retried
            logger.exception("worker iteration failed")
        finally:
            close_old_connections()
        stop.wait(interval)

"""Time-driven steps the worker runs every few seconds (reminders, expiries, promises).

Apps register theirs in ``AppConfig.ready``; each takes ``now`` and returns a
count of what it did. Each must be idempotent and bounded per call.
"""

import logging
from collections.abc import Callable
from datetime import datetime

from django.utils import timezone

logger = logging.getLogger("klantstuur.sweeps")

Sweep = Callable[[datetime], int]
_sweeps: dict[str, Sweep] = {}


def register(name: str, sweep: Sweep) -> None:
    _sweeps[name] = sweep


def run_all(now: datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    done: dict[str, int] = {}
    for name, sweep in list(_sweeps.items()):
        try:
            done[name] = sweep(now)
        except Exception:  # one failing sweep must not stop the others
            logger.exception("sweep %s failed", name)
            done[name] = -1
    return done

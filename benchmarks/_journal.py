"""Shared pieces of the journal-as-queue benchmarks (issue #10): cursors, lag, workers,
and counting every effect back in the database.

Django must be set up (``_common.django_setup``) before these functions are called.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from _common import ROOT, SECRET_KEY

# The mail goes nowhere: the ``Notification`` rows are what is counted.
DUMMY_MAIL = "django.core.mail.backends.dummy.EmailBackend"


def worker_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a ``klantstuur worker`` or a benchmark child."""
    env = dict(os.environ, SECRET_KEY=SECRET_KEY, EMAIL_BACKEND=DUMMY_MAIL)
    env.setdefault("LOG_LEVEL", "WARNING")
    env.pop("KLANTSTUUR_PARENT_PID", None)
    env.update(extra or {})
    return env


def start_worker(log: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """``klantstuur worker`` exactly as production runs it, in its own process group."""
    log.parent.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(
        [sys.executable, "-m", "klantstuur", "worker"],
        cwd=ROOT,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop(proc: subprocess.Popen[bytes], *, kill: bool = False) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL if kill else signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def partitions_env(spec: str) -> dict[str, str]:
    return {"KLANTSTUUR_REACTION_PARTITIONS": spec} if spec else {}


def apply_partitions(spec: str) -> None:
    """The same partitions in this process as in the workers it starts."""
    from django.conf import settings

    parts = {}
    for part in spec.split(","):
        if "=" in part:
            name, n = part.split("=", 1)
            parts[name.strip()] = int(n)
    settings.KLANTSTUUR["REACTION_PARTITIONS"] = parts


def reactions() -> list[Any]:
    from klantstuur.needs import consumers

    return consumers.registered()


def position_before_last(events: int) -> tuple[int, int]:
    """The queue position just before the last ``events`` journal events."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "SELECT tx, id FROM needs_journalevent ORDER BY tx DESC, id DESC OFFSET %s LIMIT 1",
            [events],
        )
        row = cur.fetchone()
    return (int(row[0]), int(row[1])) if row else (0, 0)


def events_after(pos: tuple[int, int]) -> int:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM needs_journalevent WHERE (tx, id) > (%s, %s)", pos)
        return int(cur.fetchone()[0])


def reset_cursors(pos: tuple[int, int]) -> None:
    """Every reaction's cursor (each of its partitions) at ``pos``; the Notification rows
    of the events after it deleted, so the notifications reaction sends them again. The
    metrics projection needs no reset: it recomputes a need's facts and moves the
    roll-ups by the difference, so handling an event again changes nothing."""
    from django.db import connection

    from klantstuur.needs import consumers
    from klantstuur.needs.models import ReactionCursor

    ReactionCursor.objects.all().delete()
    rows = []
    for consumer in reactions():
        n = consumers._partitions(consumer)
        for p in range(n):
            rows.append(
                ReactionCursor(
                    name=consumer.name, partition=p, partitions=n, tx=pos[0], event_id=pos[1]
                )
            )
    ReactionCursor.objects.bulk_create(rows)
    with connection.cursor() as cur:
        cur.execute(
            "DELETE FROM needs_notification WHERE event_id IN"
            " (SELECT id FROM needs_journalevent WHERE (tx, id) > (%s, %s))",
            pos,
        )


def handled() -> dict[str, int]:
    """Events handed over so far, per reaction (all partitions)."""
    from django.db.models import Sum

    from klantstuur.needs.models import ReactionCursor

    rows = ReactionCursor.objects.values("name").annotate(n=Sum("handled"))
    return {r["name"]: int(r["n"] or 0) for r in rows}


def lag_by_reaction() -> dict[str, tuple[int, float]]:
    """Per reaction: (events behind, seconds behind), the worst partition."""
    from klantstuur.needs import consumers

    out: dict[str, tuple[int, float]] = {}
    for lag in consumers.lags():
        events, seconds = out.get(lag.name, (0, 0.0))
        out[lag.name] = (events + lag.events_behind, max(seconds, lag.seconds_behind))
    return out


def caught_up() -> bool:
    from klantstuur.needs import consumers

    return all(lag.events_behind == 0 for lag in consumers.lags())


def wait_caught_up(timeout: float, poll: float = 0.1) -> float | None:
    """Seconds until every reaction is at the journal's head, None after ``timeout``."""
    from django.db import connection

    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if caught_up():
            return time.monotonic() - start
        connection.close()  # a fresh snapshot each poll
        time.sleep(poll)
    return None


def expected_notifications(after: tuple[int, int], chunk: int = 2000) -> Counter[tuple[int, str]]:
    """The (event, audience) pairs the notification rule (``mails_for``) gives for every
    event after ``after``: what the reaction must have recorded, each once."""
    from django.db import connection

    from klantstuur.needs import notifications
    from klantstuur.needs.models import JournalEvent

    expected: Counter[tuple[int, str]] = Counter()
    with connection.cursor() as cur:
        cur.execute(
            "SELECT id FROM needs_journalevent WHERE (tx, id) > (%s, %s) AND need_id IS NOT NULL"
            " AND kind = ANY(%s) ORDER BY id",
            [*after, [str(k) for k in notifications.NOTIFIED]],
        )
        ids = [int(r[0]) for r in cur.fetchall()]
    for start in range(0, len(ids), chunk):
        batch = list(
            JournalEvent.objects.filter(pk__in=ids[start : start + chunk]).select_related(
                "need__owner__user", "customer", "actor_staff", "actor_customer"
            )
        )
        staff = [i for e in batch for i in notifications._staff_recipients(e)]
        emails = notifications._staff_emails(staff)
        for event in batch:
            for mail in notifications.mails_for(event, emails):
                expected[(event.pk, mail.audience)] += 1
    return expected


def notifications_check(after: tuple[int, int]) -> dict[str, Any]:
    """Every expected (event, audience) recorded exactly once, nothing else."""
    from django.db import connection

    expected = expected_notifications(after)
    with connection.cursor() as cur:
        cur.execute(
            "SELECT n.event_id, n.audience, count(*) FROM needs_notification n"
            " JOIN needs_journalevent e ON e.id = n.event_id"
            " WHERE (e.tx, e.id) > (%s, %s) GROUP BY 1, 2",
            after,
        )
        actual = {(int(e), a): int(c) for e, a, c in cur.fetchall()}
    missing = [k for k in expected if k not in actual]
    duplicated = [k for k, c in actual.items() if c > 1]
    unexpected = [k for k in actual if k not in expected]
    return {
        "expected": sum(expected.values()),
        "recorded": sum(actual.values()),
        "by_audience": dict(Counter(a for _, a in actual)),
        "missing": len(missing),
        "duplicated": len(duplicated),
        "unexpected": len(unexpected),
        "ok": not (missing or duplicated or unexpected),
    }


def cpu_of_children() -> float:
    """CPU seconds of every child reaped so far (user + system)."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    s = sorted(values)
    k = min(len(s) - 1, max(0, round(p / 100 * len(s) + 0.5) - 1))
    return round(s[k], 3)


def loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]

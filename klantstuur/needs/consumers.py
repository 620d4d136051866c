"""The journal is the queue (ADR 0010): deferred reactions read it in order, in batches.

Each deferred reaction (the metrics projection, notifications, delivery problems, …)
keeps a cursor per partition of the journal: the position of the last event it has
handled. A worker claims a cursor row (``FOR UPDATE SKIP LOCKED``, so any number of
workers on any number of machines share the reactions without handing one batch to
two of them), reads the next batch after it, lets the reaction handle the batch, and
moves the cursor in the same transaction. Effects in the database therefore happen
exactly once per reaction; a killed worker's transaction rolls back and its batch is
simply claimed again. Effects that leave the database (e-mail) are at least once.

Positions are ``(tx, id)``: the id of the transaction that wrote the event, then the
event's id. Ids are handed out when a row is inserted but become visible when its
transaction commits, so reading by id alone could pass over an event whose
transaction commits late. On PostgreSQL an event is read only once its transaction is
older than every transaction still running (``pg_snapshot_xmin``); every event that
can still appear then sorts after the cursor. SQLite runs one writer at a time, so
there ids are visible in order and ``tx`` stays 0 (needs/queries.py).
"""

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import F
from django.utils import timezone

from klantstuur.core.queries import one

from . import queries
from .models import JournalEvent, ReactionCursor

logger = logging.getLogger("klantstuur.reactions")

BatchHandler = Callable[[Sequence[JournalEvent]], None]
EventHandler = Callable[[JournalEvent], None]


@dataclass(frozen=True)
class Consumer:
    """A deferred reaction. ``handle_many`` does for a whole batch what ``handle`` does
    for each event (set-based: one query for the batch, not one per event)."""

    name: str
    handle: EventHandler
    handle_many: BatchHandler | None = None
    # Only these kinds are handed over (None: every event); the cursor passes the rest.
    kinds: frozenset[str] | None = None
    # Where a new cursor starts: at the first event ever, or at the events to come.
    from_start: bool = True
    partitions: int = 1


@dataclass
class Outcome:
    name: str
    partition: int
    events: int = 0


_consumers: dict[str, Consumer] = {}


def register(consumer: Consumer) -> None:
    _consumers.setdefault(consumer.name, consumer)


def registered() -> list[Consumer]:
    return list(_consumers.values())


def _setting(name: str, default: Any) -> Any:
    return settings.KLANTSTUUR.get(name, default)


def batch_size() -> int:
    return int(_setting("REACTION_BATCH", 500))


def _partitions(consumer: Consumer) -> int:
    configured: dict[str, int] = _setting("REACTION_PARTITIONS", {})
    return max(int(configured.get(consumer.name, consumer.partitions)), 1)


def _cursor(consumer: Consumer, partition: int, partitions: int) -> ReactionCursor | None:
    """Claim the cursor row (inside the caller's transaction), or None while another
    worker holds it. A cursor that does not exist yet is made first."""
    claimed = _claim(consumer.name, partition)
    if claimed is not None:
        return claimed
    tx, event_id = (0, 0) if consumer.from_start else queries.journal_head()
    ReactionCursor.objects.bulk_create(
        [
            ReactionCursor(
                name=consumer.name,
                partition=partition,
                partitions=partitions,
                tx=tx,
                event_id=event_id,
            )
        ],
        ignore_conflicts=True,
    )
    return _claim(consumer.name, partition)


def _claim(name: str, partition: int) -> ReactionCursor | None:
    return one(
        ReactionCursor.objects.select_for_update(skip_locked=True).filter(
            name=name, partition=partition
        )
    )


def _handle(consumer: Consumer, wanted: Sequence[JournalEvent]) -> None:
    """The batch form first; if it fails, event by event, so one bad event is logged and
    passed over instead of holding up every event behind it. ``wanted`` is already of the
    reaction's partition and kinds (queries.journal_after)."""
    if not wanted:
        return
    if consumer.handle_many is not None:
        try:
            with transaction.atomic():
                consumer.handle_many(wanted)
            return
        except Exception:
            logger.exception(
                "reaction %s failed for a batch of %d from event %s; event by event now",
                consumer.name,
                len(wanted),
                wanted[0].pk,
            )
    for event in wanted:
        try:
            with transaction.atomic():
                consumer.handle(event)
        except Exception:
            logger.exception("reaction %s failed for event %s", consumer.name, event.pk)


def consume_once(consumer: Consumer, partition: int = 0, *, limit: int | None = None) -> Outcome:
    """One batch of one reaction in one partition, in one transaction: ``events`` is the
    number of journal events the cursor moved past (0 when it was caught up or another
    worker holds the cursor)."""
    partitions = _partitions(consumer)
    outcome = Outcome(consumer.name, partition)
    with transaction.atomic():
        cursor = _cursor(consumer, partition, partitions)
        if cursor is None:
            return outcome
        batch = queries.journal_after(
            tx=cursor.tx,
            event_id=cursor.event_id,
            limit=limit or batch_size(),
            partition=partition,
            partitions=partitions,
            kinds=consumer.kinds,
        )
        if batch.last is None:
            return outcome
        _handle(consumer, batch.events)
        ReactionCursor.objects.filter(pk=cursor.pk).update(
            tx=batch.last.tx,
            event_id=batch.last.event_id,
            handled=F("handled") + batch.read,
            updated_at=timezone.now(),
        )
        outcome.events = batch.read
    return outcome


def consume(
    consumers: Iterable[Consumer] | None = None, *, rounds: int = 1, limit: int | None = None
) -> int:
    """Up to ``rounds`` batches of every reaction and partition, round robin; the number
    of events handled."""
    done = 0
    chosen = list(consumers if consumers is not None else registered())
    for _ in range(rounds):
        handled = 0
        for consumer in chosen:
            for partition in range(_partitions(consumer)):
                try:
                    handled += consume_once(consumer, partition, limit=limit).events
                except DatabaseError:
                    logger.exception("reaction %s/%d could not run", consumer.name, partition)
        done += handled
        if not handled:
            break
    return done


def skip_to_head() -> None:
    """Every reaction's cursor to the journal's end: what is there now counts as handled
    (the demo's history, which is loaded, not lived)."""
    tx, event_id = queries.journal_head()
    for consumer in registered():
        partitions = _partitions(consumer)
        for partition in range(partitions):
            ReactionCursor.objects.update_or_create(
                name=consumer.name,
                partition=partition,
                defaults={"tx": tx, "event_id": event_id, "partitions": partitions},
            )


def report() -> list[dict[str, Any]]:
    """For ``/healthz?verbose=1``: how far each reaction is behind, and whether it is late."""
    return [
        {
            "name": lag.name,
            "partition": lag.partition,
            "events_behind": lag.events_behind,
            "seconds_behind": round(lag.seconds_behind, 1),
            "handled": lag.handled,
            "late": lag.late,
        }
        for lag in lags()
    ]


def drain(*, max_rounds: int = 1000, settle_seconds: float = 0.0) -> int:
    """Every reaction until it has caught up (tests). With ``settle_seconds``, also waits
    that long at most for events a still-running older transaction holds back."""
    done = consume(rounds=max_rounds)
    deadline = time.monotonic() + settle_seconds
    while time.monotonic() < deadline and any(lag.events_behind for lag in lags()):
        time.sleep(0.02)
        done += consume(rounds=max_rounds)
    return done


def inline() -> bool:
    """Reactions run right after each commit, in the committing process (tests), instead
    of in the worker."""
    return bool(_setting("REACTIONS_INLINE", False))


@dataclass(frozen=True)
class Lag:
    name: str
    partition: int
    events_behind: int
    seconds_behind: float
    handled: int

    @property
    def late(self) -> bool:
        return self.seconds_behind > float(_setting("REACTION_LAG_WARN", 60))


def lags(
    now: datetime | None = None, *, count_up_to: int = 100_000, names: Iterable[str] | None = None
) -> list[Lag]:
    """How far each reaction (or those named) is behind the journal: events not yet
    handled (counted up to ``count_up_to``) and the age of the oldest of them."""
    now = now or timezone.now()
    out = []
    named = None if names is None else set(names)
    chosen = [c for c in registered() if named is None or c.name in named]
    cursors = {
        (c.name, c.partition): c
        for c in ReactionCursor.objects.filter(name__in=[c.name for c in chosen])
    }
    for consumer in chosen:
        partitions = _partitions(consumer)
        for partition in range(partitions):
            c = cursors.get((consumer.name, partition))
            tx, event_id = (c.tx, c.event_id) if c else (0, 0)
            behind, oldest = queries.journal_behind(
                tx=tx,
                event_id=event_id,
                partition=partition,
                partitions=partitions,
                up_to=count_up_to,
            )
            seconds = max((now - oldest).total_seconds(), 0.0) if oldest else 0.0
            out.append(Lag(consumer.name, partition, behind, seconds, c.handled if c else 0))
    return out


def log_lag(now: datetime | None = None) -> list[Lag]:
    """One line per reaction for the worker's log; a warning for one more than a minute
    behind."""
    found = lags(now)
    for lag in found:
        level = logging.WARNING if lag.late else logging.INFO
        logger.log(
            level,
            "reaction=%s partition=%d behind_events=%d behind_seconds=%.1f handled=%d",
            lag.name,
            lag.partition,
            lag.events_behind,
            lag.seconds_behind,
            lag.handled,
        )
    return found

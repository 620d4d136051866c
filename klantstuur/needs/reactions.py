"""After-commit reactions to journal events (DESIGN.md §3).

Every journal event, once its transaction commits, is handed to each
registered reaction: notifications, live streams, standing instructions,
webhooks, metric projections. Apps register theirs in ``AppConfig.ready``.

A reaction is *immediate* (runs in the committing process right after the
commit: live streams, which must be fast and local) or *deferred* (runs in the
background worker through one task per event: projections, standing
instructions — work a request should not wait for). A batch of events written
together (``journal.record_events``, carrier ingest) is dispatched once
(``dispatch_many``): one task carries the deferred reactions of all its events. A failing reaction is
logged and never undoes or blocks the change, nor the other reactions.
"""

import logging
from collections.abc import Callable, Sequence
from contextvars import ContextVar

from django_tasks import task

from klantstuur.core.queries import one

from .models import JournalEvent

logger = logging.getLogger("klantstuur.reactions")

Reaction = Callable[[JournalEvent], None]
# The same reaction for many events at once (one query or notification for a batch).
BatchReaction = Callable[[Sequence[JournalEvent]], None]
_immediate: list[tuple[str, Reaction]] = []
_deferred: list[tuple[str, Reaction]] = []
_many: dict[str, BatchReaction] = {}
# Loading history (the demo) records events without reacting to them now.
suppressed: ContextVar[bool] = ContextVar("reactions_suppressed", default=False)


def register(
    name: str,
    reaction: Reaction,
    *,
    deferred: bool = False,
    many: BatchReaction | None = None,
) -> None:
    """``many``: optional; the reaction for a whole batch (``dispatch_many``), which must do
    what ``reaction`` does for each event. Without it a batch gets ``reaction`` per event."""
    if any(existing == name for existing, _ in (*_immediate, *_deferred)):
        return
    (_deferred if deferred else _immediate).append((name, reaction))
    if many is not None:
        _many[name] = many


def _run(reactions: list[tuple[str, Reaction]], event: JournalEvent) -> None:
    for name, reaction in list(reactions):
        try:
            reaction(event)
        except Exception:
            logger.exception("reaction %s failed for event %s", name, event.pk)


def _run_many(reactions: list[tuple[str, Reaction]], events: Sequence[JournalEvent]) -> None:
    """Every reaction for every event: those without a batch form event by event, as
    ``dispatch`` runs them, then each batch form once for all the events."""
    reactions = list(reactions)
    single = [(name, reaction) for name, reaction in reactions if name not in _many]
    for event in events:
        _run(single, event)
    for name, _reaction in reactions:
        batch = _many.get(name)
        if batch is None:
            continue
        try:
            batch(events)
        except Exception:
            logger.exception(
                "reaction %s failed for %d events from %s", name, len(events), events[0].pk
            )


def dispatch(event: JournalEvent) -> None:
    _run(_immediate, event)
    if _deferred:
        try:
            run_deferred_reactions.enqueue(event.pk)
        except Exception:
            logger.exception("could not queue deferred reactions for event %s", event.pk)


def dispatch_many(events: Sequence[JournalEvent]) -> None:
    """A batch of events committed together (carrier ingest): the immediate reactions
    (each for every event, in order, or in its batch form) and ONE task for the deferred
    reactions of them all."""
    if not events:
        return
    _run_many(_immediate, events)
    if _deferred:
        ids = [event.pk for event in events]
        try:
            run_deferred_reactions_many.enqueue(ids)
        except Exception:
            logger.exception(
                "could not queue deferred reactions for %d events from %s", len(ids), ids[0]
            )


@task()
def run_deferred_reactions(event_id: int) -> None:
    event = one(JournalEvent.objects.select_related("need", "customer").filter(pk=event_id))
    if event is not None:
        _run(_deferred, event)


@task()
def run_deferred_reactions_many(event_ids: list[int]) -> None:
    """The deferred reactions of a batch, for every event in the order given; a failing
    reaction is logged and stops neither the others nor the rest of the batch."""
    found = JournalEvent.objects.select_related("need", "customer").in_bulk(event_ids)
    events = [found[i] for i in event_ids if i in found]
    if events:
        _run_many(_deferred, events)

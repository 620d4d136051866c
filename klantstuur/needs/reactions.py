"""Reactions to journal events (DESIGN.md §3, ADR 0006, ADR 0010).

Every journal event, once its transaction commits, reaches each registered reaction:
notifications, live streams, standing instructions, webhooks, metric projections. Apps
register theirs in ``AppConfig.ready``.

A reaction is *immediate* (runs in the committing process right after the commit: live
streams, which must be fast and local) or *deferred* (work a request should not wait
for: projections, notifications, delivery problems). Deferred reactions read the
journal itself as their queue, in order and in batches, in the worker
(``needs.consumers``): the request pays nothing for them. A batch of events written
together (``journal.record_events``, carrier ingest) reaches the immediate reactions
once (``dispatch_many``). A failing reaction is logged and never undoes or blocks the
change, nor the other reactions.
"""

import logging
from collections.abc import Callable, Iterable, Sequence
from contextvars import ContextVar

from . import consumers
from .models import JournalEvent

logger = logging.getLogger("klantstuur.reactions")

Reaction = Callable[[JournalEvent], None]
# The same reaction for many events at once (one query or notification for a batch).
BatchReaction = Callable[[Sequence[JournalEvent]], None]
_immediate: list[tuple[str, Reaction]] = []
_many: dict[str, BatchReaction] = {}
# Loading history (the demo) records events without reacting to them now.
suppressed: ContextVar[bool] = ContextVar("reactions_suppressed", default=False)


def register(
    name: str,
    reaction: Reaction,
    *,
    deferred: bool = False,
    many: BatchReaction | None = None,
    kinds: Iterable[str] | None = None,
    from_start: bool = True,
) -> None:
    """``many``: optional; the reaction for a whole batch, which must do what ``reaction``
    does for each event. ``kinds`` (deferred only): the event kinds it reacts to.
    ``from_start`` (deferred only): a new reaction reads the journal from its first event,
    or only the events written from now on."""
    if deferred:
        consumers.register(
            consumers.Consumer(
                name=name,
                handle=reaction,
                handle_many=many,
                kinds=frozenset(kinds) if kinds is not None else None,
                from_start=from_start,
            )
        )
        return
    if any(existing == name for existing, _ in _immediate):
        return
    _immediate.append((name, reaction))
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


def _deferred_inline() -> None:
    """Where reactions run in the committing process (tests), they run now."""
    if consumers.inline():
        try:
            consumers.drain(settle_seconds=2.0)
        except Exception:
            logger.exception("deferred reactions failed")


def dispatch(event: JournalEvent) -> None:
    _run(_immediate, event)
    _deferred_inline()


def dispatch_many(events: Sequence[JournalEvent]) -> None:
    """A batch of events committed together (carrier ingest): the immediate reactions
    (each for every event, in order, or in its batch form)."""
    if not events:
        return
    _run_many(_immediate, events)
    _deferred_inline()

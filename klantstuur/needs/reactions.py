"""After-commit reactions to journal events (DESIGN.md §3).

Every journal event, once its transaction commits, is handed to each
registered reaction: notifications, live streams, standing instructions,
webhooks, metric projections. Apps register theirs in ``AppConfig.ready``.

A reaction is *immediate* (runs in the committing process right after the
commit: live streams, which must be fast and local) or *deferred* (runs in the
background worker through one task per event: projections, standing
instructions — work a request should not wait for). A failing reaction is
logged and never undoes or blocks the change, nor the other reactions.
"""

import logging
from collections.abc import Callable
from contextvars import ContextVar

from django_tasks import task

from .models import JournalEvent

logger = logging.getLogger("klantstuur.reactions")

Reaction = Callable[[JournalEvent], None]
_immediate: list[tuple[str, Reaction]] = []
_deferred: list[tuple[str, Reaction]] = []
# Loading history (the demo) records events without reacting to them now.
suppressed: ContextVar[bool] = ContextVar("reactions_suppressed", default=False)


def register(name: str, reaction: Reaction, *, deferred: bool = False) -> None:
    if any(existing == name for existing, _ in (*_immediate, *_deferred)):
        return
    (_deferred if deferred else _immediate).append((name, reaction))


def _run(reactions: list[tuple[str, Reaction]], event: JournalEvent) -> None:
    for name, reaction in list(reactions):
        try:
            reaction(event)
        except Exception:
            logger.exception("reaction %s failed for event %s", name, event.pk)


def dispatch(event: JournalEvent) -> None:
    _run(_immediate, event)
    if _deferred:
        try:
            run_deferred_reactions.enqueue(event.pk)
        except Exception:
            logger.exception("could not queue deferred reactions for event %s", event.pk)


@task()
def run_deferred_reactions(event_id: int) -> None:
    event = JournalEvent.objects.select_related("need", "customer").filter(pk=event_id).first()
    if event is not None:
        _run(_deferred, event)

"""After-commit reactions to journal events (DESIGN.md §3).

Every journal event, once its transaction commits, is handed to each
registered reaction: notifications, live streams, standing instructions,
webhooks, metric projections. Apps register theirs in ``AppConfig.ready``.
A failing reaction is logged and never undoes or blocks the change.
"""

import logging
from collections.abc import Callable
from contextvars import ContextVar

from .models import JournalEvent

logger = logging.getLogger("klantstuur.reactions")

Reaction = Callable[[JournalEvent], None]
_reactions: list[tuple[str, Reaction]] = []
# Loading history (the demo) records events without reacting to them now.
suppressed: ContextVar[bool] = ContextVar("reactions_suppressed", default=False)


def register(name: str, reaction: Reaction) -> None:
    if any(existing == name for existing, _ in _reactions):
        return
    _reactions.append((name, reaction))


def dispatch(event: JournalEvent) -> None:
    for name, reaction in list(_reactions):
        try:
            reaction(event)
        except Exception:
            logger.exception("reaction %s failed for event %s", name, event.pk)

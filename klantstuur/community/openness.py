"""Keeping ``SharedQuestion.open`` true to its need (a deferred reaction, ADR 0010).

The community list reads the partial index of shared *open* questions, so that its page
and its capped count walk open questions only, not every question ever shared. Whether a
question is open is its need's status: this reaction sets the flag from the need's
status as it is now whenever a need is solved, cancelled or reopened — idempotent and
indifferent to order, so a batch read twice or late leaves it right. The list still
checks the need's status itself, so a flag a moment behind never shows a closed question.
"""

from collections.abc import Sequence

from django.db.models import Exists, OuterRef

from klantstuur.needs.models import ACTIVE_STATUSES, EventKind, JournalEvent, Need

from .models import SharedQuestion

KINDS = (
    EventKind.RESOLUTION_CONFIRMED,
    EventKind.NEED_CANCELLED,
    EventKind.NEED_REOPENED,
)


def react(event: JournalEvent) -> None:
    react_many([event])


def react_many(batch: Sequence[JournalEvent]) -> None:
    ids = sorted({e.need_id for e in batch if e.kind in KINDS and e.need_id is not None})
    if not ids:
        return
    active = Need.objects.filter(pk=OuterRef("need_id"), status__in=ACTIVE_STATUSES)
    SharedQuestion.objects.filter(need_id__in=ids).update(open=Exists(active))

"""Keeping the projections up to date as events arrive (DESIGN.md §3, ADR 0010).

The metrics reaction reads the journal in batches (``react_many``). For every need an
event touches it recomputes that need's ``NeedFacts`` from the need's own journal, then
moves the difference between the old and the new facts into the roll-ups
(``batch.project_needs``). Recomputing instead of incrementing makes it idempotent: a
batch that runs twice, or a rebuild, lands on the same numbers. The rules themselves
are in ``facts``.
"""

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import cast
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from klantstuur.core.zones import zone
from klantstuur.feedback.events import SurveyAnswered
from klantstuur.needs.models import EventKind, JournalEvent, Need
from klantstuur.orders.events import Checkpoint

from .batch import project_needs
from .facts import Key, local, outcome_values, rollups_add, survey_counters
from .models import ROLLUP_COUNTERS, DailyRollup, NeedFacts, PromiseOutcome, ResponseRollup

logger = logging.getLogger("klantstuur.metrics")

REBUILD_CHUNK = 500

# --- promises --------------------------------------------------------------------


def _upsert_outcome(
    *,
    business_id: int,
    need_id: int,
    order_id: int,
    due: datetime,
    done: datetime | None,
    now: datetime,
) -> None:
    values = outcome_values(due=due, done=done, now=now)
    if values is None:
        PromiseOutcome.objects.filter(need_id=need_id, order_id=order_id).delete()
        return
    values["business_id"] = business_id
    PromiseOutcome.objects.update_or_create(need_id=need_id, order_id=order_id, defaults=values)


def promise_observe(*, order_id: int, now: datetime | None = None) -> int | None:
    """Kept or broken, from the order's checkpoints against its promise. Returns the need id."""
    from klantstuur.orders.checkpoints import PROMISE_KEPT_CODES
    from klantstuur.orders.models import Checkpoint, LineStatus, Order, OrderLine

    now = now or timezone.now()
    order = Order.objects.filter(pk=order_id).only("pk", "business_id", "need_id", "promised_at")
    o = order.first()
    if o is None:
        return None
    if o.promised_at is None:
        PromiseOutcome.objects.filter(need_id=o.need_id, order_id=o.pk).delete()
        return o.need_id
    done: datetime | None = (
        Checkpoint.objects.filter(order_id=o.pk, code__in=PROMISE_KEPT_CODES)
        .order_by("at")
        .values_list("at", flat=True)
        .first()
    )
    if done is None:
        lines = list(OrderLine.objects.filter(order_id=o.pk).values_list("status", "served_at"))
        live = [(s, at) for s, at in lines if s != LineStatus.CANCELLED]
        if live and all(s == LineStatus.SERVED for s, _ in live):
            served = [at for _, at in live if at is not None]
            if served:
                done = max(served)
            else:
                done = (
                    Checkpoint.objects.filter(order_id=o.pk, code="line_served")
                    .order_by("-at")
                    .values_list("at", flat=True)
                    .first()
                )
    _upsert_outcome(
        business_id=o.business_id,
        need_id=o.need_id,
        order_id=o.pk,
        due=o.promised_at,
        done=done,
        now=now,
    )
    return o.need_id


def project_need(need_id: int, *, now: datetime | None = None) -> NeedFacts | None:
    """Recompute one need's facts and move the difference into the roll-ups."""
    found = project_needs([need_id], now=now)
    return found[0] if found else None


# --- surveys -----------------------------------------------------------------------


def _survey_key(business_id: int, at: datetime, need_id: int | None, tz: ZoneInfo) -> Key:
    owner_id, team = 0, ""
    if need_id:
        row = Need.objects.filter(pk=need_id).values_list("owner_id", "owner__role").first()
        if row:
            owner_id, team = row
    return (business_id, local(at, tz).date(), owner_id, team)


def project_survey(event: JournalEvent) -> None:
    data = cast(SurveyAnswered, event.data or {})
    counters = survey_counters(str(data.get("survey", "")), int(data.get("score", 0)))
    if not counters:
        return
    from klantstuur.businesses.models import Business

    tz_name = Business.objects.filter(pk=event.business_id).values_list("time_zone", flat=True)
    tz = zone(tz_name.first() or settings.TIME_ZONE)
    with transaction.atomic():
        rollups_add(
            DailyRollup, {_survey_key(event.business_id, event.at, event.need_id, tz): counters}
        )


# --- the reaction, the sweep, the rebuild -------------------------------------------------


def react(event: JournalEvent) -> None:
    react_many([event])


def react_many(events: Sequence[JournalEvent]) -> None:
    """The metrics reaction for a batch: surveys and observed promises as they come,
    then every touched need's facts once."""
    need_ids: list[int] = []
    orders: set[int] = set()
    for event in events:
        data = event.data or {}
        if event.kind == EventKind.FEEDBACK_GIVEN and cast(SurveyAnswered, data).get("survey"):
            project_survey(event)
        if event.need_id is None:
            continue
        checkpoint = cast(Checkpoint, data)
        if event.kind == EventKind.CHECKPOINT and checkpoint.get("order_id"):
            order_id = int(checkpoint["order_id"])
            if order_id not in orders:
                orders.add(order_id)
                promise_observe(order_id=order_id, now=event.at)
        need_ids.append(event.need_id)
    project_needs(need_ids)


def promises_sweep(now: datetime) -> int:
    """Orders past their promise with nothing observed yet: broken, seen without asking."""
    from klantstuur.orders.models import Order, OrderStatus

    due = list(
        Order.objects.filter(
            status=OrderStatus.PLACED,
            promised_at__lt=now,
            promised_at__gte=now - timedelta(days=14),
        )
        .exclude(Exists(PromiseOutcome.objects.filter(order_id=OuterRef("pk"))))
        .values_list("pk", flat=True)[:200]
    )
    touched = [promise_observe(order_id=order_id, now=now) for order_id in due]
    project_needs([n for n in touched if n], now=now)
    return len(due)


def rebuild(*, business_ids: Iterable[int], now: datetime | None = None) -> int:
    """Recompute every projection of these businesses from the journal (demo, repair)."""
    from klantstuur.businesses.models import Business
    from klantstuur.feedback.models import SurveyResponse
    from klantstuur.orders.models import Order

    ids = list(business_ids)
    now = now or timezone.now()
    NeedFacts.objects.filter(business_id__in=ids).delete()
    DailyRollup.objects.filter(business_id__in=ids).delete()
    ResponseRollup.objects.filter(business_id__in=ids).delete()
    for order_id in Order.objects.filter(business_id__in=ids).values_list("pk", flat=True):
        promise_observe(order_id=order_id, now=now)
    need_ids = list(Need.objects.filter(business_id__in=ids).values_list("pk", flat=True))
    for start in range(0, len(need_ids), REBUILD_CHUNK):
        project_needs(need_ids[start : start + REBUILD_CHUNK], now=now)
    zones = {b.pk: zone(b.time_zone) for b in Business.objects.filter(pk__in=ids)}
    for s in SurveyResponse.objects.filter(business_id__in=ids):
        key = _survey_key(s.business_id, s.created_at, s.need_id, zones[s.business_id])
        with transaction.atomic():
            rollups_add(DailyRollup, {key: survey_counters(s.survey, s.score)})
    return len(need_ids)


__all__ = [
    "ROLLUP_COUNTERS",
    "project_need",
    "promise_observe",
    "react",
    "react_many",
    "rebuild",
]

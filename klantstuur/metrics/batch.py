"""The projection for a batch of journal events at once (ADR 0010).

The journal hands the metrics reaction hundreds of events at a time. Per need the
figures are the same rule as ever (``projection.facts_from``); what changes is how they
are read and written: each kind of row for every need of the batch in one query, the
facts saved in one upsert, and each roll-up key moved once for the whole batch.
"""

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from klantstuur.feedback.models import Rating
from klantstuur.needs.models import JournalEvent, Need, NeedRootCause
from klantstuur.orders.models import Order

from . import facts
from .models import DailyRollup, NeedFacts, PromiseOutcome, ResponseRollup

Key = facts.Key
FACT_FIELDS = [f.name for f in NeedFacts._meta.concrete_fields if not f.primary_key]
OUTCOME_FIELDS = ["business_id", "due_at", "fulfilled_at", "kept", "late_minutes"]


def _events_by_need(ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    found: dict[int, list[dict[str, Any]]] = defaultdict(list)
    rows = (
        JournalEvent.objects.filter(need_id__in=ids)
        .order_by("need_id", "at", "id")
        .values("need_id", "kind", "at", "actor_staff_id", "data")
    )
    for row in rows:
        values: dict[str, Any] = dict(row)
        found[int(values.pop("need_id"))].append(values)
    return found


def _own_promises(
    needs: list[Need], events: dict[int, list[dict[str, Any]]], with_orders: set[int], now: datetime
) -> None:
    """A promise on a need without orders, observed for every need of the batch: one
    delete and one upsert."""
    gone: list[int] = []
    observed: list[PromiseOutcome] = []
    for need in needs:
        if need.pk in with_orders:
            continue
        values = None
        if need.promise_due_at is not None:
            done = facts.own_promise_done(need, events.get(need.pk, []))
            values = facts.outcome_values(due=need.promise_due_at, done=done, now=now)
        if values is None:
            gone.append(need.pk)
        else:
            values["business_id"] = need.business_id
            observed.append(PromiseOutcome(need_id=need.pk, order_id=0, **values))
    if gone:
        PromiseOutcome.objects.filter(need_id__in=gone, order_id=0).delete()
    if observed:
        PromiseOutcome.objects.bulk_create(
            observed,
            update_conflicts=True,
            unique_fields=["need", "order_id"],
            update_fields=OUTCOME_FIELDS,
        )


def _grouped(rows: Any) -> dict[int, list[Any]]:
    found: dict[int, list[Any]] = defaultdict(list)
    for need_id, *rest in rows:
        found[need_id].append(tuple(rest))
    return found


def _sum(parts: list[dict[Key, dict[str, float]]]) -> dict[Key, dict[str, float]]:
    total: dict[Key, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for part in parts:
        for key, counters in part.items():
            for name, value in counters.items():
                total[key][name] += value
    return facts.delta({}, total)


def project_needs(need_ids: Sequence[int], *, now: datetime | None = None) -> list[NeedFacts]:
    """Recompute these needs' facts and move the differences into the roll-ups, in a
    bounded number of statements whatever the number of needs."""
    ids = sorted(set(need_ids))
    if not ids:
        return []
    now = now or timezone.now()
    with transaction.atomic():
        # Locked in id order, so two workers never wait on each other in a circle.
        old = {f.need_id: f for f in NeedFacts.objects.select_for_update().filter(need_id__in=ids)}
        needs = list(
            Need.objects.select_related("owner", "business").filter(pk__in=ids).order_by("pk")
        )
        events = _events_by_need(ids)
        with_orders = set(
            Order.objects.filter(need_id__in=ids).values_list("need_id", flat=True).distinct()
        )
        _own_promises(needs, events, with_orders, now)
        outcomes = _grouped(
            PromiseOutcome.objects.filter(need_id__in=ids).values_list(
                "need_id", "kept", "late_minutes"
            )
        )
        ratings = _grouped(
            Rating.objects.filter(need_id__in=ids)
            .order_by("need_id", "created_at", "id")
            .values_list("need_id", "touchpoint", "rating")
        )
        causes = dict(
            NeedRootCause.objects.filter(need_id__in=ids).values_list("need_id", "root_cause_id")
        )
        new = [
            facts.facts_from(
                need,
                events=events.get(need.pk, []),
                outcomes=outcomes.get(need.pk, []),
                ratings=ratings.get(need.pk, []),
                root_cause_id=causes.get(need.pk),
                now=now,
            )
            for need in needs
        ]
        _save(new, old, needs)
    return new


def _save(new: list[NeedFacts], old: dict[int, NeedFacts], needs: list[Need]) -> None:
    """The facts in one upsert; each roll-up key moved once by the batch's difference."""
    NeedFacts.objects.bulk_create(
        new, update_conflicts=True, unique_fields=["need"], update_fields=FACT_FIELDS
    )
    daily_old, daily_new, resp_old, resp_new = [], [], [], []
    for now_known in new:
        before = old.get(now_known.need_id)
        if before is not None:
            daily_old.append(facts.daily_counters(before))
            resp_old.append(facts.response_counters(before))
        daily_new.append(facts.daily_counters(now_known))
        resp_new.append(facts.response_counters(now_known))
    facts.rollups_add(DailyRollup, facts.delta(_sum(daily_old), _sum(daily_new)))
    facts.rollups_add(ResponseRollup, facts.delta(_sum(resp_old), _sum(resp_new)))
    index = {f.need_id: f.experience_index for f in new}
    changed = [n for n in needs if n.experience_index != index[n.pk]]
    for need in changed:
        need.experience_index = index[need.pk]
    if changed:
        Need.objects.bulk_update(changed, ["experience_index"])

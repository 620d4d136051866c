"""Keeping the projections up to date as events arrive (DESIGN.md §3).

``react(event)`` runs after every journal event commits. For an event about a
need it recomputes that one need's ``NeedFacts`` from its own journal (a few
dozen rows at most), then moves the difference between the old and the new
facts into the roll-ups. Recomputing instead of incrementing makes it
idempotent: a reaction that runs twice, or a rebuild, lands on the same numbers.
"""

import functools
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, Model, OuterRef
from django.utils import timezone

from klantstuur.core.queries import one
from klantstuur.core.zones import zone
from klantstuur.needs.models import EventKind, JournalEvent, Need, NeedStatus
from klantstuur.needs.root_causes import root_cause_of_need

from . import experience
from .models import ROLLUP_COUNTERS, DailyRollup, NeedFacts, PromiseOutcome, ResponseRollup

logger = logging.getLogger("klantstuur.metrics")

# Customer contacts on a need, and staff answers to them (ticket-level view).
CONTACT_KINDS = frozenset(
    {EventKind.CUSTOMER_MESSAGE, EventKind.NEED_REOPENED, EventKind.HOST_CALLED}
)
ANSWER_KINDS = frozenset({EventKind.STAFF_MESSAGE, EventKind.RESOLUTION_PROPOSED})
# Checkpoints that fulfil a shop order's promise.
FULFIL_CODES = ("delivered", "available_for_pickup")

Key = tuple[Any, ...]


def local(at: datetime, tz: ZoneInfo) -> datetime:
    return at.astimezone(tz)


def hour_of_week(at: datetime) -> int:
    """Monday 00:00–01:00 local is 0; Sunday 23:00–24:00 is 167."""
    return at.weekday() * 24 + at.hour


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
    if done is None and now <= due:
        # Not due yet (or the customer moved it): nothing observed.
        PromiseOutcome.objects.filter(need_id=need_id, order_id=order_id).delete()
        return
    end = done or now
    late = max(int((end - due).total_seconds() // 60), 0)
    values = {
        "business_id": business_id,
        "due_at": due,
        "fulfilled_at": done,
        "kept": done is not None and done <= due,
        "late_minutes": late,
    }
    PromiseOutcome.objects.update_or_create(need_id=need_id, order_id=order_id, defaults=values)


def promise_observe(*, order_id: int, now: datetime | None = None) -> int | None:
    """Kept or broken, from the order's checkpoints against its promise. Returns the need id."""
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
        Checkpoint.objects.filter(order_id=o.pk, code__in=FULFIL_CODES)
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


def _need_own_promise(
    need: Need, events: list[dict[str, Any]], has_orders: bool, now: datetime
) -> None:
    """A promise on a need without orders is kept when the answer came in time."""
    if has_orders or need.promise_due_at is None:
        if not has_orders:
            PromiseOutcome.objects.filter(need_id=need.pk, order_id=0).delete()
        return
    answered = next((e["at"] for e in events if e["kind"] == EventKind.RESOLUTION_PROPOSED), None)
    _upsert_outcome(
        business_id=need.business_id,
        need_id=need.pk,
        order_id=0,
        due=need.promise_due_at,
        done=answered or need.solved_at,
        now=now,
    )


# --- one need's facts ------------------------------------------------------------------


def _ticket_view(events: list[dict[str, Any]], tz: ZoneInfo) -> tuple[int, int, list[list[Any]]]:
    """(contacts closed, of which first-time right, responses) from the journal.

    A contact is closed when staff answer it or when the customer comes back
    before any answer; it was first-time right when the answer came first.
    """
    closed = first_time = 0
    pending: list[datetime] = []
    responses: list[list[Any]] = []
    for e in events:
        kind, at = e["kind"], e["at"]
        is_contact = kind in CONTACT_KINDS and e["actor_staff_id"] is None
        if kind == EventKind.NEED_OPENED and not (e["data"] or {}).get("proactive"):
            if e["actor_staff_id"] is not None:
                # Staff opened it while talking to the customer: answered on the spot.
                closed += 1
                first_time += 1
                lt = local(at, tz)
                responses.append([lt.date().isoformat(), hour_of_week(lt), 0])
                continue
            is_contact = True
        if is_contact:
            if pending:
                closed += 1  # they had to come back on the previous contact
            pending.append(at)
        elif kind in ANSWER_KINDS and e["actor_staff_id"] is not None and pending:
            closed += 1
            first_time += 1
            for p in pending:
                lt = local(p, tz)
                responses.append(
                    [lt.date().isoformat(), hour_of_week(lt), int((at - p).total_seconds())]
                )
            pending = []
    for p in pending:
        lt = local(p, tz)
        responses.append([lt.date().isoformat(), hour_of_week(lt), None])
    return closed, first_time, responses


def compute_facts(need: Need, *, now: datetime | None = None) -> NeedFacts:
    """The need's figures from its journal, ratings and observed promises (not saved)."""
    from klantstuur.feedback.models import Rating

    now = now or timezone.now()
    tz = zone(need.business.time_zone)
    events: list[dict[str, Any]] = [
        dict(e)
        for e in JournalEvent.objects.filter(need_id=need.pk)
        .order_by("at", "id")
        .values("kind", "at", "actor_staff_id", "data")
    ]
    from klantstuur.orders.models import Order

    has_orders = Order.objects.filter(need_id=need.pk).exists()
    _need_own_promise(need, events, has_orders, now)
    outcomes = list(
        PromiseOutcome.objects.filter(need_id=need.pk).values_list("kept", "late_minutes")
    )
    ratings = list(
        Rating.objects.filter(need_id=need.pk)
        .order_by("created_at", "id")
        .values_list("touchpoint", "rating")
    )
    root_cause_id = root_cause_of_need(need_id=need.pk)
    closed, first_time, responses = _ticket_view(events, tz)
    kept = sum(1 for k, _ in outcomes if k)
    broken = len(outcomes) - kept
    late = sum(m for _, m in outcomes)
    solved = need.status == NeedStatus.SOLVED and need.solved_at is not None
    points = experience.touchpoints(
        ratings=ratings,
        contacts=need.contacts,
        handoffs=need.handoffs,
        reopens=need.reopens,
        promises_kept=kept,
        promises_broken=broken,
        confirmed=solved,
    )
    values = [r for _, r in ratings]
    return NeedFacts(
        need_id=need.pk,
        business_id=need.business_id,
        customer_id=need.customer_id,
        owner_id=need.owner_id,
        team=need.owner.role,
        kind=need.kind,
        status=need.status,
        created_at=need.created_at,
        day=local(need.created_at, tz).date(),
        solved_at=need.solved_at if solved else None,
        resolution_minutes=(
            max(int((need.solved_at - need.created_at).total_seconds() // 60), 0)  # type: ignore[operator]
            if solved
            else None
        ),
        contacts=need.contacts,
        handoffs=need.handoffs,
        reopens=need.reopens,
        reopened=need.reopens > 0,
        need_fcr=solved and need.contacts == 1 and need.reopens == 0,
        contacts_closed=closed,
        contacts_first_time=first_time,
        promises=len(outcomes),
        promises_kept=kept,
        late_minutes=late,
        ratings_count=len(values),
        ratings_sum=sum(values),
        rating_min=min(values) if values else None,
        experience_index=experience.experience_index(points),
        effort=round(max(need.contacts - 1, 0) + need.handoffs + need.reopens + late / 60, 4),
        root_cause_id=root_cause_id,
        responses=responses,
        updated_at=now,
    )


def _daily(f: NeedFacts) -> dict[Key, dict[str, float]]:
    counters: dict[str, float] = {
        "needs": 1,
        "contacts": f.contacts,
        "handoffs": f.handoffs,
        "reopens": f.reopens,
        "reopened": int(f.reopened),
        "solved": int(f.resolution_minutes is not None),
        "need_fcr": int(f.need_fcr),
        "resolution_minutes_sum": f.resolution_minutes or 0,
        "contacts_closed": f.contacts_closed,
        "contacts_first_time": f.contacts_first_time,
        "promises": f.promises,
        "promises_kept": f.promises_kept,
        "late_minutes": f.late_minutes,
        "ratings_count": f.ratings_count,
        "ratings_sum": f.ratings_sum,
        "ei_count": int(f.experience_index is not None),
        "ei_sum": f.experience_index or 0.0,
        "effort_sum": f.effort,
    }
    return {(f.business_id, f.day, f.owner_id, f.team): counters}


def _responses(f: NeedFacts) -> dict[Key, dict[str, float]]:
    out: dict[Key, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for day, how, seconds in f.responses or []:
        d = date.fromisoformat(day)
        month = d.replace(day=1)
        for grain, start, owner, team in (
            ("d", d, f.owner_id, f.team),
            ("m", month, f.owner_id, f.team),
            ("M", month, 0, ""),  # the whole business: 168 rows a month
        ):
            key = (f.business_id, grain, start, owner, team, how)
            out[key]["contacts"] += 1
            if seconds is not None:
                out[key]["answered"] += 1
                out[key]["seconds_sum"] += seconds
    return out


def _delta(
    old: dict[Key, dict[str, float]], new: dict[Key, dict[str, float]]
) -> dict[Key, dict[str, float]]:
    out: dict[Key, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for sign, part in ((-1, old), (1, new)):
        for key, counters in part.items():
            for name, value in counters.items():
                out[key][name] += sign * value
    return {
        k: {n: v for n, v in c.items() if abs(v) > 1e-12}
        for k, c in out.items()
        if any(abs(v) > 1e-12 for v in c.values())
    }


def _as_number(name: str, value: float) -> float | int:
    return value if name in ("ei_sum", "effort_sum") else round(value)


def _apply(
    model: type[DailyRollup] | type[ResponseRollup], delta: dict[Key, dict[str, float]]
) -> None:
    """Add each key's counters to its roll-up row, creating the row when it is the first:
    one ``INSERT … ON CONFLICT … DO UPDATE`` per key (PostgreSQL and SQLite), where an
    UPDATE, then on a miss a savepoint and an INSERT, took up to four statements."""
    if not delta:
        return
    sql_for, counter_names = _upsert(model)
    with connection.cursor() as cursor:
        for key, counters in delta.items():
            if model is DailyRollup:
                business_id, day, owner_id, team = key
                head: list[Any] = [business_id, day, owner_id, team]
            else:
                business_id, grain, day, owner_id, team, how = key
                head = [business_id, grain, day, owner_id, how, team]
            head = [
                connection.ops.adapt_datefield_value(v) if isinstance(v, date) else v for v in head
            ]
            values = [_as_number(n, counters.get(n, 0)) for n in counter_names]
            cursor.execute(sql_for(tuple(sorted(counters))), [*head, *values])


_UPSERTS: dict[type[Model], tuple[Callable[[tuple[str, ...]], str], list[str]]] = {}


def _upsert(
    model: type[DailyRollup] | type[ResponseRollup],
) -> tuple[Callable[[tuple[str, ...]], str], list[str]]:
    """The upsert statement of a roll-up, built once from the model (and per set of
    counters that change, since only those are added on a conflict)."""
    if model not in _UPSERTS:
        if model is DailyRollup:
            key = ["business_id", "day", "owner_id"]
        else:
            key = ["business_id", "grain", "day", "owner_id", "hour_of_week"]
        head = [*key, "team"]
        counters = [
            str(f.column)
            for f in model._meta.concrete_fields
            if f.column not in head and not f.primary_key
        ]
        table = model._meta.db_table
        columns = ", ".join(f'"{c}"' for c in [*head, *counters])
        marks = ", ".join(["%s"] * (len(head) + len(counters)))
        conflict = ", ".join(f'"{c}"' for c in key)
        insert = (
            f'INSERT INTO "{table}" ({columns}) VALUES ({marks}) '  # noqa: S608
            f"ON CONFLICT ({conflict}) DO UPDATE SET "
        )

        @functools.cache
        def sql_for(changed: tuple[str, ...]) -> str:
            return insert + ", ".join(f'"{c}" = "{table}"."{c}" + EXCLUDED."{c}"' for c in changed)

        _UPSERTS[model] = (sql_for, counters)
    return _UPSERTS[model]


def project_need(need_id: int, *, now: datetime | None = None) -> NeedFacts | None:
    """Recompute one need's facts and move the difference into the roll-ups."""
    with transaction.atomic():
        need = one(Need.objects.select_related("owner", "business").filter(pk=need_id))
        if need is None:
            return None
        old = one(NeedFacts.objects.select_for_update().filter(need_id=need_id))
        new = compute_facts(need, now=now)
        new.save(force_insert=old is None)
        _apply(DailyRollup, _delta(_daily(old) if old else {}, _daily(new)))
        _apply(ResponseRollup, _delta(_responses(old) if old else {}, _responses(new)))
        if need.experience_index != new.experience_index:
            Need.objects.filter(pk=need_id).update(experience_index=new.experience_index)
    return new


# --- surveys -----------------------------------------------------------------------


def survey_counters(survey: str, score: int) -> dict[str, float]:
    if survey == "csat":
        return {"csat_n": 1, "csat_satisfied": int(score >= 4)}
    if survey == "ces":
        return {"ces_n": 1, "ces_sum": score}
    if survey == "nps":
        return {"nps_n": 1, "nps_promoters": int(score >= 9), "nps_detractors": int(score <= 6)}
    return {}


def _survey_key(business_id: int, at: datetime, need_id: int | None, tz: ZoneInfo) -> Key:
    owner_id, team = 0, ""
    if need_id:
        row = Need.objects.filter(pk=need_id).values_list("owner_id", "owner__role").first()
        if row:
            owner_id, team = row
    return (business_id, local(at, tz).date(), owner_id, team)


def project_survey(event: JournalEvent) -> None:
    data = event.data or {}
    counters = survey_counters(str(data.get("survey", "")), int(data.get("score", 0)))
    if not counters:
        return
    from klantstuur.businesses.models import Business

    tz_name = Business.objects.filter(pk=event.business_id).values_list("time_zone", flat=True)
    tz = zone(tz_name.first() or settings.TIME_ZONE)
    with transaction.atomic():
        _apply(DailyRollup, {_survey_key(event.business_id, event.at, event.need_id, tz): counters})


# --- the reaction, the sweep, the rebuild -------------------------------------------------


def react(event: JournalEvent) -> None:
    if event.kind == EventKind.FEEDBACK_GIVEN and (event.data or {}).get("survey"):
        project_survey(event)
    if event.need_id is None:
        return
    if event.kind == EventKind.CHECKPOINT and (event.data or {}).get("order_id"):
        promise_observe(order_id=int(event.data["order_id"]), now=event.at)
    project_need(event.need_id)


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
    for order_id in due:
        need_id = promise_observe(order_id=order_id, now=now)
        if need_id:
            project_need(need_id, now=now)
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
    count = 0
    for need_id in Need.objects.filter(business_id__in=ids).values_list("pk", flat=True):
        project_need(need_id, now=now)
        count += 1
    zones = {b.pk: zone(b.time_zone) for b in Business.objects.filter(pk__in=ids)}
    for s in SurveyResponse.objects.filter(business_id__in=ids):
        key = _survey_key(s.business_id, s.created_at, s.need_id, zones[s.business_id])
        with transaction.atomic():
            _apply(DailyRollup, {key: survey_counters(s.survey, s.score)})
    return count


__all__ = ["ROLLUP_COUNTERS", "project_need", "promise_observe", "react", "rebuild"]

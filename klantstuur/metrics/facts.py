"""The rules for a need's figures (docs/metrics.md), written once for every projection.

Pure where it can be: what a need's facts are, given what was read about it; what a
promise observed now looks like; which roll-up counters a need's facts add. The
per-event reaction, the batch projection and the rebuild all use these.
"""

import functools
from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime
from typing import Any, cast
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import Model

from klantstuur.core.zones import zone
from klantstuur.needs.events import NeedOpened
from klantstuur.needs.models import EventKind, Need, NeedStatus

from . import experience
from .models import DailyRollup, NeedFacts, ResponseRollup

# Customer contacts on a need, and staff answers to them (ticket-level view).
CONTACT_KINDS = frozenset(
    {EventKind.CUSTOMER_MESSAGE, EventKind.NEED_REOPENED, EventKind.HOST_CALLED}
)
ANSWER_KINDS = frozenset({EventKind.STAFF_MESSAGE, EventKind.RESOLUTION_PROPOSED})
# Checkpoints that fulfil a shop order's promise.
Key = tuple[Any, ...]


def local(at: datetime, tz: ZoneInfo) -> datetime:
    return at.astimezone(tz)


def hour_of_week(at: datetime) -> int:
    """Monday 00:00–01:00 local is 0; Sunday 23:00–24:00 is 167."""
    return at.weekday() * 24 + at.hour


# --- promises ------------------------------------------------------------------


def outcome_values(*, due: datetime, done: datetime | None, now: datetime) -> dict[str, Any] | None:
    """What is observed of one promise now; None while it is not due yet (or the
    customer moved it): nothing observed."""
    if done is None and now <= due:
        return None
    end = done or now
    return {
        "due_at": due,
        "fulfilled_at": done,
        "kept": done is not None and done <= due,
        "late_minutes": max(int((end - due).total_seconds() // 60), 0),
    }


def own_promise_done(need: Need, events: list[dict[str, Any]]) -> datetime | None:
    """A promise on a need without orders is kept when the answer came in time."""
    answered = next((e["at"] for e in events if e["kind"] == EventKind.RESOLUTION_PROPOSED), None)
    return answered or need.solved_at


# --- one need's facts ----------------------------------------------------------


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
        if kind == EventKind.NEED_OPENED and not cast(NeedOpened, e["data"] or {}).get("proactive"):
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


def facts_from(
    need: Need,
    *,
    events: list[dict[str, Any]],
    outcomes: list[tuple[bool, int]],
    ratings: list[tuple[str, int]],
    root_cause_id: int | None,
    now: datetime,
) -> NeedFacts:
    """The one rule for a need's figures, from what was read about it (the per-need and
    the batch projection both use it)."""
    tz = zone(need.business.time_zone)
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


def daily_counters(f: NeedFacts) -> dict[Key, dict[str, float]]:
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


def response_counters(f: NeedFacts) -> dict[Key, dict[str, float]]:
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


def delta(
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


def rollups_add(
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


def survey_counters(survey: str, score: int) -> dict[str, float]:
    if survey == "csat":
        return {"csat_n": 1, "csat_satisfied": int(score >= 4)}
    if survey == "ces":
        return {"ces_n": 1, "ces_sum": score}
    if survey == "nps":
        return {"nps_n": 1, "nps_promoters": int(score >= 9), "nps_detractors": int(score <= 6)}
    return {}

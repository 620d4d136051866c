"""Reads of the figures (docs/metrics.md): sums of roll-ups, never scans of the journal.

Every function takes a ``Scope``: one business, a period of business-local days
(inclusive), and optionally one owner or one team (the owners' role).
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from klantstuur.businesses.models import Role
from klantstuur.core.errors import Invalid
from klantstuur.needs.root_causes import business_root_causes

from .models import ROLLUP_COUNTERS, DailyRollup, NeedFacts, PromiseOutcome, ResponseRollup

MAX_DAYS = 3 * 366


@dataclass(frozen=True)
class Scope:
    business_id: int
    start: date
    end: date  # inclusive
    owner_id: int | None = None
    team: str | None = None

    def rollups(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        qs = qs.filter(business_id=self.business_id, day__gte=self.start, day__lte=self.end)
        if self.owner_id is not None:
            qs = qs.filter(owner_id=self.owner_id)
        if self.team:
            qs = qs.filter(team=self.team)
        return qs


TEAMS = [r for r in Role.values if r not in (Role.CARRIER,)]


def scope_for(
    *,
    business_id: int,
    today: date,
    start: str | date | None = None,
    end: str | date | None = None,
    owner_id: int | None = None,
    team: str | None = None,
) -> Scope:
    """Parse a period (dates or ISO datetimes; default: the last 28 days)."""

    def parse(value: str | date | None, field: str) -> date | None:
        if value is None or value == "":
            return None
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        text = str(value).strip()
        try:
            return date.fromisoformat(text[:10]) if len(text) >= 10 else date.fromisoformat(text)
        except ValueError:
            raise Invalid(_("A date like 2025-01-31."), field=field) from None

    to = parse(end, "to") or today
    frm = parse(start, "from") or (to - timedelta(days=27))
    if frm > to:
        raise Invalid(_("The period starts after it ends."), field="from")
    if (to - frm).days > MAX_DAYS:
        raise Invalid(_("At most %(n)d days at once.") % {"n": MAX_DAYS}, field="from")
    if team and team not in TEAMS:
        raise Invalid(
            _("Unknown team; choose one of: %(t)s.") % {"t": ", ".join(TEAMS)}, field="team"
        )
    return Scope(business_id=business_id, start=frm, end=to, owner_id=owner_id, team=team or None)


def _ratio(a: float | None, b: float | None, digits: int = 4) -> float | None:
    if not b:
        return None
    return round((a or 0) / b, digits)


# Up to this many solved needs in scope the median is exact; above it, it is the
# median of a repeatable block sample of about this many (docs/metrics.md).
EXACT_MEDIAN_UP_TO = 40_000


def resolution_p50_minutes(scope: Scope, solved: int | None = None) -> float | None:
    """The median of first contact → confirmation, over solved needs of the period."""
    qs = NeedFacts.objects.filter(
        business_id=scope.business_id,
        day__gte=scope.start,
        day__lte=scope.end,
        resolution_minutes__isnull=False,
    )
    if scope.owner_id is not None:
        qs = qs.filter(owner_id=scope.owner_id)
    if scope.team:
        qs = qs.filter(team=scope.team)
    if connection.vendor == "postgresql":
        sql, params = qs.values("resolution_minutes").query.sql_with_params()
        if solved is not None and solved > EXACT_MEDIAN_UP_TO:
            percent = round(100 * EXACT_MEDIAN_UP_TO / solved, 3)
            table = '"metrics_needfacts"'
            sampled = f"{table} TABLESAMPLE SYSTEM ({percent:.3f}) REPEATABLE (42)"
            sql = sql.replace(f"FROM {table}", f"FROM {sampled}", 1)
        with connection.cursor() as cur:
            # The ORM's own SQL and parameters, wrapped in a percentile.
            query = "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY resolution_minutes) FROM "
            cur.execute(query + "(" + sql + ") AS s", params)
            row = cur.fetchone()
        return float(row[0]) if row and row[0] is not None else None
    values: list[int] = sorted(
        v for v in qs.values_list("resolution_minutes", flat=True) if v is not None
    )
    if not values:
        return None
    mid = len(values) // 2
    if len(values) % 2:
        return float(values[mid])
    return (values[mid - 1] + values[mid]) / 2


def peer_help(scope: Scope) -> dict[str, Any]:
    from .peer import peer_help as figures_of_peers

    return figures_of_peers(scope)


def _months_and_edges(scope: Scope) -> QuerySet[ResponseRollup]:
    """Whole calendar months from the monthly rows, the days at the edges from the daily."""
    first_full = scope.start if scope.start.day == 1 else _next_month(scope.start)
    after = _next_month(scope.end)
    last_full = after if (after - timedelta(days=1)) == scope.end else scope.end.replace(day=1)
    qs = ResponseRollup.objects.filter(business_id=scope.business_id)
    month_grain = "M"  # the business as a whole
    if scope.owner_id is not None:
        qs = qs.filter(owner_id=scope.owner_id)
        month_grain = "m"
    if scope.team:
        qs = qs.filter(team=scope.team)
        month_grain = "m"
    if first_full >= last_full:
        return qs.filter(grain="d", day__gte=scope.start, day__lte=scope.end)
    return qs.filter(
        Q(grain=month_grain, day__gte=first_full, day__lt=last_full)
        | Q(grain="d", day__gte=scope.start, day__lt=first_full)
        | Q(grain="d", day__gte=last_full, day__lte=scope.end)
    )


def _next_month(d: date) -> date:
    return (d.replace(day=28) + timedelta(days=4)).replace(day=1)


def response_by_hour(scope: Scope) -> list[dict[str, Any]]:
    """First-answer time per hour of the week (contacts made in the period)."""
    rows = (
        _months_and_edges(scope)
        .values("hour_of_week")
        .annotate(c=Sum("contacts"), a=Sum("answered"), s=Sum("seconds_sum"))
        .order_by("hour_of_week")
    )
    return [
        {
            "hour_of_week": r["hour_of_week"],
            "contacts": r["c"],
            "answered": r["a"],
            "avg_minutes": round(r["s"] / r["a"] / 60, 1) if r["a"] else None,
        }
        for r in rows
    ]


def listening_coverage(scope: Scope) -> dict[str, Any]:
    from klantstuur.feedback.models import ListeningSample

    row = ListeningSample.objects.filter(
        business_id=scope.business_id, sampled_on__gte=scope.start, sampled_on__lte=scope.end
    ).aggregate(n=Count("pk"), done=Count("pk", filter=Q(listened_at__isnull=False)))
    return {"sampled": row["n"], "listened": row["done"], "coverage": _ratio(row["done"], row["n"])}


def figures(scope: Scope) -> dict[str, Any]:
    """Every need-level figure of API.md, plus effort, listening and response times."""
    s = scope.rollups(DailyRollup.objects.all()).aggregate(**{c: Sum(c) for c in ROLLUP_COUNTERS})
    s = {k: (v or 0) for k, v in s.items()}
    p50 = resolution_p50_minutes(scope, solved=s["solved"]) if s["solved"] else None
    needs = s["needs"]
    nps = (
        round(100 * (s["nps_promoters"] - s["nps_detractors"]) / s["nps_n"]) if s["nps_n"] else None
    )
    return {
        "period": {"from": scope.start.isoformat(), "to": scope.end.isoformat()},
        "scope": {"owner_id": scope.owner_id, "team": scope.team},
        "needs": needs,
        "contacts_per_need": _ratio(s["contacts"], needs, 2),
        "resolution_hours_p50": round(p50 / 60, 2) if p50 is not None else None,
        "reopen_rate": _ratio(s["reopened"], needs),
        "handoffs_per_need": _ratio(s["handoffs"], needs, 2),
        "promise_kept_rate": _ratio(s["promises_kept"], s["promises"]),
        "experience_index": _ratio(s["ei_sum"], s["ei_count"]),
        "average_rating": _ratio(s["ratings_sum"], s["ratings_count"], 2),
        "ticket_fcr": _ratio(s["contacts_first_time"], s["contacts_closed"]),
        "need_fcr": _ratio(s["need_fcr"], s["solved"]),
        "csat": round(100 * s["csat_satisfied"] / s["csat_n"], 1) if s["csat_n"] else None,
        "ces": _ratio(s["ces_sum"], s["ces_n"], 2),
        "nps": nps,
        "responses": s["ratings_count"] + s["csat_n"] + s["ces_n"] + s["nps_n"],
        "solved": s["solved"],
        "contacts": s["contacts"],
        "effort_per_need": _ratio(s["effort_sum"], needs, 2),
        "late_minutes_per_need": _ratio(s["late_minutes"], needs, 1),
        "promises": s["promises"],
        "listening": listening_coverage(scope),
        "response_by_hour_of_week": response_by_hour(scope),
        "peer_help": peer_help(scope),
    }


# --- drill-down: from a number to the journeys behind it ------------------------------

DRILLS: dict[str, tuple[Any, Q, tuple[str, ...]]] = {
    "needs": (gettext_lazy("All needs"), Q(), ("-created_at",)),
    "contacts_per_need": (gettext_lazy("Most contacts first"), Q(), ("-contacts", "-created_at")),
    "need_fcr": (
        gettext_lazy("Solved, but not at the first contact"),
        Q(resolution_minutes__isnull=False, need_fcr=False),
        ("-contacts", "-created_at"),
    ),
    "ticket_fcr": (
        gettext_lazy("The customer had to come back before an answer"),
        Q(contacts_closed__gt=F("contacts_first_time")),
        ("-contacts_closed", "-created_at"),
    ),
    "resolution_hours_p50": (
        gettext_lazy("Solved, slowest first"),
        Q(resolution_minutes__isnull=False),
        ("-resolution_minutes",),
    ),
    "reopen_rate": (gettext_lazy("Reopened"), Q(reopened=True), ("-reopens", "-created_at")),
    "handoffs_per_need": (gettext_lazy("Handed off"), Q(handoffs__gt=0), ("-handoffs",)),
    "promise_kept_rate": (
        gettext_lazy("With a promise, broken first"),
        Q(promises__gt=0),
        ("promises_kept", "-late_minutes"),
    ),
    "experience_index": (
        gettext_lazy("Lowest experience index first"),
        Q(experience_index__isnull=False),
        ("experience_index", "-created_at"),
    ),
    "average_rating": (
        gettext_lazy("Rated, lowest rating first"),
        Q(ratings_count__gt=0),
        ("rating_min", "-created_at"),
    ),
    "effort_per_need": (gettext_lazy("Most customer effort first"), Q(), ("-effort",)),
}


def journeys(scope: Scope, figure: str, root_cause_id: int | None = None) -> QuerySet[NeedFacts]:
    if figure not in DRILLS:
        raise Invalid(_("Unknown figure."), field="figure")
    _label, cond, order = DRILLS[figure]
    qs = NeedFacts.objects.filter(
        cond, business_id=scope.business_id, day__gte=scope.start, day__lte=scope.end
    )
    if scope.owner_id is not None:
        qs = qs.filter(owner_id=scope.owner_id)
    if scope.team:
        qs = qs.filter(team=scope.team)
    if root_cause_id is not None:
        qs = qs.filter(root_cause_id=root_cause_id)
    return qs.order_by(*order, "need_id")


# --- improvement board ------------------------------------------------------------------


def board(scope: Scope) -> list[dict[str, Any]]:
    """Root causes ranked by the customer effort they caused, then by count."""
    rows: dict[Any, dict[str, Any]] = {
        r["root_cause_id"]: dict(r)
        for r in NeedFacts.objects.filter(
            business_id=scope.business_id,
            day__gte=scope.start,
            day__lte=scope.end,
            root_cause_id__isnull=False,
        )
        .values("root_cause_id")
        .annotate(n=Count("pk"), effort=Sum("effort"))
    }
    causes = list(business_root_causes(business_id=scope.business_id))
    out = [
        {
            "cause": c,
            "count": rows.get(c.pk, {}).get("n", 0),
            "effort": round(rows.get(c.pk, {}).get("effort") or 0, 1),
        }
        for c in causes
    ]
    out.sort(key=lambda r: (-r["effort"], -r["count"], r["cause"].name))
    return out


RECURRENCE_WINDOW = timedelta(days=28)


def recurrence(*, business_id: int, items: list[Any], now: datetime) -> dict[int, dict[str, Any]]:
    """Complaints per week with the item's root cause, in the four weeks before the
    fix and since it (up to four weeks): one query for all items."""
    done = [i for i in items if i.fixed_at is not None]
    if not done:
        return {}
    aggregates: dict[str, Any] = {}
    for item in done:
        fixed = item.fixed_at
        after_end = min(now, fixed + RECURRENCE_WINDOW)
        aggregates[f"b{item.pk}"] = Count(
            "pk",
            filter=Q(
                root_cause_id=item.root_cause_id,
                created_at__gte=fixed - RECURRENCE_WINDOW,
                created_at__lt=fixed,
            ),
        )
        aggregates[f"a{item.pk}"] = Count(
            "pk",
            filter=Q(
                root_cause_id=item.root_cause_id, created_at__gte=fixed, created_at__lt=after_end
            ),
        )
    counts = NeedFacts.objects.filter(
        business_id=business_id, root_cause_id__in={i.root_cause_id for i in done}
    ).aggregate(**aggregates)
    out = {}
    for item in done:
        after_days = max((min(now, item.fixed_at + RECURRENCE_WINDOW) - item.fixed_at).days, 1)
        before, after = counts[f"b{item.pk}"], counts[f"a{item.pk}"]
        out[item.pk] = {
            "before": before,
            "after": after,
            "before_per_week": round(before / 4, 2),
            "after_per_week": round(after * 7 / after_days, 2),
            "after_days": after_days,
        }
    return out


# --- for the insight pages: series, one journey, one customer ------------------------------


def daily_series(scope: Scope) -> QuerySet[Any]:
    """Per-day sums for the dashboard's charts: one query over the roll-ups."""
    return (
        scope.rollups(DailyRollup.objects.all())
        .values("day")
        .annotate(
            needs=Sum("needs"),
            contacts=Sum("contacts"),
            ei_sum=Sum("ei_sum"),
            ei_count=Sum("ei_count"),
            r_sum=Sum("ratings_sum"),
            r_count=Sum("ratings_count"),
        )
        .order_by("day")
    )


def daily_counters(scope: Scope, names: list[str]) -> QuerySet[Any]:
    """Each day of the period with the named roll-up counters summed (the CSV export)."""
    return (
        scope.rollups(DailyRollup.objects.all())
        .values("day")
        .annotate(**{n: Sum(n) for n in names})
        .order_by("day")
    )


def facts_of_need(*, need_id: int) -> NeedFacts | None:
    return NeedFacts.objects.filter(need_id=need_id).first()


def promise_outcomes_of(*, need_id: int) -> list[PromiseOutcome]:
    return list(PromiseOutcome.objects.filter(need_id=need_id).order_by("due_at"))


def customer_summary(*, business_id: int, customer_id: int) -> dict[str, Any]:
    """How many needs a customer had, and their mean experience index (up to 500)."""
    facts = NeedFacts.objects.filter(customer_id=customer_id, business_id=business_id)
    summary: dict[str, Any] = {"needs": facts.count(), "ei": None}
    ei = [v for v in facts.values_list("experience_index", flat=True) if v is not None][:500]
    summary["ei"] = round(sum(ei) / len(ei), 3) if ei else None
    return summary

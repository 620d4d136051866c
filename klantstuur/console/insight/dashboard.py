"""The manager's dashboard: the period's figures and their charts."""

from datetime import date, timedelta
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from klantstuur.businesses.models import StaffMember
from klantstuur.metrics import selectors as metrics
from klantstuur.needs import consumers

from .common import manager_page, owners, period_scope

# A Monday: the hours of the week are named from it, in the reader's language.
_A_MONDAY = date(2024, 1, 1)


def hour_labels() -> list[str]:
    """ "ma 00:00" … "zo 23:00" (nl), "Mon 00:00" … "Sun 23:00" (en): the chart's axis."""
    days = [date_format(_A_MONDAY + timedelta(days=n), "D") for n in range(7)]
    return [f"{days[h // 24]} {h % 24:02d}:00" for h in range(168)]


# Counting a backlog beyond this many events would cost the page more than it tells.
FRESHNESS_COUNT_UP_TO = 10_000


def _series(scope: metrics.Scope) -> dict[str, Any]:
    """Per-day series for the charts: one query over the roll-ups."""
    days, needs, cpn, ei, avg = [], [], [], [], []
    for r in metrics.daily_series(scope):
        days.append(date_format(r["day"], "MONTH_DAY_FORMAT"))
        needs.append(r["needs"])
        cpn.append(round(r["contacts"] / r["needs"], 2) if r["needs"] else None)
        ei.append(round(r["ei_sum"] / r["ei_count"], 3) if r["ei_count"] else None)
        avg.append(round((r["r_sum"] / r["r_count"] - 1) / 4, 3) if r["r_count"] else None)
    return {"days": days, "needs": needs, "contacts_per_need": cpn, "ei": ei, "avg": avg}


def _charts(scope: metrics.Scope, figures: dict[str, Any]) -> dict[str, Any]:
    hours = {r["hour_of_week"]: r for r in figures["response_by_hour_of_week"]}
    return {
        "series": _series(scope),
        "hours": {
            "labels": hour_labels(),
            "minutes": [hours[h]["avg_minutes"] if h in hours else None for h in range(168)],
            "contacts": [hours[h]["contacts"] if h in hours else 0 for h in range(168)],
        },
        "labels": {
            "needs": _("Needs"),
            "contacts_per_need": _("Contacts per need"),
            "ei": _("Experience index"),
            "avg": _("Average rating (scaled 0–1)"),
            "minutes": _("Minutes to first answer"),
            "contacts": _("Contacts"),
        },
    }


@manager_page
def dashboard(request: HttpRequest, me: StaffMember) -> HttpResponse:
    scope, form, query = period_scope(request, me, owners(me))
    figures = metrics.figures(scope)
    return render(
        request,
        "insight/dashboard.html",
        {
            "me": me,
            "nav": "insight",
            "form": form,
            "scope": scope,
            "f": figures,
            "charts": _charts(scope, figures),
            "query": query,
            "night": _night(figures["response_by_hour_of_week"]),
            "freshness": _freshness(),
        },
    )


def _freshness() -> consumers.Lag | None:
    """How far the figures are behind what happened: the metrics reaction's lag."""
    found = consumers.lags(count_up_to=FRESHNESS_COUNT_UP_TO, names=["metrics"])
    return max(found, key=lambda lag: lag.seconds_behind, default=None)


def _night(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Is 24/7 true at night? Contacts made 00:00–06:00 against the rest."""
    night = [r for r in rows if r["hour_of_week"] % 24 < 6]
    day = [r for r in rows if r["hour_of_week"] % 24 >= 6]

    def avg(part: list[dict[str, Any]]) -> float | None:
        answered = sum(r["answered"] for r in part)
        minutes = sum((r["avg_minutes"] or 0) * r["answered"] for r in part)
        return round(minutes / answered, 1) if answered else None

    return {
        "night_contacts": sum(r["contacts"] for r in night),
        "night_minutes": avg(night),
        "day_minutes": avg(day),
    }

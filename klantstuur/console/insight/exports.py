"""The period as CSV: one row per day, or one per journey (streamed)."""

import csv
from collections.abc import Iterator
from typing import Any

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse

from klantstuur.businesses.models import StaffMember
from klantstuur.metrics import selectors as metrics
from klantstuur.metrics.models import DailyRollup

from .common import manager_page, owners, period_scope

JOURNEY_FIELDS = [
    "need_id", "customer_id", "owner_id", "team", "kind", "status", "created_at",
    "contacts", "handoffs", "reopens", "need_fcr", "contacts_closed",
    "contacts_first_time", "promises", "promises_kept", "late_minutes",
    "ratings_count", "ratings_sum", "experience_index", "effort", "resolution_minutes",
]  # fmt: skip

_DAY_FIELDS = set(metrics.ROLLUP_COUNTERS)


class _Echo:
    def write(self, value: str) -> str:
        return value


@manager_page
def export(request: HttpRequest, me: StaffMember) -> Any:
    """CSV of the period: one row per day (``?rows=days``, default) or per journey."""
    scope, _form, _query = period_scope(request, me, owners(me))
    name = f"klantstuur-{me.business.slug}-{scope.start}-{scope.end}"
    if request.GET.get("rows") == "journeys":
        return _journeys(scope, name)
    return _days(scope, name)


def _journeys(scope: metrics.Scope, name: str) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())
    qs = metrics.journeys(scope, "needs").values_list(*JOURNEY_FIELDS)

    def rows() -> Iterator[str]:
        yield writer.writerow(JOURNEY_FIELDS)
        for row in qs.iterator(chunk_size=2000):
            yield writer.writerow(row)

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}-journeys.csv"'
    return response


def _days(scope: metrics.Scope, name: str) -> HttpResponse:
    counters = [c for c in DailyRollup._meta.get_fields() if c.name in _DAY_FIELDS]
    names = [c.name for c in counters]
    days = HttpResponse(content_type="text/csv; charset=utf-8")
    days["Content-Disposition"] = f'attachment; filename="{name}-days.csv"'
    out = csv.writer(days)
    out.writerow(["day", *names])
    for r in metrics.daily_counters(scope, names):
        out.writerow([r["day"].isoformat(), *(r[n] for n in names)])
    return days

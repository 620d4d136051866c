"""The period as CSV: one row per day, or one per journey (streamed).

For the reader's spreadsheet (#14): headers in words in their language, values rounded,
and their decimal convention — Dutch: ``;`` between columns and a decimal comma (what
Dutch Excel expects); English: ``,`` and a decimal point. A BOM so Excel reads UTF-8.
"""

import csv
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from klantstuur.businesses.models import StaffMember
from klantstuur.core.formats import number
from klantstuur.metrics import selectors as metrics
from klantstuur.metrics.models import DailyRollup
from klantstuur.needs.models import NeedKind, NeedStatus

from .common import manager_page, owners, period_scope

JOURNEY_FIELDS = [
    "need_id", "customer_id", "owner_id", "team", "kind", "status", "created_at",
    "contacts", "handoffs", "reopens", "need_fcr", "contacts_closed",
    "contacts_first_time", "promises", "promises_kept", "late_minutes",
    "ratings_count", "ratings_sum", "experience_index", "effort", "resolution_minutes",
]  # fmt: skip

_DAY_FIELDS = set(metrics.ROLLUP_COUNTERS)

HEADERS = {
    "day": _("Day"),
    "need_id": _("Need"),
    "customer_id": _("Customer"),
    "owner_id": _("Owner"),
    "team": _("Team"),
    "kind": _("Kind"),
    "status": _("Status"),
    "created_at": _("Opened at"),
    "needs": _("Needs"),
    "contacts": _("Contacts"),
    "handoffs": _("Handoffs"),
    "reopens": _("Reopens"),
    "reopened": _("Needs reopened"),
    "solved": _("Solved"),
    "need_fcr": _("Solved at first contact"),
    "contacts_closed": _("Contacts closed"),
    "contacts_first_time": _("Contacts solved first time"),
    "promises": _("Promises"),
    "promises_kept": _("Promises kept"),
    "late_minutes": _("Minutes late"),
    "ratings_count": _("Ratings"),
    "ratings_sum": _("Sum of ratings"),
    "experience_index": _("Experience index"),
    "effort": _("Effort"),
    "resolution_minutes": _("Minutes to solve"),
}


# Codes in words for the reader (staff): a need's kind and status.
WORDS: dict[str, dict[str, Any]] = {
    "kind": dict(NeedKind.choices),
    "status": {
        **dict(NeedStatus.choices),
        NeedStatus.AWAITING_CUSTOMER: _("Awaiting the customer"),
    },
}


def _dutch() -> bool:
    return (get_language() or "nl").startswith("nl")


def _writer(out: Any) -> Any:
    return csv.writer(out, delimiter=";" if _dutch() else ",")


def _headers(names: Sequence[str]) -> list[str]:
    return [str(HEADERS.get(n, n.replace("_", " ").capitalize())) for n in names]


def _cell(value: Any) -> Any:
    """Rounded, in the reader's decimal convention; times local, to the minute."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, float):
        return number(value, 3, grouping=False)
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    return value


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
    writer = _writer(_Echo())
    qs = metrics.journeys(scope, "needs").values_list(*JOURNEY_FIELDS)
    headers = "\ufeff" + writer.writerow(_headers(JOURNEY_FIELDS))

    # In words now, in the reader's language (the rows stream after the view returns).
    found = [WORDS.get(name) for name in JOURNEY_FIELDS]
    words = [{k: str(v) for k, v in w.items()} if w else None for w in found]

    def rows() -> Iterator[str]:
        yield headers
        for row in qs.iterator(chunk_size=2000):
            yield writer.writerow(
                [_cell(w.get(v, v) if w else v) for v, w in zip(row, words, strict=True)]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}-journeys.csv"'
    return response


def _days(scope: metrics.Scope, name: str) -> HttpResponse:
    counters = [c for c in DailyRollup._meta.get_fields() if c.name in _DAY_FIELDS]
    names = [c.name for c in counters]
    days = HttpResponse(content_type="text/csv; charset=utf-8")
    days["Content-Disposition"] = f'attachment; filename="{name}-days.csv"'
    days.write("\ufeff")
    out = _writer(days)
    out.writerow(_headers(["day", *names]))
    for r in metrics.daily_counters(scope, names):
        out.writerow([r["day"].isoformat(), *(_cell(r[n]) for n in names)])
    return days

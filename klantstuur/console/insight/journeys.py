"""From a figure to the journeys behind it, and one journey in full."""

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from klantstuur.businesses.models import StaffMember
from klantstuur.core.errors import NotFound
from klantstuur.feedback import selectors as feedback
from klantstuur.metrics import experience
from klantstuur.metrics import selectors as metrics
from klantstuur.metrics.models import NeedFacts
from klantstuur.needs import root_causes
from klantstuur.needs.models import Need, RootCause
from klantstuur.needs.selectors import need_for_staff, needs_by_id, timeline

from .common import manager_page, owners, period_scope
from .forms import ListenForm


def _cause(request: HttpRequest, me: StaffMember) -> RootCause | None:
    """``?cause=``: the drill-down narrowed to one of my root causes; another's is 404."""
    raw = request.GET.get("cause")
    if not raw:
        return None
    try:
        return root_causes.root_cause_for_staff(
            staff=me, root_cause_id=int(raw) if raw.isdecimal() and len(raw) < 18 else 0
        )
    except NotFound:
        raise Http404 from None


@manager_page
def drill(request: HttpRequest, me: StaffMember, figure: str) -> HttpResponse:
    if figure not in metrics.DRILLS:
        raise Http404
    scope, form, query = period_scope(request, me, owners(me))
    cause = _cause(request, me)
    qs = metrics.journeys(scope, figure, root_cause_id=cause.pk if cause else None)
    page = capped_page(request, qs)
    rows = list(page.object_list)
    needs = needs_by_id(business_id=me.business_id, need_ids=[r.need_id for r in rows])
    return render(
        request,
        "insight/drill.html",
        {
            "me": me,
            "nav": "insight",
            "form": form,
            "figure": figure,
            "title": metrics.DRILLS[figure][0],
            "cause": cause,
            "page": page,
            "rows": [(r, needs.get(r.need_id)) for r in rows],
            "query": query,
            "scope": scope,
        },
    )


COUNT_CAP = 10_000


class _CappedPaginator:
    """Counts at most COUNT_CAP rows: a page of a two-year drill-down stays cheap."""

    def __init__(self, count: int, size: int, capped: bool) -> None:
        self.count = count
        self.capped = capped
        self.num_pages = max((count + size - 1) // size, 1)


class CappedPage(list):
    def __init__(self, rows: list[Any], number: int, paginator: _CappedPaginator) -> None:
        super().__init__(rows)
        self.object_list = rows
        self.number = number
        self.paginator = paginator

    def has_previous(self) -> bool:
        return self.number > 1

    def has_next(self) -> bool:
        return self.number < self.paginator.num_pages

    def previous_page_number(self) -> int:
        return self.number - 1

    def next_page_number(self) -> int:
        return self.number + 1


def capped_page(request: HttpRequest, qs: Any, size: int = 25) -> CappedPage:
    raw = request.GET.get("page", "1")
    number = int(raw) if raw.isdecimal() and len(raw) < 6 else 1
    count = qs.order_by()[: COUNT_CAP + 1].count()
    paginator = _CappedPaginator(min(count, COUNT_CAP), size, count > COUNT_CAP)
    number = max(1, min(number, paginator.num_pages))
    rows = list(qs[(number - 1) * size : number * size])
    return CappedPage(rows, number, paginator)


def _facts_touchpoints(need: Need, facts: NeedFacts | None) -> list[experience.Touchpoint]:
    kept = facts.promises_kept if facts else 0
    return experience.touchpoints(
        ratings=feedback.rating_points_of_need(need=need),
        contacts=need.contacts,
        handoffs=need.handoffs,
        reopens=need.reopens,
        promises_kept=kept,
        promises_broken=(facts.promises - kept) if facts else 0,
        confirmed=need.status == "solved",
    )


@manager_page
def journey(request: HttpRequest, me: StaffMember, need_id: int) -> HttpResponse:
    try:
        need = need_for_staff(staff=me, need_id=need_id)
    except NotFound:
        raise Http404 from None
    return render_journey(request, me, need)


def render_journey(
    request: HttpRequest,
    me: StaffMember,
    need: Need,
    *,
    listen_form: ListenForm | None = None,
    status: int = 200,
) -> HttpResponse:
    facts = metrics.facts_of_need(need_id=need.pk)
    points = _facts_touchpoints(need, facts)
    ratings = feedback.ratings_of_need(need=need)
    samples = feedback.samples_of_need(need=need)
    open_sample = next((s for s in samples if s.listened_at is None), None)
    return render(
        request,
        "insight/journey.html",
        {
            "me": me,
            "nav": "insight",
            "need": need,
            "facts": facts,
            "points": points,
            "index": experience.experience_index(points),
            "average": experience.plain_average(r.rating for r in ratings),
            "ratings": ratings,
            "outcomes": metrics.promise_outcomes_of(need_id=need.pk),
            "events": list(timeline(need=need, for_customer=False)),
            "samples": samples,
            "open_sample": open_sample,
            "listen_form": listen_form or ListenForm(),
        },
        status=status,
    )

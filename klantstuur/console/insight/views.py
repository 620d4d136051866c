"""Insight: the manager's dashboard, drill-down, listening, improvement and loyalty.

Thin views: parse, call one selector or service, render. Every page is bounded
in queries (tests/test_insight.py) and every write checks authority in its service.
"""

import csv
import json
from collections.abc import Callable, Iterator
from datetime import timedelta
from functools import wraps
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Sum
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from klantstuur.businesses.models import FRONTLINE_ROLES, OWNER_ROLES, Role, StaffMember
from klantstuur.console.access import staff_page
from klantstuur.core.errors import DomainError, Invalid, NotFound
from klantstuur.core.pages import page_of, show_error
from klantstuur.core.zones import zone
from klantstuur.customers.models import Customer
from klantstuur.feedback import services
from klantstuur.feedback.models import (
    ImprovementItem,
    ListeningSample,
    Rating,
    Reward,
    SurveyResponse,
)
from klantstuur.metrics import experience
from klantstuur.metrics import selectors as metrics
from klantstuur.metrics.models import DailyRollup, NeedFacts, PromiseOutcome
from klantstuur.needs.models import Need
from klantstuur.needs.root_causes import active_root_causes, business_root_cause
from klantstuur.needs.selectors import timeline

from .forms import (
    ImprovementForm,
    ImprovementMoveForm,
    ListenForm,
    PeriodForm,
    RewardForm,
    RootCauseForm,
)


def manager_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Logged-in staff (``staff_page``), and a manager: anyone else gets 403."""

    @staff_page
    @wraps(view)
    def wrapper(request: HttpRequest, me: StaffMember, *args: Any, **kwargs: Any) -> HttpResponse:
        if me.role != Role.MANAGER:
            raise PermissionDenied
        return view(request, me, *args, **kwargs)

    return wrapper


def _staff(me: StaffMember) -> list[StaffMember]:
    return list(
        StaffMember.objects.filter(business_id=me.business_id, role__in=OWNER_ROLES).order_by(
            "name"
        )
    )


def _scope(
    request: HttpRequest, me: StaffMember, staff: list[StaffMember]
) -> tuple[Any, PeriodForm, str]:
    """The period and filters from the query string; bad input shows beside its field."""
    form = PeriodForm(request.GET or None, staff=staff)
    today = timezone.localdate()
    start = end = None
    owner_id = team = None
    if form.is_bound and form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        owner_id, team = form.cleaned_data["owner"], form.cleaned_data["team"] or None
    try:
        scope = metrics.scope_for(
            business_id=me.business_id,
            today=today,
            start=start,
            end=end,
            owner_id=owner_id,
            team=team,
        )
    except Invalid as exc:
        show_error(form, exc, {"from": "start", "to": "end"})
        scope = metrics.scope_for(business_id=me.business_id, today=today)
    query = request.GET.copy()
    query.pop("page", None)
    return scope, form, query.urlencode()


# --- dashboard -------------------------------------------------------------------------


def _series(scope: metrics.Scope) -> dict[str, Any]:
    """Per-day series for the charts: one query over the roll-ups."""
    rows = (
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
    days, needs, cpn, ei, avg = [], [], [], [], []
    for r in rows:
        days.append(r["day"].isoformat())
        needs.append(r["needs"])
        cpn.append(round(r["contacts"] / r["needs"], 2) if r["needs"] else None)
        ei.append(round(r["ei_sum"] / r["ei_count"], 3) if r["ei_count"] else None)
        avg.append(round((r["r_sum"] / r["r_count"] - 1) / 4, 3) if r["r_count"] else None)
    return {"days": days, "needs": needs, "contacts_per_need": cpn, "ei": ei, "avg": avg}


DAYS = [_x for _x in ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")]


@manager_page
def dashboard(request: HttpRequest, me: StaffMember) -> HttpResponse:
    staff = _staff(me)
    scope, form, query = _scope(request, me, staff)
    figures = metrics.figures(scope)
    hours = {r["hour_of_week"]: r for r in figures["response_by_hour_of_week"]}
    charts = {
        "series": _series(scope),
        "hours": {
            "labels": [f"{DAYS[h // 24]} {h % 24:02d}" for h in range(168)],
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
    return render(
        request,
        "insight/dashboard.html",
        {
            "me": me,
            "nav": "insight",
            "form": form,
            "scope": scope,
            "f": figures,
            "charts": charts,
            "query": query,
            "night": _night(figures["response_by_hour_of_week"]),
        },
    )


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


# --- drill-down and one journey ------------------------------------------------------------


@manager_page
def drill(request: HttpRequest, me: StaffMember, figure: str) -> HttpResponse:
    if figure not in metrics.DRILLS:
        raise Http404
    staff = _staff(me)
    scope, form, query = _scope(request, me, staff)
    cause_id = request.GET.get("cause")
    cause = None
    if cause_id:
        cause = business_root_cause(
            business_id=me.business_id,
            root_cause_id=int(cause_id) if cause_id.isdecimal() and len(cause_id) < 18 else 0,
        )
        if cause is None:
            raise Http404
    qs = metrics.journeys(scope, figure, root_cause_id=cause.pk if cause else None)
    page = capped_page(request, qs)
    rows = list(page.object_list)
    needs = {
        n.pk: n
        for n in Need.objects.filter(pk__in=[r.need_id for r in rows]).select_related(
            "customer", "owner"
        )
    }
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
    ratings = list(
        Rating.objects.filter(need=need)
        .order_by("created_at", "id")
        .values_list("touchpoint", "rating")
    )
    kept = facts.promises_kept if facts else 0
    return experience.touchpoints(
        ratings=ratings,
        contacts=need.contacts,
        handoffs=need.handoffs,
        reopens=need.reopens,
        promises_kept=kept,
        promises_broken=(facts.promises - kept) if facts else 0,
        confirmed=need.status == "solved",
    )


@manager_page
def journey(request: HttpRequest, me: StaffMember, need_id: int) -> HttpResponse:
    need = (
        Need.objects.select_related("customer", "owner", "business")
        .filter(pk=need_id, business_id=me.business_id)
        .first()
    )
    if need is None:
        raise Http404
    return _render_journey(request, me, need)


def _render_journey(
    request: HttpRequest,
    me: StaffMember,
    need: Need,
    *,
    listen_form: ListenForm | None = None,
    status: int = 200,
) -> HttpResponse:
    facts = NeedFacts.objects.filter(need_id=need.pk).first()
    points = _facts_touchpoints(need, facts)
    ratings = list(Rating.objects.filter(need=need).order_by("created_at", "id"))
    samples = list(
        ListeningSample.objects.filter(need=need)
        .select_related("listened_by")
        .order_by("-sampled_on")
    )
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
            "outcomes": list(PromiseOutcome.objects.filter(need=need).order_by("due_at")),
            "events": list(timeline(need=need, for_customer=False)),
            "samples": samples,
            "open_sample": open_sample,
            "listen_form": listen_form or ListenForm(),
        },
        status=status,
    )


# --- CSV -----------------------------------------------------------------------------------


class _Echo:
    def write(self, value: str) -> str:
        return value


@manager_page
def export(request: HttpRequest, me: StaffMember) -> Any:
    """CSV of the period: one row per day (``?rows=days``, default) or per journey."""
    scope, _form, _query = _scope(request, me, _staff(me))
    writer = csv.writer(_Echo())
    name = f"klantstuur-{me.business.slug}-{scope.start}-{scope.end}"
    if request.GET.get("rows") == "journeys":
        fields = [
            "need_id", "customer_id", "owner_id", "team", "kind", "status", "created_at",
            "contacts", "handoffs", "reopens", "need_fcr", "contacts_closed",
            "contacts_first_time", "promises", "promises_kept", "late_minutes",
            "ratings_count", "ratings_sum", "experience_index", "effort", "resolution_minutes",
        ]  # fmt: skip
        qs = metrics.journeys(scope, "needs").values_list(*fields)

        def rows() -> Iterator[str]:
            yield writer.writerow(fields)
            for row in qs.iterator(chunk_size=2000):
                yield writer.writerow(row)

        response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}-journeys.csv"'
        return response
    counters = [c for c in DailyRollup._meta.get_fields() if c.name in _DAY_FIELDS]
    names = [c.name for c in counters]
    qs_days = (
        scope.rollups(DailyRollup.objects.all())
        .values("day")
        .annotate(**{n: Sum(n) for n in names})
        .order_by("day")
    )
    days = HttpResponse(content_type="text/csv; charset=utf-8")
    days["Content-Disposition"] = f'attachment; filename="{name}-days.csv"'
    out = csv.writer(days)
    out.writerow(["day", *names])
    for r in qs_days:
        out.writerow([r["day"].isoformat(), *(r[n] for n in names)])
    return days


_DAY_FIELDS = set(metrics.ROLLUP_COUNTERS)


# --- listening (R14) -----------------------------------------------------------------------


@manager_page
def listening(request: HttpRequest, me: StaffMember) -> HttpResponse:
    qs = (
        ListeningSample.objects.filter(business_id=me.business_id)
        .select_related("need__customer", "need__owner", "listened_by")
        .order_by("listened_at", "-sampled_on", "id")
    )
    if request.GET.get("show") != "all":
        qs = qs.filter(listened_at__isnull=True)
    since = timezone.localdate() - timedelta(days=27)
    cov = ListeningSample.objects.filter(business_id=me.business_id, sampled_on__gte=since)
    total = cov.count()
    done = cov.filter(listened_at__isnull=False).count()
    return render(
        request,
        "insight/listening.html",
        {
            "me": me,
            "nav": "listening",
            "page": page_of(request, qs),
            "show_all": request.GET.get("show") == "all",
            "query": "show=all" if request.GET.get("show") == "all" else "",
            "coverage": {"sampled": total, "listened": done},
        },
    )


@require_POST
@manager_page
def listen(request: HttpRequest, me: StaffMember, sample_id: int) -> HttpResponse:
    sample = (
        ListeningSample.objects.select_related("need__customer", "need__owner", "need__business")
        .filter(pk=sample_id, business_id=me.business_id)
        .first()
    )
    if sample is None:
        raise Http404
    form = ListenForm(request.POST)
    if form.is_valid():
        try:
            services.listening_mark(staff=me, sample_id=sample.pk, note=form.cleaned_data["note"])
        except DomainError as exc:
            show_error(form, exc)
            return _render_journey(request, me, sample.need, listen_form=form, status=exc.status)
        messages.success(request, _("Marked as listened."))
        return redirect(reverse("console_insight:journey", args=[sample.need_id]))
    return _render_journey(request, me, sample.need, listen_form=form, status=422)


# --- improvement board (R15) ----------------------------------------------------------------


@manager_page
def board(request: HttpRequest, me: StaffMember) -> HttpResponse:
    return _render_board(request, me)


def _render_board(
    request: HttpRequest, me: StaffMember, status: int = 200, **bound: Any
) -> HttpResponse:
    staff = _staff(me)
    scope, form, query = _scope(request, me, staff)
    causes = list(active_root_causes(business_id=me.business_id))
    items = list(
        ImprovementItem.objects.filter(business_id=me.business_id)
        .select_related("root_cause", "owner")
        .order_by("status", "-created_at")[:50]
    )
    recur = metrics.recurrence(business_id=me.business_id, items=items, now=timezone.now())
    return render(
        request,
        "insight/board.html",
        {
            "me": me,
            "nav": "board",
            "form": form,
            "query": query,
            "ranking": metrics.board(scope),
            "items": [
                (i, recur.get(i.pk), ImprovementMoveForm(initial={"status": i.status}))
                for i in items
            ],
            "cause_form": bound.get("cause_form") or RootCauseForm(),
            "item_form": bound.get("item_form") or ImprovementForm(causes=causes, staff=staff),
        },
        status=status,
    )


@require_POST
@manager_page
def cause_add(request: HttpRequest, me: StaffMember) -> HttpResponse:
    form = RootCauseForm(request.POST)
    if form.is_valid():
        try:
            services.root_cause_create(staff=me, name=form.cleaned_data["name"])
        except DomainError as exc:
            show_error(form, exc)
            return _render_board(request, me, exc.status, cause_form=form)
        messages.success(request, _("Root cause added."))
        return redirect("console_insight:board")
    return _render_board(request, me, 422, cause_form=form)


@require_POST
@manager_page
def item_add(request: HttpRequest, me: StaffMember) -> HttpResponse:
    causes = list(active_root_causes(business_id=me.business_id))
    form = ImprovementForm(request.POST, causes=causes, staff=_staff(me))
    if form.is_valid():
        try:
            services.improvement_create(
                staff=me,
                root_cause_id=form.cleaned_data["root_cause"],
                title=form.cleaned_data["title"],
                owner_id=form.cleaned_data["owner"],
            )
        except DomainError as exc:
            show_error(form, exc, {"root_cause_id": "root_cause", "owner_id": "owner"})
            return _render_board(request, me, exc.status, item_form=form)
        messages.success(request, _("Improvement item added."))
        return redirect("console_insight:board")
    return _render_board(request, me, 422, item_form=form)


@require_POST
@manager_page
def item_move(request: HttpRequest, me: StaffMember, item_id: int) -> HttpResponse:
    form = ImprovementMoveForm(request.POST)
    if not form.is_valid():
        return _render_board(request, me, 422)
    try:
        services.improvement_update(staff=me, item_id=item_id, status=form.cleaned_data["status"])
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("console_insight:board")
    messages.success(request, _("Improvement item updated."))
    return redirect("console_insight:board")


# --- loyalty per customer, and rewards (R9) ----------------------------------------------------


def _customer(me: StaffMember, customer_id: int) -> Customer:
    customer = Customer.objects.filter(pk=customer_id, business_id=me.business_id).first()
    if customer is None:
        raise Http404
    return customer


@staff_page
def customers(request: HttpRequest, me: StaffMember) -> HttpResponse:
    if me.role not in FRONTLINE_ROLES:
        raise PermissionDenied
    qs = Customer.objects.filter(business_id=me.business_id).order_by("name", "id")
    q = (request.GET.get("q") or "").strip()[:100]
    if q:
        qs = qs.filter(name__icontains=q)
    return render(
        request,
        "insight/customers.html",
        {
            "me": me,
            "nav": "customers",
            "page": page_of(request, qs),
            "q": q,
            "query": f"q={q}" if q else "",
        },
    )


@staff_page
def customer(request: HttpRequest, me: StaffMember, customer_id: int) -> HttpResponse:
    if me.role not in FRONTLINE_ROLES:
        raise PermissionDenied
    c = _customer(me, customer_id)
    initial = {}
    need_param = request.GET.get("need", "")
    if need_param.isdecimal() and len(need_param) < 18:
        initial["need"] = int(need_param)
    return _render_customer(request, me, c, RewardForm(initial=initial))


def _render_customer(
    request: HttpRequest, me: StaffMember, c: Customer, form: RewardForm, status: int = 200
) -> HttpResponse:
    facts = NeedFacts.objects.filter(customer_id=c.pk, business_id=me.business_id)
    summary: dict[str, Any] = {"needs": facts.count(), "ei": None}
    ei = [v for v in facts.values_list("experience_index", flat=True) if v is not None][:500]
    summary["ei"] = round(sum(ei) / len(ei), 3) if ei else None
    return render(
        request,
        "insight/customer.html",
        {
            "me": me,
            "nav": "customers",
            "customer": c,
            "summary": summary,
            "needs": list(
                Need.objects.filter(customer=c).select_related("owner").order_by("-created_at")[:20]
            ),
            "rewards": list(
                Reward.objects.filter(customer=c)
                .select_related("given_by")
                .order_by("-created_at")[:50]
            ),
            "ratings": list(Rating.objects.filter(customer=c).order_by("-created_at")[:20]),
            "surveys": list(SurveyResponse.objects.filter(customer=c).order_by("-created_at")[:20]),
            "form": form,
            "is_manager": me.role == Role.MANAGER,
        },
        status=status,
    )


@require_POST
@staff_page
def reward(request: HttpRequest, me: StaffMember, customer_id: int) -> HttpResponse:
    if me.role not in FRONTLINE_ROLES:
        raise PermissionDenied
    c = _customer(me, customer_id)
    form = RewardForm(request.POST)
    status = 422
    if form.is_valid():
        try:
            services.reward_give(
                staff=me,
                customer_id=c.pk,
                kind=form.cleaned_data["kind"],
                description=form.cleaned_data["description"],
                value_cents=form.value_cents(),
                need_id=form.cleaned_data["need"],
            )
        except DomainError as exc:
            show_error(form, exc, {"value_cents": "value", "need_id": "need"})
            status = exc.status
        else:
            messages.success(request, _("Reward given; it is on the customer's timeline."))
            return redirect(reverse("console_insight:customer", args=[c.pk]) + "#rewards")
    return _render_customer(request, me, c, form, status)


def charts_json(charts: dict[str, Any]) -> str:
    return json.dumps(charts)


__all__ = ["zone"]

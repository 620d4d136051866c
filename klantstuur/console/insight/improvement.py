"""The improvement board (R15): root causes ranked, and the items that fix them."""

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from klantstuur.businesses.models import StaffMember
from klantstuur.core.errors import DomainError, NotFound
from klantstuur.core.pages import show_error
from klantstuur.feedback import selectors as feedback
from klantstuur.feedback import services
from klantstuur.metrics import selectors as metrics
from klantstuur.needs import root_causes

from .common import manager_page, owners, period_scope
from .forms import ImprovementForm, ImprovementMoveForm, RootCauseForm


@manager_page
def board(request: HttpRequest, me: StaffMember) -> HttpResponse:
    return _render_board(request, me)


def _render_board(
    request: HttpRequest, me: StaffMember, status: int = 200, **bound: Any
) -> HttpResponse:
    staff = owners(me)
    scope, form, query = period_scope(request, me, staff)
    causes = list(root_causes.active_root_causes(business_id=me.business_id))
    items = feedback.improvement_items(business_id=me.business_id)
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
    causes = list(root_causes.active_root_causes(business_id=me.business_id))
    form = ImprovementForm(request.POST, causes=causes, staff=owners(me))
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

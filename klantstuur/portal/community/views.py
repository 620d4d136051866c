"""Vraag het andere klanten: the community pages of the portal (phone first).

A customer sees the shared open questions of their business, answers one, reports an
answer; from their own need they share it, un-share it and mark the answer that
helped. Every write is one service call (``klantstuur.community.services``).
"""

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from klantstuur.community import selectors, services
from klantstuur.core.errors import DomainError, NotFound
from klantstuur.core.pages import page_of, show_error
from klantstuur.customers.models import Customer
from klantstuur.needs.models import Need
from klantstuur.portal.access import customer_page

from .forms import AnswerForm, ReportForm, ShareForm


def need_panel(me: Customer, need: Need) -> dict[str, Any]:
    """What the need page shows of the community: shared or not, and the peers' answers."""
    question = selectors.shared_question_of(need=need)
    answers = list(selectors.visible_answers(need_id=need.pk)) if question else []
    return {
        "question": question,
        "shared": question is not None and question.unshared_at is None,
        "answers": answers,
        "helped": any(a.helped_at for a in answers),
        "share_form": ShareForm(),
    }


@customer_page
def community(request: HttpRequest, me: Customer) -> HttpResponse:
    return render(
        request,
        "community/list.html",
        {
            "me": me,
            "nav": "community",
            "page": page_of(request, selectors.community_questions(customer=me)),
            "display_name": selectors.member_name(customer=me),
        },
    )


def _thread(me: Customer, need_id: int) -> selectors.Thread:
    try:
        return selectors.thread_for_customer(customer=me, need_id=need_id)
    except NotFound:
        raise Http404 from None


def _render_question(
    request: HttpRequest, me: Customer, need_id: int, status: int = 200, **bound: Any
) -> HttpResponse:
    thread = _thread(me, need_id)
    ctx: dict[str, Any] = {
        "me": me,
        "nav": "community",
        "thread": thread,
        "question": thread.question,
        "mine": thread.question.asker_id == me.pk,
        "answer_form": AnswerForm(),
        "report_form": ReportForm(),
    }
    ctx.update(bound)
    return render(request, "community/question.html", ctx, status=status)


@customer_page
def question(request: HttpRequest, me: Customer, need_id: int) -> HttpResponse:
    return _render_question(request, me, need_id)


@require_POST
@customer_page
def answer(request: HttpRequest, me: Customer, need_id: int) -> HttpResponse:
    _thread(me, need_id)
    form = AnswerForm(request.POST)
    status = 422
    if form.is_valid():
        try:
            services.answer_post(customer=me, need_id=need_id, body=form.cleaned_data["body"])
        except DomainError as exc:
            show_error(form, exc)
            status = exc.status
        else:
            messages.success(request, _("Thank you for helping. Your answer is there."))
            return redirect("portal_community:question", need_id)
    return _render_question(request, me, need_id, status, answer_form=form)


@require_POST
@customer_page
def report(request: HttpRequest, me: Customer, need_id: int, answer_id: int) -> HttpResponse:
    _thread(me, need_id)
    form = ReportForm(request.POST)
    try:
        if not form.is_valid():
            raise NotFound(_("No such answer."))
        services.answer_report(
            customer=me, need_id=need_id, answer_id=answer_id, reason=form.cleaned_data["reason"]
        )
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        return _render_question(request, me, need_id, exc.status, top_error=exc.message)
    messages.success(request, _("Thank you. Staff will look at it."))
    return redirect("portal_community:question", need_id)


@require_POST
@customer_page
def leave(request: HttpRequest, me: Customer) -> HttpResponse:
    done = services.community_leave(customer=me)
    messages.success(
        request,
        _("You left. %(n)d answers went with you; your questions are no longer shared.")
        % {"n": done["answers_withdrawn"]},
    )
    return redirect("portal_community:list")


def _back_to_need(need_id: int) -> HttpResponse:
    return redirect(reverse("portal:need", args=[need_id]) + "#community")


@require_POST
@customer_page
def share(request: HttpRequest, me: Customer, need_id: int) -> HttpResponse:
    try:
        services.question_share(
            customer=me, need_id=need_id, display_name=request.POST.get("display_name", "")
        )
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        messages.error(request, exc.message)
        return _back_to_need(need_id)
    messages.success(request, _("Shared. Other customers can answer it now."))
    return _back_to_need(need_id)


@require_POST
@customer_page
def unshare(request: HttpRequest, me: Customer, need_id: int) -> HttpResponse:
    try:
        services.question_unshare(customer=me, need_id=need_id)
    except NotFound:
        raise Http404 from None
    messages.success(request, _("No longer shared."))
    return _back_to_need(need_id)


@require_POST
@customer_page
def helped(request: HttpRequest, me: Customer, need_id: int, answer_id: int) -> HttpResponse:
    try:
        services.answer_mark_helped(customer=me, need_id=need_id, answer_id=answer_id)
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        messages.error(request, exc.message)
        return _back_to_need(need_id)
    messages.success(request, _("Good to hear. Please confirm below that it is solved."))
    return redirect("portal:need", need_id)

"""The owner's word on fellow customers' answers, and hiding one (console).

Each action is one service call; the need page shows the answers (``need_panel``).
"""

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from klantstuur.businesses.models import StaffMember
from klantstuur.community import selectors, services
from klantstuur.console.access import staff_page
from klantstuur.core.errors import DomainError, NotAllowed, NotFound
from klantstuur.needs.models import Need


def need_panel(me: StaffMember, need: Need) -> dict[str, Any]:
    """Fellow customers' answers on a need, hidden ones too, for the console's need page."""
    question = selectors.shared_question_of(need=need)
    answers = selectors.answers_for_staff(staff=me, need=need) if question else []
    return {"question": question, "answers": answers}


def _back(need_id: int) -> HttpResponse:
    return redirect(reverse("console:need", args=[need_id]) + "#community")


def _run(request: HttpRequest, need_id: int, action: Any, done: str) -> HttpResponse:
    try:
        action()
    except NotFound:
        raise Http404 from None
    except NotAllowed:
        raise PermissionDenied from None
    except DomainError as exc:
        messages.error(request, exc.message)
        return _back(need_id)
    messages.success(request, done)
    return _back(need_id)


@require_POST
@staff_page
def endorse(request: HttpRequest, me: StaffMember, need_id: int, answer_id: int) -> HttpResponse:
    return _run(
        request,
        need_id,
        lambda: services.answer_endorse(staff=me, need_id=need_id, answer_id=answer_id),
        _("Marked correct; every customer sees it."),
    )


@require_POST
@staff_page
def correct(request: HttpRequest, me: StaffMember, need_id: int, answer_id: int) -> HttpResponse:
    text = request.POST.get("correction", "")
    return _run(
        request,
        need_id,
        lambda: services.answer_correct(
            staff=me, need_id=need_id, answer_id=answer_id, correction=text
        ),
        _("Correction shown beside the answer."),
    )


@require_POST
@staff_page
def hide(request: HttpRequest, me: StaffMember, need_id: int, answer_id: int) -> HttpResponse:
    reason = request.POST.get("reason", "")
    return _run(
        request,
        need_id,
        lambda: services.answer_hide(staff=me, need_id=need_id, answer_id=answer_id, reason=reason),
        _("Answer hidden from every customer."),
    )

"""Listening (R14): the manager listens to sampled journeys and marks them listened."""

from datetime import timedelta

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from klantstuur.businesses.models import StaffMember
from klantstuur.core.errors import DomainError, NotFound
from klantstuur.core.pages import page_of, show_error
from klantstuur.feedback import selectors as feedback
from klantstuur.feedback import services

from .common import manager_page
from .forms import ListenForm
from .journeys import render_journey


@manager_page
def listening(request: HttpRequest, me: StaffMember) -> HttpResponse:
    show_all = request.GET.get("show") == "all"
    qs = feedback.samples_to_listen(business_id=me.business_id, show_all=show_all)
    since = timezone.localdate() - timedelta(days=27)
    return render(
        request,
        "insight/listening.html",
        {
            "me": me,
            "nav": "listening",
            "page": page_of(request, qs),
            "show_all": show_all,
            "query": "show=all" if show_all else "",
            "coverage": feedback.listening_done(business_id=me.business_id, since=since),
        },
    )


@require_POST
@manager_page
def listen(request: HttpRequest, me: StaffMember, sample_id: int) -> HttpResponse:
    try:
        sample = feedback.sample_for_staff(staff=me, sample_id=sample_id)
    except NotFound:
        raise Http404 from None
    form = ListenForm(request.POST)
    if form.is_valid():
        try:
            services.listening_mark(staff=me, sample_id=sample.pk, note=form.cleaned_data["note"])
        except DomainError as exc:
            show_error(form, exc)
            return render_journey(request, me, sample.need, listen_form=form, status=exc.status)
        messages.success(request, _("Marked as listened."))
        return redirect(reverse("console_insight:journey", args=[sample.need_id]))
    return render_journey(request, me, sample.need, listen_form=form, status=422)

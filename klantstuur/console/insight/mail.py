"""E-mails that failed (issue #15): the manager sees what did not reach whom, how often it
was tried and when the next attempt is; the worker's sweep retries with back-off."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from klantstuur.businesses.models import StaffMember
from klantstuur.core.pages import page_of
from klantstuur.needs import selectors

from .common import manager_page


@manager_page
def failed_mail(request: HttpRequest, me: StaffMember) -> HttpResponse:
    qs = selectors.failed_notifications(business_id=me.business_id)
    return render(
        request,
        "insight/failed_mail.html",
        {"me": me, "nav": "failed_mail", "page": page_of(request, qs), "query": ""},
    )

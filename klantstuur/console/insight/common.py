"""What every insight page shares: who may see it, and the period it shows.

Thin views: parse, call one selector or service, render. Every page is bounded
in queries (tests/console/test_insight.py) and every write checks authority in its service.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from klantstuur.businesses.models import Role, StaffMember
from klantstuur.businesses.selectors import owners_of_business
from klantstuur.console.access import staff_page
from klantstuur.core.errors import Invalid
from klantstuur.core.pages import show_error
from klantstuur.metrics import selectors as metrics

from .forms import PeriodForm


def manager_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Logged-in staff (``staff_page``), and a manager: anyone else gets 403."""

    @staff_page
    @wraps(view)
    def wrapper(request: HttpRequest, me: StaffMember, *args: Any, **kwargs: Any) -> HttpResponse:
        if me.role != Role.MANAGER:
            raise PermissionDenied
        return view(request, me, *args, **kwargs)

    return wrapper


def owners(me: StaffMember) -> list[StaffMember]:
    """The owner filter's choices: everyone in my business who may own needs."""
    return owners_of_business(business_id=me.business_id)


def period_scope(
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

"""Loyalty per customer, and rewards (R9): for everyone at the front line."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from klantstuur.businesses.models import FRONTLINE_ROLES, Role, StaffMember
from klantstuur.console.access import staff_page
from klantstuur.core.errors import DomainError, NotFound
from klantstuur.core.pages import page_of, show_error
from klantstuur.customers.models import Customer
from klantstuur.customers.selectors import customer_for_staff, customers_of_business
from klantstuur.feedback import selectors as feedback
from klantstuur.feedback import services
from klantstuur.metrics.selectors import customer_summary
from klantstuur.needs.selectors import needs_of_customer

from .forms import RewardForm


def _frontline(me: StaffMember) -> None:
    if me.role not in FRONTLINE_ROLES:
        raise PermissionDenied


def _customer(me: StaffMember, customer_id: int) -> Customer:
    try:
        return customer_for_staff(staff=me, customer_id=customer_id)
    except NotFound:
        raise Http404 from None


@staff_page
def customers(request: HttpRequest, me: StaffMember) -> HttpResponse:
    _frontline(me)
    q = (request.GET.get("q") or "").strip()[:100]
    qs = customers_of_business(business_id=me.business_id, name_contains=q)
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
    _frontline(me)
    c = _customer(me, customer_id)
    initial = {}
    need_param = request.GET.get("need", "")
    if need_param.isdecimal() and len(need_param) < 18:
        initial["need"] = int(need_param)
    return _render_customer(request, me, c, RewardForm(initial=initial))


def _render_customer(
    request: HttpRequest, me: StaffMember, c: Customer, form: RewardForm, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "insight/customer.html",
        {
            "me": me,
            "nav": "customers",
            "customer": c,
            "summary": customer_summary(business_id=me.business_id, customer_id=c.pk),
            "needs": list(needs_of_customer(customer=c)[:20]),
            "rewards": feedback.rewards_of_customer(customer=c),
            "ratings": feedback.ratings_of_customer(customer=c),
            "surveys": feedback.surveys_of_customer(customer=c),
            "form": form,
            "is_manager": me.role == Role.MANAGER,
        },
        status=status,
    )


@require_POST
@staff_page
def reward(request: HttpRequest, me: StaffMember, customer_id: int) -> HttpResponse:
    _frontline(me)
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

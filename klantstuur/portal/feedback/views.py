"""One-tap touchpoint ratings and the standard surveys, for customers and guests.

Each page is also a partial (``feedback/_rate.html``, ``feedback/_survey.html``)
that other pages include; posting from htmx swaps the partial for a thank-you.
"""

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from klantstuur.core.errors import DomainError, NotFound
from klantstuur.core.pages import is_htmx
from klantstuur.core.zones import business_time
from klantstuur.customers.models import Customer
from klantstuur.feedback import services
from klantstuur.feedback.models import Survey, Touchpoint
from klantstuur.feedback.wording import survey_text
from klantstuur.floor.selectors import party_for_guest_link, party_has_order
from klantstuur.portal.access import customer_page
from klantstuur.portal.forms import RatingForm


def _int(value: str | None) -> int | None:
    if value and value.isascii() and value.isdecimal() and len(value) < 18:
        return int(value)
    return None


def _next(request: HttpRequest) -> str | None:
    url = request.POST.get("next") or request.GET.get("next")
    if (
        url
        and url.startswith("/")
        and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()})
    ):
        return url
    return None


def _rate_context(request: HttpRequest, data: Any) -> dict[str, Any]:
    touchpoint = data.get("touchpoint", "")
    return {
        "need_id": _int(data.get("need")),
        "order_id": _int(data.get("order")),
        "touchpoint": touchpoint if touchpoint in Touchpoint.values else "",
        "touchpoint_label": Touchpoint(touchpoint).label if touchpoint in Touchpoint.values else "",
        "next": _next(request) or "",
        "scale": range(1, 6),
    }


def rating_post(request: HttpRequest, customer: Customer, ctx: dict[str, Any]) -> int:
    """Give the posted rating (parsed by ``RatingForm``: a whole number 1–5); ``ctx`` gets
    the thank-you or the error to show in place. The HTTP status to answer with."""
    form = RatingForm(request.POST)
    if not form.is_valid():
        ctx["error"] = form.first_error()
        return 422
    rating: int = form.cleaned_data["rating"]
    try:
        services.rating_give(
            customer=customer,
            touchpoint=ctx["touchpoint"] or form.cleaned_data["touchpoint"],
            rating=rating,
            need_id=ctx["need_id"],
            order_id=ctx["order_id"],
            comment=form.cleaned_data["comment"],
        )
    except DomainError as exc:
        if exc.status == 404:
            raise Http404 from None
        ctx["error"] = exc.message
        return exc.status
    ctx["thanks"] = True
    ctx["low"] = rating <= services.LOW_RATING
    return 200


def _rate(
    request: HttpRequest, customer: Customer, ctx: dict[str, Any], template: str
) -> HttpResponse:
    if request.method != "POST":
        return render(request, template, ctx)
    status = rating_post(request, customer, ctx)
    if status != 200:
        return render(
            request,
            template if not is_htmx(request) else "feedback/_rate.html",
            ctx,
            status=status,
        )
    if is_htmx(request):
        return render(request, "feedback/_rate.html", ctx)
    if ctx["next"]:
        return redirect(ctx["next"])
    return render(request, template, ctx)


@customer_page
def rate(request: HttpRequest, customer: Customer) -> HttpResponse:
    """``?need=&order=&touchpoint=``: five big buttons and an optional comment."""
    data = request.POST if request.method == "POST" else request.GET
    ctx = _rate_context(request, data)
    ctx["action"] = request.path
    return _rate(request, customer, ctx, "feedback/rate.html")


def guest_rate(request: HttpRequest, token: str) -> HttpResponse:
    """A guest at a table rates their own party's plates through the guest link's token."""
    try:
        party = party_for_guest_link(token=token[:64])
    except NotFound:
        raise Http404 from None
    data = request.POST if request.method == "POST" else request.GET
    ctx = _rate_context(request, data)
    if ctx["need_id"] not in (None, party.need_id):
        raise Http404
    if ctx["order_id"] is not None and not party_has_order(party=party, order_id=ctx["order_id"]):
        raise Http404
    ctx["need_id"] = party.need_id
    ctx["action"] = request.path
    with business_time(party.business.time_zone):
        return _rate(request, party.need.customer, ctx, "feedback/rate.html")


@customer_page
def survey(request: HttpRequest, customer: Customer, kind: str) -> HttpResponse:
    if kind not in Survey.values:
        raise Http404
    data = request.POST if request.method == "POST" else request.GET
    ctx: dict[str, Any] = {
        "text": survey_text(kind, customer.business.name),
        "need_id": _int(data.get("need")),
        "next": _next(request) or "",
        "action": request.path,
        "due": services.survey_due(customer=customer, survey=kind),
    }
    template = "feedback/_survey.html" if is_htmx(request) else "feedback/survey.html"
    if request.method != "POST":
        return render(request, template, ctx)
    try:
        services.survey_answer(
            customer=customer,
            survey=kind,
            score=_int(request.POST.get("score")),
            need_id=ctx["need_id"],
            comment=request.POST.get("comment", "")[:2001],
        )
    except DomainError as exc:
        if exc.status == 404:
            raise Http404 from None
        ctx["error"] = exc.message
        return render(request, template, ctx, status=exc.status)
    ctx["thanks"] = True
    if not is_htmx(request) and ctx["next"]:
        return redirect(ctx["next"])
    return render(request, template, ctx)

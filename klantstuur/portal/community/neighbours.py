"""Neighbours who accept parcels, in the portal (phone first): offer to accept parcels,
answer a neighbour's request, ask a participating neighbour to take one of my parcels."""

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from klantstuur.community import selectors, services
from klantstuur.core.errors import DomainError, NotFound
from klantstuur.customers.models import Customer
from klantstuur.portal.access import customer_page


def _for_order(request: HttpRequest, deliveries: list[Any]) -> Any:
    """``?order=<id>`` (the link on an order that waits for the customer's choice): that
    delivery alone, when it is one of theirs that can still go to a neighbour."""
    wanted = request.GET.get("order", "")
    return next((d for d in deliveries if str(d.order_id) == wanted), None)


def _page(request: HttpRequest, me: Customer, status: int = 200, **bound: Any) -> HttpResponse:
    offer = selectors.neighbour_offer_of(customer=me)
    deliveries = selectors.movable_deliveries(customer=me)
    chosen = _for_order(request, deliveries)
    if chosen is not None:
        deliveries = [chosen]
    near: list[Any] = []
    postcode = (request.GET.get("postcode") or "").strip()
    if not postcode and chosen is not None:
        postcode = str((chosen.promised_place or {}).get("postcode") or "")
    if not postcode and offer is not None:
        postcode = offer.postcode
    if postcode:
        try:
            code = services.clean_postcode(postcode)
        except DomainError as exc:
            bound.setdefault("search_error", exc.message)
        else:
            near = list(selectors.neighbours_near(customer=me, postcode=code)[:20])
    ctx: dict[str, Any] = {
        "me": me,
        "nav": "neighbours",
        "offer": offer,
        "inbox": list(selectors.neighbour_requests_of(customer=me)[:20]),
        "near": near,
        "postcode": postcode,
        "deliveries": deliveries,
        "chosen": chosen,
        "journal": selectors.neighbour_journal(customer=me),
    }
    ctx.update(bound)
    return render(request, "community/neighbours.html", ctx, status=status)


@customer_page
def neighbours(request: HttpRequest, me: Customer) -> HttpResponse:
    return _page(request, me)


@require_POST
@customer_page
def offer(request: HttpRequest, me: Customer) -> HttpResponse:
    try:
        services.neighbour_offer(
            customer=me,
            postcode=request.POST.get("postcode", ""),
            house_number=request.POST.get("house_number", ""),
            hours_at_home=request.POST.get("hours_at_home", ""),
        )
    except DomainError as exc:
        return _page(request, me, exc.status, offer_error=exc.message, offer_field=exc.field)
    messages.success(request, _("Thank you. Neighbours can ask you to accept a parcel."))
    return redirect("portal_community:neighbours")


@require_POST
@customer_page
def withdraw(request: HttpRequest, me: Customer) -> HttpResponse:
    services.neighbour_withdraw(customer=me)
    messages.success(request, _("You no longer accept parcels for neighbours."))
    return redirect("portal_community:neighbours")


@require_POST
@customer_page
def ask(request: HttpRequest, me: Customer, order_id: int) -> HttpResponse:
    neighbour = request.POST.get("neighbour", "")
    try:
        if not neighbour.isdecimal() or len(neighbour) > 18:
            raise NotFound(_("No such neighbour."), field="neighbour_id")
        services.neighbour_ask(
            customer=me,
            order_id=order_id,
            neighbour_id=int(neighbour),
            house_number=request.POST.get("house_number", ""),
        )
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("portal_community:neighbours")
    messages.success(request, _("Asked. You will see the answer here and on your order."))
    return redirect("portal_community:neighbours")


@require_POST
@customer_page
def answer(request: HttpRequest, me: Customer, request_id: int) -> HttpResponse:
    accept = request.POST.get("answer") == "accept"
    try:
        services.neighbour_answer(customer=me, request_id=request_id, accept=accept)
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("portal_community:neighbours")
    messages.success(
        request,
        _("Thank you: the parcel comes to you.") if accept else _("Declined. Nothing changes."),
    )
    return redirect("portal_community:neighbours")

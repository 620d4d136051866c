"""The guest link: a phone page per party, no login (the link's token is the key).

Each line of the party's orders is shown live (received, being made, ready,
on its way, served) with its promised time; the guests can order, call their
host, ask for the bill and rate a touchpoint with one tap. Another party's
link, or a link of a party that has left, is a plain 404.
"""

from typing import Any

from asgiref.sync import sync_to_async
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from klantstuur.core.errors import DomainError, NotFound
from klantstuur.core.pages import is_htmx
from klantstuur.core.zones import business_time
from klantstuur.floor import selectors, services
from klantstuur.floor.models import Party
from klantstuur.floor.ordering import party_order_place
from klantstuur.live.streams import sse
from klantstuur.needs.selectors import feedback_given
from klantstuur.orders.models import LineStatus, OrderChannel
from klantstuur.orders.selectors import catalog_of_business
from klantstuur.orders.services import LineSpec

MAX_FORM_LINES = 60
RATINGS = (1, 2, 3, 4, 5)


def _party(token: str) -> Party:
    try:
        return selectors.party_for_guest(token=token)
    except NotFound:
        raise Http404 from None


def _context(party: Party) -> dict[str, Any]:
    orders = selectors.orders_with_lines_of_party(party=party)
    rated = {
        (e.data.get("touchpoint"), e.data.get("order_id"))
        for e in feedback_given(need_id=party.need_id)
    }
    for found in orders:
        lines = list(found.lines.all())
        found.served = any(x.status == LineStatus.SERVED for x in lines)  # type: ignore[attr-defined]
        found.rated_served = ("served", found.pk) in rated  # type: ignore[attr-defined]
    return {
        "party": party,
        "orders": orders,
        "order_taken_rated": any(t == "order_taken" for t, _o in rated),
        "owner": party.need.owner,
        "ratings": RATINGS,
    }


def _render(request: HttpRequest, party: Party, template: str, **extra: Any) -> HttpResponse:
    with business_time(party.business.time_zone):
        return render(request, template, {**_context(party), **extra})


def party(request: HttpRequest, token: str) -> HttpResponse:
    found = _party(token)
    menu = list(catalog_of_business(business_id=found.business_id).filter(station__isnull=False))
    return _render(
        request,
        found,
        "guest/party.html",
        menu=menu,
        seat_numbers=range(1, found.table.seats + 1),
    )


def party_fragment(request: HttpRequest, token: str) -> HttpResponse:
    return _render(request, _party(token), "guest/partials/lines.html")


async def party_stream(request: HttpRequest, token: str) -> HttpResponseBase:
    try:
        found = await sync_to_async(selectors.party_for_guest)(token=token)
    except NotFound:
        raise Http404 from None
    return sse([f"party:{found.pk}"])


def _after(request: HttpRequest, party: Party, anchor: str = "") -> HttpResponse:
    if is_htmx(request):
        return _render(request, party, "guest/partials/lines.html")
    return redirect(reverse("portal_guest:party", args=[party.guest_token]) + anchor)


@require_POST
def order(request: HttpRequest, token: str) -> HttpResponse:
    found = _party(token)
    specs: list[LineSpec] = []
    item_ids = request.POST.getlist("item")[:MAX_FORM_LINES]
    quantities = request.POST.getlist("quantity")
    seats = request.POST.getlist("seat")
    notes = request.POST.getlist("note")
    allergies = request.POST.getlist("allergies")
    try:
        for n, raw in enumerate(item_ids):
            qty = _int(quantities[n] if n < len(quantities) else "0", default=0)
            if qty <= 0:
                continue
            seat = _int(seats[n] if n < len(seats) else "", default=None)
            specs.append(
                LineSpec(
                    item_id=_int(raw, default=0) or 0,
                    quantity=qty,
                    seat=seat,
                    note=(notes[n] if n < len(notes) else "")[:500],
                    allergies=(allergies[n] if n < len(allergies) else "")[:300],
                )
            )
        if not specs:
            raise DomainError(_("Choose at least one thing."))
        party_order_place(
            business=found.business,
            party=found,
            lines=specs,
            channel=OrderChannel.GUEST,
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(reverse("portal_guest:party", args=[token]) + "#menu")
    messages.success(request, _("Thank you! Your order is with the kitchen."))
    return redirect(reverse("portal_guest:party", args=[token]) + "#orders")


def _int(raw: str, *, default: Any) -> Any:
    raw = (raw or "").strip()
    if not raw:
        return default
    if not raw.isdecimal() or len(raw) > 6:
        return -1
    return int(raw)


@require_POST
def call_host(request: HttpRequest, token: str) -> HttpResponse:
    found = _party(token)
    try:
        services.party_call_host(party=found, reason=request.POST.get("reason", "")[:300])
        messages.success(
            request, _("%(name)s is on the way to your table.") % {"name": found.need.owner.name}
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("portal_guest:party", token=token)


@require_POST
def bill(request: HttpRequest, token: str) -> HttpResponse:
    found = _party(token)
    try:
        services.party_request_bill(party=found)
        messages.success(request, _("Your host brings the bill."))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("portal_guest:party", token=token)


@require_POST
def feedback(request: HttpRequest, token: str) -> HttpResponse:
    from klantstuur.feedback.services import rating_give

    found = _party(token)
    order_id = _int(request.POST.get("order_id", ""), default=None)
    try:
        rating_give(
            customer=found.need.customer,
            touchpoint=request.POST.get("touchpoint", "")[:40],
            rating=request.POST.get("rating", ""),
            need_id=found.need_id,
            order_id=order_id if order_id and order_id > 0 else None,
        )
        messages.success(request, _("Thank you for telling us."))
    except DomainError as exc:
        messages.error(request, exc.message)
    return _after(request, found, "#orders")


def check_in(request: HttpRequest, qr: str) -> HttpResponse:
    """Scanning the table's QR code: a free table seats the guests themselves.

    A taken table never reveals its party's link (whoever stands at the table
    is not proof of belonging to the party): the page offers "ask your host to
    let you in", which calls the owner (``host_called``, ``join``); the host
    comes and shows the party's guest link as a QR code on their phone.
    """
    try:
        table = selectors.table_by_qr(token=qr)
    except NotFound:
        raise Http404 from None
    taken = selectors.table_taken(table=table)
    error = ""
    asked = False
    joining = request.POST.get("action") == "join"
    if request.method == "POST" and taken and joining:
        # A second phone at a taken table: the host comes and lets them in.
        try:
            services.party_ask_to_join(table=table, name=request.POST.get("name", "")[:60])
            asked = True
        except DomainError as exc:
            error = exc.message
            taken = False
    elif request.method == "POST" and not taken and not joining:
        # (Asking to join a table that has just become free: the check-in form.)
        seats = _int(request.POST.get("seats", ""), default=0)
        try:
            found = services.party_seat(
                business=table.business, table=table, seats=seats, self_check_in=True
            )
            return redirect("portal_guest:party", token=found.guest_token)
        except DomainError as exc:
            error = exc.message
            taken = selectors.table_taken(table=table)
    with business_time(table.business.time_zone):
        return render(
            request,
            "guest/check_in.html",
            {
                "table": table,
                "taken": taken,
                "asked": asked,
                "error": error,
                "seat_numbers": range(1, table.seats + 1),
            },
            status=422 if error else 200,
        )

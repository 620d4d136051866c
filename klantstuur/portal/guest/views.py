"""The guest link: a phone page per party, no login (the link's token is the key).

Each line of the party's orders is shown live (received, being made, ready,
on its way, served) with its promised time; the guests can order, call their
host, ask for the bill and rate a touchpoint with one tap. Another party's
link, or a link of a party that has left, is a plain 404.

Guessing links is throttled per client address (``core.throttle``, limit
``guest-token-ip``): only a token that belongs to no party counts, so a table of phones
behind one restaurant Wi-Fi is never slowed by using its own link.
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
from django.views.decorators.vary import vary_on_headers

from klantstuur.core import throttle
from klantstuur.core.errors import DomainError, NotFound
from klantstuur.core.middleware import answer_guest_in_language
from klantstuur.core.pages import is_htmx
from klantstuur.core.zones import business_time
from klantstuur.feedback.models import Touchpoint
from klantstuur.feedback.services import LOW_RATING, rating_give
from klantstuur.floor import selectors, services
from klantstuur.floor.bill import party_bill
from klantstuur.floor.menu import lines_from_grid, menu_grid, seat_tabs
from klantstuur.floor.models import Party, PartyStatus
from klantstuur.floor.ordering import party_order_place
from klantstuur.live.streams import sse
from klantstuur.needs.selectors import feedback_given
from klantstuur.orders.models import LineStatus, OrderChannel, OrderLine
from klantstuur.portal.forms import RatingForm

RATINGS = (1, 2, 3, 4, 5)
GUESSING = "guest-token-ip"


def _real_link(*, token: str, **_kwargs: Any) -> bool:
    """The token is a party's guest link (a 404 for another reason is no guess)."""
    try:
        selectors.party_for_guest_link(token=token)
    except NotFound:
        return False
    return True


# Wrong guest links and table codes from one address are counted; right ones never.
guarded_link = throttle.guessing_throttled(GUESSING, real=_real_link)
guarded_qr = throttle.guessing_throttled(GUESSING)

# Pages and messages in the guest's language: their NL/EN switch, else their phone's
# Accept-Language, else the business's default (``answer_guest_in_language``).
speaks_the_guests_language = vary_on_headers("Accept-Language")


def _party(request: HttpRequest, token: str) -> Party:
    try:
        found = selectors.party_for_guest(token=token)
    except NotFound:
        raise Http404 from None
    answer_guest_in_language(request, business=found.business)
    return found


def _party_or_receipt(request: HttpRequest, token: str) -> Party:
    """The party, also after it has left (the receipt, the ratings)."""
    try:
        found = selectors.party_for_guest_link(token=token)
    except NotFound:
        raise Http404 from None
    answer_guest_in_language(request, business=found.business)
    return found


def _rate(party: Party, touchpoint: str, order_id: int | None, rated: set[Any]) -> dict[str, Any]:
    """The context of ``feedback/_rate.html`` for one touchpoint of the party."""
    return {
        "action": reverse("portal_guest:feedback", args=[party.guest_token]),
        "need_id": party.need_id,
        "order_id": order_id,
        "touchpoint": touchpoint,
        "touchpoint_label": Touchpoint(touchpoint).label,
        "next": "",
        "scale": RATINGS,
        "already": (touchpoint, order_id) in rated,
    }


def _context(party: Party) -> dict[str, Any]:
    orders = selectors.orders_with_lines_of_party(party=party)
    rated = {
        (e.data.get("touchpoint"), e.data.get("order_id"))
        for e in feedback_given(need_id=party.need_id)
    }
    every_line: list[OrderLine] = []
    for found in orders:
        lines = list(found.lines.all())
        every_line += lines
        found.served = any(x.status == LineStatus.SERVED for x in lines)  # type: ignore[attr-defined]
        found.rate = _rate(party, Touchpoint.SERVED, found.pk, rated)  # type: ignore[attr-defined]
    return {
        "party": party,
        "orders": orders,
        "rate_order_taken": _rate(party, Touchpoint.ORDER_TAKEN, None, rated),
        "owner": party.need.owner,
        "ratings": RATINGS,
        "bill": party_bill(party=party, lines=every_line),
        "left": party.status == PartyStatus.LEFT,
    }


def _render(
    request: HttpRequest, party: Party, template: str, status: int = 200, **extra: Any
) -> HttpResponse:
    with business_time(party.business.time_zone):
        return render(request, template, {**_context(party), **extra}, status=status)


@guarded_link
@speaks_the_guests_language
def party(request: HttpRequest, token: str) -> HttpResponse:
    found = _party_or_receipt(request, token)
    if found.status == PartyStatus.LEFT:
        # Paid and gone: the receipt, a thank-you and the ratings.
        return _render(request, found, "guest/receipt.html")
    return _render(
        request,
        found,
        "guest/party.html",
        grid=menu_grid(business_id=found.business_id),
        seat_tabs=seat_tabs(found.seats),
    )


@guarded_link
@speaks_the_guests_language
def party_fragment(request: HttpRequest, token: str) -> HttpResponse:
    found = _party_or_receipt(request, token)
    return _render(request, found, "guest/partials/lines.html")


@guarded_link
async def party_stream(request: HttpRequest, token: str) -> HttpResponseBase:
    try:
        found = await sync_to_async(selectors.party_for_guest)(token=token)
    except NotFound:
        raise Http404 from None
    return sse([f"party:{found.pk}"])


@guarded_link
@require_POST
def order(request: HttpRequest, token: str) -> HttpResponse:
    """The guest's order from the same grid as the host's: per seat, with modifiers."""
    found = _party(request, token)
    specs = lines_from_grid(request.POST, seats=found.seats)
    try:
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


@guarded_link
@require_POST
def call_host(request: HttpRequest, token: str) -> HttpResponse:
    found = _party(request, token)
    try:
        services.party_call_host(party=found, reason=request.POST.get("reason", "")[:300])
        messages.success(
            request, _("%(name)s is on the way to your table.") % {"name": found.need.owner.name}
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("portal_guest:party", token=token)


@guarded_link
@require_POST
def bill(request: HttpRequest, token: str) -> HttpResponse:
    found = _party(request, token)
    try:
        services.party_request_bill(party=found)
        messages.success(request, _("Your host brings the bill."))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("portal_guest:party", token=token)


@guarded_link
@require_POST
@speaks_the_guests_language
def feedback(request: HttpRequest, token: str) -> HttpResponse:
    """One tap on the guest page (also after leaving): thanks or the error shown in place."""
    found = _party_or_receipt(request, token)
    form = RatingForm(request.POST)
    touchpoint = request.POST.get("touchpoint", "")[:40]
    order_id = _int(request.POST.get("order", ""), default=None)
    order_id = order_id if order_id and order_id > 0 else None
    if order_id is not None and not selectors.party_has_order(party=found, order_id=order_id):
        raise Http404
    ctx = _rate(found, touchpoint if touchpoint in Touchpoint.values else "other", order_id, set())
    ctx["touchpoint"] = touchpoint
    status = 200
    if form.is_valid():
        try:
            rating_give(
                customer=found.need.customer,
                touchpoint=touchpoint,
                rating=form.cleaned_data["rating"],
                need_id=found.need_id,
                order_id=order_id,
                comment=form.cleaned_data["comment"],
            )
            ctx["thanks"] = True
            ctx["low"] = form.cleaned_data["rating"] <= LOW_RATING
        except DomainError as exc:
            ctx["error"], status = exc.message, exc.status
    else:
        ctx["error"], status = form.first_error(), 422
    if is_htmx(request):
        return render(request, "feedback/_rate.html", ctx, status=status)
    if status != 200:
        messages.error(request, ctx["error"])
    else:
        messages.success(request, _("Thank you for telling us."))
    return redirect(reverse("portal_guest:party", args=[token]) + "#orders")


@guarded_qr
@speaks_the_guests_language
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
    answer_guest_in_language(request, business=table.business)
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

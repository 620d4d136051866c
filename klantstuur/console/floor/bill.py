"""The bill in the console: the running check per seat, payments (per seat, per item,
split evenly) with a tip, and closing the table after a confirmation step (issue #13)."""

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from klantstuur.businesses.models import StaffMember
from klantstuur.console.access import staff_page
from klantstuur.core.errors import DomainError, NotFound
from klantstuur.floor import closeout, kitchen
from klantstuur.floor import selectors as floor_selectors
from klantstuur.floor import services as floor_services
from klantstuur.floor.bill import Bill, party_bill
from klantstuur.floor.models import Party, PartyStatus, PaymentMethod

MAX_SPLIT = 20


def _party(me: StaffMember, party_id: int) -> Party:
    try:
        party = floor_selectors.party_for_staff(staff=me, party_id=party_id)
    except NotFound as exc:
        raise Http404(exc.message) from None
    if party.status == PartyStatus.LEFT:
        raise Http404
    return party


def _cents(raw: str) -> int | None:
    """ "12,50" or "12.50" or "12" euro -> 1250 cents; nothing or nonsense -> None."""
    text = (raw or "").strip().replace("€", "").replace(" ", "").replace(",", ".")
    if not text or len(text) > 12:
        return None
    whole, _dot, frac = text.partition(".")
    if not whole.isdecimal() or (frac and (not frac.isdecimal() or len(frac) > 2)):
        return None
    return int(whole) * 100 + int((frac + "00")[:2])


def _ints(values: list[str], limit: int = 200) -> list[int]:
    return [int(v) for v in values[:limit] if v.isdecimal() and len(v) < 10]


def _context(me: StaffMember, party: Party, bill: Bill, **extra: Any) -> dict[str, Any]:
    split = [n for n in range(2, min(party.seats, MAX_SPLIT) + 1)]
    return {
        "me": me,
        "party": party,
        "bill": bill,
        "methods": PaymentMethod.choices,
        "split": split,
        "nav": "floor",
        **extra,
    }


@staff_page
def bill(request: HttpRequest, me: StaffMember, party_id: int) -> HttpResponse:
    party = _party(me, party_id)
    return render(request, "floor/bill.html", _context(me, party, party_bill(party=party)))


@staff_page
@require_POST
def pay(request: HttpRequest, me: StaffMember, party_id: int) -> HttpResponse:
    """Pay one seat, some items, an even share (``split``), or an amount typed."""
    party = _party(me, party_id)
    current = party_bill(party=party)
    seats = _ints(request.POST.getlist("seat"), 50)
    line_ids = _ints(request.POST.getlist("line"))
    amount = _cents(request.POST.get("amount", ""))
    split = _ints([request.POST.get("split", "")])
    if amount is None and split and split[0] > 0:
        # An even share; the last share takes the cents left over.
        amount = current.due_cents // split[0] or current.due_cents
    if amount is None and seats:
        amount = sum(s.due_cents for s in current.seats if s.seat in seats)
    if amount is None and line_ids:
        amount = sum(x.due_cents for x in current.lines if x.line_id in line_ids)
    try:
        closeout.payment_record(
            staff=me,
            party=party,
            amount_cents=amount or 0,
            method=request.POST.get("method", "")[:10],
            seats=seats,
            line_ids=line_ids,
            tip_cents=_cents(request.POST.get("tip", "")) or 0,
        )
    except DomainError as exc:
        return render(
            request,
            "floor/bill.html",
            _context(me, party, current, error=exc.message),
            status=exc.status,
        )
    messages.success(request, _("Payment received."))
    return redirect("console_floor:bill", party_id=party.pk)


@staff_page
@require_POST
def close(request: HttpRequest, me: StaffMember, party_id: int) -> HttpResponse:
    """Closing the table is two taps: the first shows what is open and due, the second
    (``confirm``) closes — voiding the open lines only when asked, with a reason."""
    party = _party(me, party_id)
    current = party_bill(party=party)
    open_lines = [x for x in current.lines if x.status not in ("served", "cancelled")]
    if request.POST.get("confirm") != "1":
        return render(
            request,
            "floor/close.html",
            _context(me, party, current, open_lines=open_lines),
        )
    try:
        floor_services.party_leave(
            staff=me,
            party=party,
            void_open_lines=request.POST.get("void") == "1",
            reason=request.POST.get("reason", "")[:300],
        )
    except DomainError as exc:
        return render(
            request,
            "floor/close.html",
            _context(me, party, current, open_lines=open_lines, error=exc.message),
            status=exc.status,
        )
    messages.success(request, _("Table closed; the guests' link shows their receipt."))
    return redirect("console_floor:floor")


@staff_page
@require_POST
def fire_next(request: HttpRequest, me: StaffMember, party_id: int) -> HttpResponse:
    """One tap on the floor card: the party's next held course goes to the stations."""
    party = _party(me, party_id)
    try:
        kitchen.party_course_fire(staff=me, party=party, course=request.POST.get("course", "")[:20])
        messages.success(request, _("Course sent to the kitchen."))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("console_floor:floor")

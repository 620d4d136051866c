"""The floor in the console: the host's floor view and order page, the station
boards and the runner's pass. Thin views: parse, call one service, render.

Live pages hold a ``[data-live]`` element: an SSE stream (async view, ASGI)
tells it something changed and it refetches its fragment.
"""

import math
from collections.abc import Callable
from typing import Any

from asgiref.sync import sync_to_async
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from klantstuur.accounts.actors import staff_of
from klantstuur.businesses.models import Role, StaffMember
from klantstuur.businesses.selectors import colleague_for_staff, staff_of_business
from klantstuur.catalog.models import Course, Station
from klantstuur.console.access import staff_page
from klantstuur.core.errors import DomainError, NotFound
from klantstuur.core.pages import is_htmx
from klantstuur.floor import boards, kitchen
from klantstuur.floor import selectors as floor_selectors
from klantstuur.floor import services as floor_services
from klantstuur.floor.bill import party_bill
from klantstuur.floor.menu import lines_from_grid, menu_grid, seat_tabs
from klantstuur.floor.models import Party, PartyStatus, Section, Table
from klantstuur.floor.ordering import party_order_place
from klantstuur.floor.qr import qr_svg
from klantstuur.live.streams import sse
from klantstuur.orders.models import OrderChannel, OrderLine
from klantstuur.orders.selectors import order_for_staff

from . import board_lines


def seat_positions(seats: int) -> list[dict[str, Any]]:
    """Seat 1 at the marked reference (12 o'clock), the others clockwise."""
    out = []
    for n in range(1, seats + 1):
        angle = -math.pi / 2 + 2 * math.pi * (n - 1) / seats
        out.append(
            {
                "n": n,
                "left": round(50 + 38 * math.cos(angle), 1),
                "top": round(50 + 38 * math.sin(angle), 1),
            }
        )
    return out


def _not_found(exc: NotFound) -> Http404:
    return Http404(exc.message)


# --- the host's floor ------------------------------------------------------------------


def _floor_context(request: HttpRequest, me: StaffMember) -> dict[str, Any]:
    only_mine = me.role == Role.HOST and request.GET.get("all") != "1"
    states = floor_selectors.floor_view(staff=me, now=timezone.now(), only_mine=only_mine)
    return {"me": me, "states": states, "only_mine": only_mine, "nav": "floor"}


@staff_page
def floor(request: HttpRequest, me: StaffMember) -> HttpResponse:
    context = _floor_context(request, me)
    free = [s.table for s in context["states"] if s.party is None]
    return render(request, "floor/home.html", {**context, "free_tables": free})


@staff_page
def floor_fragment(request: HttpRequest, me: StaffMember) -> HttpResponse:
    return render(request, "floor/partials/floor.html", _floor_context(request, me))


async def _staff_async(request: HttpRequest) -> StaffMember:
    user = await request.auser()
    member = await sync_to_async(staff_of)(user)  # type: ignore[arg-type]
    if member is None or member.role == Role.CARRIER:
        raise PermissionDenied
    return member


async def floor_stream(request: HttpRequest) -> HttpResponseBase:
    me = await _staff_async(request)
    return sse([f"floor:{me.business_id}"])


@staff_page
@require_POST
def seat(request: HttpRequest, me: StaffMember) -> HttpResponse:
    number = request.POST.get("table", "")[:20]
    raw = request.POST.get("seats", "").strip()
    try:
        table = floor_selectors.table_for_staff(staff=me, number=number)
        seats = int(raw) if raw.isdecimal() and len(raw) < 4 else 0
        party = floor_services.party_seat(
            business=me.business, table=table, seats=seats, actor_staff=me
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("console_floor:floor")
    messages.success(
        request,
        _("Table %(table)s seated; %(owner)s is their host.")
        % {"table": party.table.number, "owner": party.need.owner.name},
    )
    return redirect("console_floor:take_order", party_id=party.pk)


def _party(me: StaffMember, party_id: int) -> Party:
    try:
        return floor_selectors.party_for_staff(staff=me, party_id=party_id)
    except NotFound as exc:
        raise _not_found(exc) from None


@staff_page
def take_order(request: HttpRequest, me: StaffMember, party_id: int) -> HttpResponse:
    """The menu grid: a tab per seat of the party (and shared), steppers, modifiers;
    later courses wait to be fired (``orders.services.courses_held``)."""
    party = _party(me, party_id)
    if party.status == PartyStatus.LEFT:
        raise Http404
    grid = menu_grid(business_id=me.business_id)
    courses = sorted({s.course for s in grid if s.course})
    error = ""
    if request.method == "POST":
        specs = lines_from_grid(request.POST, seats=party.seats)
        hold = [c for c in request.POST.getlist("hold") if c in courses]
        try:
            if not specs:
                raise DomainError(_("Choose at least one dish or drink."))
            party_order_place(
                business=me.business,
                party=party,
                lines=specs,
                channel=OrderChannel.STAFF,
                actor_staff=me,
                hold_courses=hold,
            )
            messages.success(request, _("Order sent to the stations."))
            return redirect("console_floor:floor")
        except DomainError as exc:
            error = exc.message
    return render(
        request,
        "floor/order.html",
        {
            "me": me,
            "party": party,
            "grid": grid,
            "seat_tabs": seat_tabs(party.seats),
            # Each line's course, the item's unless the host picks another.
            "courses": Course.choices,
            "bill": party_bill(party=party),
            "error": error,
            "held": floor_selectors.held_courses(party=party),
            "nav": "floor",
        },
        status=422 if error else 200,
    )


@staff_page
@require_POST
def fire(request: HttpRequest, me: StaffMember, order_id: int) -> HttpResponse:
    try:
        order = order_for_staff(staff=me, order_id=order_id, detail=False)
    except NotFound:
        raise Http404 from None
    try:
        kitchen.course_fire(staff=me, order=order, course=request.POST.get("course", "")[:20])
        messages.success(request, _("Course sent to the kitchen."))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("console_floor:floor")


@staff_page
@require_POST
def host_came(request: HttpRequest, me: StaffMember, party_id: int) -> HttpResponse:
    floor_services.party_host_came(staff=me, party=_party(me, party_id))
    if is_htmx(request):
        return render(request, "floor/partials/floor.html", _floor_context(request, me))
    return redirect("console_floor:floor")


def leave(request: HttpRequest, party_id: int) -> HttpResponse:
    """The old one-tap "paid and left": now the close-out with its confirmation step."""
    from .bill import close

    return close(request, party_id=party_id)


# --- stations -------------------------------------------------------------------------


@staff_page
def stations(request: HttpRequest, me: StaffMember) -> HttpResponse:
    return render(
        request,
        "floor/stations.html",
        {"me": me, "stations": boards.stations_of(business_id=me.business_id), "nav": "stations"},
    )


def _station(me: StaffMember, code: str) -> Station:
    try:
        return boards.station_for_staff(staff=me, code=code)
    except NotFound as exc:
        raise _not_found(exc) from None


def _board_context(me: StaffMember, station: Station, error: str = "") -> dict[str, Any]:
    now = timezone.now()
    tickets = boards.tickets(station=station, now=now)
    recent = boards.recent_bumps(station=station)
    board_lines.dress(code=station.code, tickets=tickets, recent=recent)
    return {
        "me": me,
        "station": station,
        "tickets": tickets,
        "all_day": boards.all_day(tickets),
        "recent": recent,
        "may_bump": kitchen.may_work_station(me, station),
        "error": error,
        "now": now,
        "nav": "stations",
    }


@staff_page
def board(request: HttpRequest, me: StaffMember, code: str) -> HttpResponse:
    return render(request, "floor/board.html", _board_context(me, _station(me, code)))


@staff_page
def board_fragment(request: HttpRequest, me: StaffMember, code: str) -> HttpResponse:
    return render(request, "floor/partials/board.html", _board_context(me, _station(me, code)))


async def board_stream(request: HttpRequest, code: str) -> HttpResponseBase:
    me = await _staff_async(request)
    try:
        station = await sync_to_async(boards.station_for_staff)(staff=me, code=code)
    except NotFound as exc:
        raise _not_found(exc) from None
    return sse([f"station:{station.pk}"])


def _board_after(
    request: HttpRequest, me: StaffMember, station: Station, exc: DomainError | None
) -> HttpResponse:
    if is_htmx(request):
        return render(
            request,
            "floor/partials/board.html",
            _board_context(me, station, exc.message if exc else ""),
            status=exc.status if exc else 200,
        )
    if exc:
        messages.error(request, exc.message)
    return redirect("console_floor:board", code=station.code)


def _line(me: StaffMember, line_id: int) -> OrderLine:
    try:
        return boards.line_for_staff(staff=me, line_id=line_id)
    except NotFound as exc:
        raise _not_found(exc) from None


def _line_step(
    request: HttpRequest, me: StaffMember, line_id: int, step: Callable[..., Any]
) -> HttpResponse:
    """A board action on one line (bump, recall), then the board again."""
    line = _line(me, line_id)
    error = None
    try:
        step(staff=me, line_id=line.pk)
    except DomainError as exc:
        error = exc
    return _board_after(request, me, line.station, error)  # type: ignore[arg-type]


@staff_page
@require_POST
def line_bump(request: HttpRequest, me: StaffMember, line_id: int) -> HttpResponse:
    return _line_step(request, me, line_id, kitchen.line_ready)


@staff_page
@require_POST
def line_start(request: HttpRequest, me: StaffMember, line_id: int) -> HttpResponse:
    return _line_step(request, me, line_id, kitchen.line_start)


@staff_page
@require_POST
def line_recall(request: HttpRequest, me: StaffMember, line_id: int) -> HttpResponse:
    return _line_step(request, me, line_id, kitchen.line_recall)


@staff_page
@require_POST
def ticket_bump(request: HttpRequest, me: StaffMember, code: str, order_id: int) -> HttpResponse:
    station = _station(me, code)
    error = None
    try:
        kitchen.ticket_ready(staff=me, order_id=order_id, station=station)
    except DomainError as exc:
        error = exc
    return _board_after(request, me, station, error)


# --- the pass: runners --------------------------------------------------------------------


def _runner_context(
    me: StaffMember, error: str = "", error_line: int | None = None, typed_table: str = ""
) -> dict[str, Any]:
    """The pass as one ticket per table, the table with the oldest plate first."""
    tickets: dict[str, dict[str, Any]] = {}
    for plate in boards.runner_lines(staff=me):
        table: Table = plate.order.party.table  # type: ignore[union-attr]
        plate.seat_map = seat_positions(table.seats)  # type: ignore[attr-defined]
        ticket = tickets.setdefault(
            table.number,
            {
                "table": table.number,
                "reference": table.seat_reference,
                "owner": plate.order.need.owner.name,
                "plates": [],
                "seated": 0,
            },
        )
        ticket["plates"].append(plate)
        ticket["seated"] += plate.seat is not None
    return {
        "me": me,
        "tickets": list(tickets.values()),
        "error": error,
        "error_line": error_line,
        # What the runner typed survives a refusal: they correct it, not retype it.
        "typed_table": typed_table,
        "now": timezone.now(),
        "nav": "runner",
    }


@staff_page
def runner(request: HttpRequest, me: StaffMember) -> HttpResponse:
    return render(request, "floor/runner.html", _runner_context(me))


@staff_page
def runner_fragment(request: HttpRequest, me: StaffMember) -> HttpResponse:
    return render(request, "floor/partials/runner.html", _runner_context(me))


async def runner_stream(request: HttpRequest) -> HttpResponseBase:
    me = await _staff_async(request)
    return sse([f"runner:{me.business_id}"])


def _runner_after(
    request: HttpRequest, me: StaffMember, exc: DomainError | None, line_id: int
) -> HttpResponse:
    if is_htmx(request):
        return render(
            request,
            "floor/partials/runner.html",
            _runner_context(
                me,
                exc.message if exc else "",
                line_id if exc else None,
                request.POST.get("table", "")[:20] if exc else "",
            ),
            status=exc.status if exc else 200,
        )
    if exc:
        messages.error(request, exc.message)
    return redirect("console_floor:runner")


@staff_page
@require_POST
def pick_up(request: HttpRequest, me: StaffMember, line_id: int) -> HttpResponse:
    line = _line(me, line_id)
    error = None
    try:
        kitchen.line_pick_up(staff=me, line_id=line.pk)
    except DomainError as exc:
        error = exc
    return _runner_after(request, me, error, line.pk)


@staff_page
@require_POST
def deliver(request: HttpRequest, me: StaffMember, line_id: int) -> HttpResponse:
    """Confirm the table (typed, or the QR code scanned) and tap the seat."""
    line = _line(me, line_id)
    seat_raw = request.POST.get("seat", "").strip()
    error = None
    try:
        kitchen.line_deliver_or_refuse(
            staff=me,
            line_id=line.pk,
            table=request.POST.get("table", "")[:20] or None,
            qr=request.POST.get("qr", "")[:64] or None,
            seat=int(seat_raw) if seat_raw.isdecimal() and len(seat_raw) < 4 else None,
        )
    except DomainError as exc:
        error = exc
    return _runner_after(request, me, error, line.pk)


@staff_page
@require_POST
def serve_table(request: HttpRequest, me: StaffMember) -> HttpResponse:
    """The runner at one table serves every plate of it on the pass, each at its seat."""
    error = None
    try:
        kitchen.table_serve_all(staff=me, table=request.POST.get("table", "")[:20])
    except DomainError as exc:
        if exc.status == 403:
            raise PermissionDenied from None
        error = exc
    if is_htmx(request):
        return render(
            request,
            "floor/partials/runner.html",
            _runner_context(me, error.message if error else ""),
            status=error.status if error else 200,
        )
    if error:
        messages.error(request, error.message)
    return redirect("console_floor:runner")


# --- the shift and the printed QR codes (managers and leads) ---------------------------------


def _require_shift_role(me: StaffMember) -> None:
    if me.role not in floor_services.SHIFT_ROLES:
        raise PermissionDenied


def _shift_section(me: StaffMember, raw: str) -> Section:
    if not (raw.isdecimal() and len(raw) < 12):
        raise NotFound(_("No such section."))
    return floor_selectors.section_for_staff(staff=me, section_id=int(raw))


def _shift_host(me: StaffMember, raw: str) -> StaffMember:
    """Not a colleague: the form's error (400), as for any refused choice."""
    try:
        if not (raw.isdecimal() and len(raw) < 12):
            raise NotFound(_("No such colleague."))
        return colleague_for_staff(staff=me, colleague_id=int(raw))
    except NotFound:
        raise DomainError(_("No such colleague.")) from None


@staff_page
def shift(request: HttpRequest, me: StaffMember) -> HttpResponse:
    """Who hosts which section this shift (the host owns the needs of new parties there)."""
    _require_shift_role(me)
    error = ""
    status = 200
    if request.method == "POST":
        section_raw = request.POST.get("section", "")
        host_raw = request.POST.get("host", "")
        try:
            section = _shift_section(me, section_raw)
            host = _shift_host(me, host_raw)
            floor_services.section_assign_host(actor=me, section=section, host=host)
            messages.success(
                request,
                _("%(host)s hosts %(section)s this shift.")
                % {"host": host.name, "section": section.name},
            )
            return redirect("console_floor:shift")
        except DomainError as exc:
            error, status = exc.message, exc.status
    sections = list(floor_selectors.sections_of(business_id=me.business_id))
    hosts = [s for s in staff_of_business(business_id=me.business_id) if s.may_own_needs]
    return render(
        request,
        "floor/shift.html",
        {"me": me, "sections": sections, "hosts": hosts, "error": error, "nav": "shift"},
        status=status,
    )


@staff_page
def qr_codes(request: HttpRequest, me: StaffMember) -> HttpResponse:
    """Every table's QR code, to print: it opens the table's check-in page."""
    _require_shift_role(me)
    tables = list(floor_selectors.tables_to_print(business_id=me.business_id))
    cards = []
    for table in tables:
        url = request.build_absolute_uri(reverse("portal_guest:check_in", args=[table.qr_token]))
        cards.append({"table": table, "url": url, "svg": qr_svg(url)})
    return render(request, "floor/qr_codes.html", {"me": me, "cards": cards, "nav": "qr"})


@staff_page
def guest_link(request: HttpRequest, me: StaffMember, party_id: int) -> HttpResponse:
    """The host shows the party's guest link at the table (a second phone scans it)."""
    party = _party(me, party_id)
    if party.status == PartyStatus.LEFT:
        raise Http404
    url = request.build_absolute_uri(reverse("portal_guest:party", args=[party.guest_token]))
    return render(
        request,
        "floor/guest_link.html",
        {"me": me, "party": party, "url": url, "svg": qr_svg(url, scale=6), "nav": "floor"},
    )

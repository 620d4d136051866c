"""From the station to the seat: fire, start, bump, recall, pick up, deliver (R2, R13).

Each step locks the line, checks the actor's authority and the transition
table (``LINE_TRANSITIONS``), changes the line and records its checkpoint in
the same transaction. A delivery to the wrong table or seat is refused; the
refusal itself is recorded (checkpoint ``wrong_delivery_prevented``, or
``wrong_seat_prevented`` at the right table, plus an
alert to the owner) in its own committed transaction before the 409.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from klantstuur.businesses.models import Role, StaffMember
from klantstuur.catalog.models import Station, course_rank
from klantstuur.core.errors import Conflict, Invalid, NotAllowed, NotFound
from klantstuur.needs.journal import record
from klantstuur.orders.checkpoints import checkpoint_record
from klantstuur.orders.models import (
    AT_THE_PASS,
    FULFILLABLE_ORDERS,
    LINE_TRANSITIONS,
    OPEN_AT_STATION,
    UNSERVED,
    LineStatus,
    Order,
    OrderLine,
    OrderStatus,
)
from klantstuur.orders.promises import promise_lines

from . import events
from .models import AT_TABLE, Party, Table

# Who may work a station's lines without being one of its members.
ALL_STATIONS_ROLES = (Role.MANAGER, Role.LEAD)
# Who may carry plates to tables.
FLOOR_ROLES = (Role.RUNNER, Role.HOST, Role.MANAGER, Role.LEAD, Role.KITCHEN)


def _locked_lines() -> QuerySet[OrderLine]:
    return OrderLine.objects.select_for_update(of=("self",)).select_related(
        "order__need__owner", "order__party__table", "station", "item"
    )


def _lock_line(staff: StaffMember, line_id: int) -> OrderLine:
    line = _locked_lines().filter(pk=line_id, business_id=staff.business_id).first()
    if line is None:
        raise NotFound(_("No such order line."))
    return line


def _require_step(line: OrderLine, new: str) -> None:
    if (line.status, new) not in LINE_TRANSITIONS:
        raise Conflict(
            _("This line is %(status)s; that step is not possible now.")
            % {"status": line.get_status_display()},
            status=line.status,
        )


def may_work_station(staff: StaffMember, station: Station | None) -> bool:
    if station is None:
        return False
    if station.business_id != staff.business_id:
        return False
    if staff.role in ALL_STATIONS_ROLES:
        return True
    return station.members.filter(pk=staff.pk).exists()


def _require_station(staff: StaffMember, line: OrderLine) -> None:
    if not may_work_station(staff, line.station):
        raise NotAllowed(
            _("This line is made at %(station)s; only its crew may bump it.")
            % {"station": line.station.name if line.station else "-"},
            station=line.station.code if line.station else None,
        )


def _set(line: OrderLine, **fields: Any) -> None:
    OrderLine.objects.filter(pk=line.pk).update(**fields)
    for key, value in fields.items():
        setattr(line, key, value)


def _order_fulfilled_if_done(order: Order, now: datetime) -> None:
    if not OrderLine.objects.filter(order=order, status__in=UNSERVED).exists():
        Order.objects.filter(pk=order.pk, status__in=FULFILLABLE_ORDERS).update(
            status=OrderStatus.FULFILLED, updated_at=now
        )


# --- courses ---------------------------------------------------------------------


def _fire(
    *, staff: StaffMember, order: Order, course: str, lines: list[OrderLine], now: datetime
) -> None:
    """Send held lines of one order's course to their stations, with promises."""
    promises = promise_lines([(x.item, x.quantity, False) for x in lines], now)
    for line, promise in zip(lines, promises, strict=True):
        _set(
            line,
            status=LineStatus.RECEIVED,
            fired_at=now,
            promised_at=promise,
            first_promised_at=promise,
        )
    latest = max((p for p in promises if p), default=None)
    if latest and (order.promised_at is None or order.promised_at < latest):
        Order.objects.filter(pk=order.pk).update(promised_at=latest, updated_at=now)
    checkpoint_record(
        order=order,
        code="course_fired",
        actor_staff=staff,
        at=now,
        note=course,
        data=events.course_fired_detail(order, course=course, lines=lines),
    )


@transaction.atomic
def course_fire(*, staff: StaffMember, order: Order, course: str) -> list[OrderLine]:
    """Send a held course (the mains, after the drinks) to the stations, with promises;
    no course named: the order's next held one."""
    if order.business_id != staff.business_id:
        raise NotFound(_("No such order."))
    course = (course or "").strip()
    held = list(_locked_lines().filter(order=order, status=LineStatus.HELD).order_by("id"))
    if not course and held:
        course = min((x.course for x in held), key=course_rank)  # the next one
    lines = [x for x in held if x.course == course]
    if not lines:
        raise Conflict(_("Nothing of this course is waiting."), field="course")
    _fire(staff=staff, order=order, course=course, lines=lines, now=timezone.now())
    return lines


@transaction.atomic
def party_course_fire(*, staff: StaffMember, party: Party, course: str = "") -> list[OrderLine]:
    """One tap on the floor card: fire the party's next held course (or the one named),
    in every order of the party."""
    if party.business_id != staff.business_id:
        raise NotFound(_("No such party."))
    lines = _fire_party(staff=staff, party_id=party.pk, course=course, now=timezone.now())
    if not lines:
        raise Conflict(_("Nothing of this course is waiting."), field="course")
    return lines


def _fire_party(
    *, staff: StaffMember, party_id: int, course: str, now: datetime
) -> list[OrderLine]:
    held = list(
        _locked_lines().filter(order__party_id=party_id, status=LineStatus.HELD).order_by("id")
    )
    if not course and held:
        course = min((x.course for x in held), key=course_rank)
    lines = [x for x in held if x.course == course]
    by_order: dict[int, list[OrderLine]] = {}
    for line in lines:
        by_order.setdefault(line.order_id, []).append(line)
    for group in by_order.values():
        _fire(staff=staff, order=group[0].order, course=course, lines=group, now=now)
    return lines


def _auto_fire_after_serving(staff: StaffMember, party: Party, now: datetime) -> None:
    """The business's choice: once every fired plate is served, the next course goes."""
    from .ordering import auto_fire

    if not auto_fire(business_id=party.business_id):
        return
    unserved = OrderLine.objects.filter(order__party_id=party.pk, status__in=UNSERVED).exclude(
        status=LineStatus.HELD
    )
    if any(course_rank(c) > 0 for c in unserved.values_list("course", flat=True)):
        return
    _fire_party(staff=staff, party_id=party.pk, course="", now=now)


# --- at the station ----------------------------------------------------------------


def _station_step(
    staff: StaffMember, line: OrderLine, *, to: str, code: str, now: datetime, **fields: Any
) -> None:
    """One step at the station: allowed for this station and this status, and its checkpoint."""
    _require_station(staff, line)
    _require_step(line, to)
    _set(line, status=to, **fields)
    checkpoint_record(
        order=line.order,
        line=line,
        code=code,
        actor_staff=staff,
        at=now,
        data=events.line_detail(line),
    )


@transaction.atomic
def line_start(*, staff: StaffMember, line_id: int) -> OrderLine:
    line = _lock_line(staff, line_id)
    now = timezone.now()
    _station_step(
        staff, line, to=LineStatus.IN_PROGRESS, code="line_in_progress", now=now, started_at=now
    )
    return line


def _bump(staff: StaffMember, line: OrderLine, now: datetime) -> None:
    _station_step(staff, line, to=LineStatus.READY, code="line_ready", now=now, ready_at=now)


@transaction.atomic
def line_ready(*, staff: StaffMember, line_id: int) -> OrderLine:
    """The kitchen bump: the plate is on the pass."""
    line = _lock_line(staff, line_id)
    _bump(staff, line, timezone.now())
    return line


@transaction.atomic
def ticket_ready(*, staff: StaffMember, order_id: int, station: Station) -> list[OrderLine]:
    """Bump a whole ticket: every open line of one order at one station."""
    if station.business_id != staff.business_id:
        raise NotFound(_("No such station."))
    lines = list(
        _locked_lines()
        .filter(
            order_id=order_id,
            business_id=staff.business_id,
            station=station,
            status__in=OPEN_AT_STATION,
        )
        .order_by("id")
    )
    if not lines:
        raise NotFound(_("No open lines of this order at this station."))
    now = timezone.now()
    for line in lines:
        _bump(staff, line, now)
    return lines


@transaction.atomic
def line_recall(*, staff: StaffMember, line_id: int) -> OrderLine:
    """Undo a bump: the plate goes back on the board."""
    line = _lock_line(staff, line_id)
    _station_step(
        staff, line, to=LineStatus.RECEIVED, code="line_recalled", now=timezone.now(), ready_at=None
    )
    return line


# --- to the table -------------------------------------------------------------------


def _require_floor(staff: StaffMember) -> None:
    if staff.role not in FLOOR_ROLES:
        raise NotAllowed(_("Only the floor team carries plates."))


@transaction.atomic
def line_pick_up(*, staff: StaffMember, line_id: int) -> OrderLine:
    """The runner takes the plate from the pass: the guest sees it is on its way."""
    line = _lock_line(staff, line_id)
    _require_floor(staff)
    _require_step(line, LineStatus.ON_ITS_WAY)
    now = timezone.now()
    _set(line, status=LineStatus.ON_ITS_WAY)
    checkpoint_record(
        order=line.order,
        line=line,
        code="line_on_its_way",
        actor_staff=staff,
        at=now,
        data=events.line_detail(line, runner=staff.name),
    )
    return line


@dataclass(frozen=True)
class DeliveryResult:
    line: OrderLine
    prevented: bool
    reason: str = ""
    field: str = ""


def _resolve_table(staff: StaffMember, table: str | None, qr: str | None) -> Table:
    if qr:
        found = Table.objects.filter(qr_token=qr, business_id=staff.business_id).first()
        if found is None:
            raise Invalid(_("This QR code is not one of our tables."), field="qr")
        return found
    number = (table or "").strip()
    if not number:
        raise Invalid(_("Confirm the table (tap it, or scan its QR code)."), field="table")
    found = Table.objects.filter(number=number, business_id=staff.business_id).first()
    if found is None:
        raise Invalid(_("No table %(n)s here.") % {"n": number[:20]}, field="table")
    return found


def line_deliver(
    *,
    staff: StaffMember,
    line_id: int,
    table: str | None = None,
    seat: int | None = None,
    qr: str | None = None,
) -> DeliveryResult:
    """Serve a plate after confirming table and seat; a mismatch is refused and recorded."""
    with transaction.atomic():
        line = _lock_line(staff, line_id)
        _require_floor(staff)
        target = _resolve_table(staff, table, qr)
        if seat is not None and not 1 <= seat <= target.seats:
            raise Invalid(
                _("Table %(table)s has seats 1 to %(n)d.")
                % {"table": target.number, "n": target.seats},
                field="seat",
            )
        _require_step(line, LineStatus.SERVED)
        party: Party | None = line.order.party
        if party is None:
            raise Conflict(_("This line is not for a table."))
        now = timezone.now()
        reason, field = _mismatch(line, party, target, seat)
        if reason:
            _refusal_record(
                staff, line, target=target, seat=seat, reason=reason, wrong=field, now=now
            )
            return DeliveryResult(line=line, prevented=True, reason=reason, field=field)
        _serve(staff, line, now)
    return DeliveryResult(line=line, prevented=False)


def _serve(staff: StaffMember, line: OrderLine, now: datetime) -> None:
    """At the table, at the seat: the checkpoint, the order done, the next course maybe."""
    party = line.order.party
    assert party is not None
    # Served straight from the pass: the board's "last bumps" still lists it.
    on_board = line.status == LineStatus.READY
    _set(line, status=LineStatus.SERVED, served_at=now)
    checkpoint_record(
        order=line.order,
        line=line,
        code="line_served",
        actor_staff=staff,
        at=now,
        location=_("table %(table)s") % {"table": party.table.number},
        data=events.line_detail(line, runner=staff.name, station_screen=on_board),
    )
    _order_fulfilled_if_done(line.order, now)
    _auto_fire_after_serving(staff, party, now)


def _mismatch(line: OrderLine, party: Party, target: Table, seat: int | None) -> tuple[str, str]:
    """Why this plate must not be served here (and the field that is wrong), or nothing."""
    if target.pk != party.table_id:
        reason = _("This plate is for table %(right)s, not %(wrong)s.") % {
            "right": party.table.number,
            "wrong": target.number,
        }
        return reason, "table"
    if seat is not None and line.seat is not None and seat != line.seat:
        reason = _("This plate is for seat %(right)d, not seat %(wrong)d.") % {
            "right": line.seat,
            "wrong": seat,
        }
        return reason, "seat"
    return "", ""


def _refusal_record(
    staff: StaffMember,
    line: OrderLine,
    *,
    target: Table,
    seat: int | None,
    reason: str,
    wrong: str,
    now: datetime,
) -> None:
    """A prevented wrong delivery — at another table, or at the right table for another
    seat (``wrong``) —: its checkpoint, and an alert to the owner."""
    checkpoint_record(
        order=line.order,
        line=line,
        code="wrong_seat_prevented" if wrong == "seat" else "wrong_delivery_prevented",
        actor_staff=staff,
        at=now,
        note=reason,
        data=events.wrong_delivery_detail(
            line, tried_table=target.number, tried_seat=seat, runner=staff.name, message=reason
        ),
    )
    # The owner is told (their floor view and console show the alert).
    record(
        events.wrong_delivery_prevented(
            line, tried_table=target.number, tried_seat=seat, runner=staff.name, message=reason
        ),
        need=line.order.need,
        actor_staff=staff,
        at=now,
    )


@transaction.atomic
def table_serve_all(*, staff: StaffMember, table: str) -> list[OrderLine]:
    """The runner confirms the table once and serves every plate of its party on the pass,
    each at the seat on its line (plates without a seat stay for a single serve)."""
    _require_floor(staff)
    target = _resolve_table(staff, table, None)
    lines = list(
        _locked_lines()
        .filter(
            business_id=staff.business_id,
            order__party__table=target,
            order__party__status__in=AT_TABLE,
            status__in=AT_THE_PASS,
            seat__isnull=False,
        )
        .order_by("id")
    )
    if not lines:
        raise Conflict(_("Nothing on the pass for table %(n)s.") % {"n": target.number})
    now = timezone.now()
    for line in lines:
        _serve(staff, line, now)
    return lines


def line_deliver_or_refuse(**kwargs: Any) -> OrderLine:
    """``line_deliver`` for interfaces: a prevented wrong delivery becomes a 409."""
    result = line_deliver(**kwargs)
    if result.prevented:
        raise Conflict(
            result.reason,
            field=result.field,
            prevented=True,
            right={"table": _table_of(result.line), "seat": result.line.seat},
        )
    return result.line


def _table_of(line: OrderLine) -> str | None:
    party = line.order.party
    return party.table.number if party else None

"""Placing orders. Atomic, journaled (DESIGN.md §3); checkpoints are recorded by
``checkpoints``, a delivery choice is handed to ``fulfilment``."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from klantstuur.businesses.models import Business, StaffMember
from klantstuur.catalog.models import CatalogItem, Course, course_rank, split_list
from klantstuur.core.errors import Conflict, Invalid
from klantstuur.customers.models import Customer
from klantstuur.needs.journal import record
from klantstuur.needs.models import Need
from klantstuur.needs.services import need_open

from . import events, fulfilment
from .checkpoints import checkpoint_record
from .models import LineStatus, Order, OrderChannel, OrderLine
from .promises import promise_lines

MAX_LINES = 100
MAX_QUANTITY = 99


@dataclass(frozen=True)
class LineSpec:
    item_id: int
    quantity: int = 1
    seat: int | None = None
    note: str = ""
    allergies: str = ""
    # Chosen from the item's modifiers ("zonder suiker"); comma-separated.
    modifiers: str = ""
    # The line's course when it is not the item's (a starter served as a main).
    course: str | None = None


@dataclass(frozen=True)
class AtTable:
    """What an order for a party at a table needs of the party.

    The floor fills it in from the party it has locked (``floor.ordering``):
    orders sit below the floor and never import it.
    """

    party_id: int
    # The party's evening, which the order serves.
    need: Need
    customer: Customer | None
    # The table's number, and the party's seat positions 1..seats.
    table: str
    seats: int
    # The business fires the next course by itself once the ones before it are served.
    auto_fire: bool = False


# A cleaned line: what was asked, and the catalog item it asks for.
Cleaned = list[tuple[LineSpec, CatalogItem]]


def _clean_lines(business: Business, specs: list[LineSpec], at_table: AtTable | None) -> Cleaned:
    if not specs:
        raise Invalid(_("An order needs at least one line."), field="lines")
    if len(specs) > MAX_LINES:
        raise Invalid(_("At most %(n)d lines.") % {"n": MAX_LINES}, field="lines")
    ids = {s.item_id for s in specs}
    items = {
        i.pk: i
        for i in CatalogItem.objects.filter(
            pk__in=ids, business=business, active=True
        ).select_related("station")
    }
    out = []
    for n, spec in enumerate(specs):
        field = f"lines.{n}"
        item = items.get(spec.item_id)
        if item is None:
            raise Invalid(_("No such item in the catalog."), field=f"{field}.item")
        if not 1 <= spec.quantity <= MAX_QUANTITY:
            raise Invalid(
                _("Between 1 and %(n)d.") % {"n": MAX_QUANTITY}, field=f"{field}.quantity"
            )
        if spec.seat is not None:
            if at_table is None:
                raise Invalid(_("Seats exist only at a table."), field=f"{field}.seat")
            if not 1 <= spec.seat <= at_table.seats:
                raise Invalid(
                    _("Table %(table)s has seats 1 to %(n)d.")
                    % {"table": at_table.table, "n": at_table.seats},
                    field=f"{field}.seat",
                )
        if len(spec.note) > 500:
            raise Invalid(_("At most %(n)d characters.") % {"n": 500}, field=f"{field}.note")
        if len(spec.allergies) > 300:
            raise Invalid(_("At most %(n)d characters.") % {"n": 300}, field=f"{field}.allergies")
        _check_choices(spec, item, field)
        out.append((spec, item))
    return out


def _check_choices(spec: LineSpec, item: CatalogItem, field: str) -> None:
    """Modifiers only from the item's own; a course only from the list."""
    offered = set(split_list(item.modifiers))
    for chosen in split_list(spec.modifiers):
        if chosen not in offered:
            raise Invalid(
                _("%(item)s can be ordered with: %(choices)s.")
                % {"item": item.name, "choices": ", ".join(sorted(offered)) or "-"},
                field=f"{field}.modifiers",
            )
    if spec.course is not None and spec.course not in Course.values:
        raise Invalid(
            _("A course is one of: %(c)s.") % {"c": ", ".join(Course.values)},
            field=f"{field}.course",
        )


def line_course(spec: LineSpec, item: CatalogItem) -> str:
    return spec.course if spec.course is not None else item.course


def courses_held(
    ranks: list[int], at_table: AtTable | None, hold: set[str], courses: list[str]
) -> list[bool]:
    """Which new lines wait for their course (``held``), and which go to the stations now.

    Drinks (rank 0) always go. The party's current course is the latest one fired
    for it (or, before any, the first course of this order or of what is held); a
    line of a later course is held until it is fired — on the floor card, by the
    guest's phone order alike. With ``auto_fire``, when every fired plate is served
    and nothing earlier waits, the next course goes at once. ``hold`` holds a
    course by name on top of that (the host's "hold the mains").
    """
    party = _party_courses(at_table)
    food_new = [r for r in ranks if r > 0]
    current = max(party.fired) if party.fired else min(food_new + party.held, default=0)
    if at_table is not None and at_table.auto_fire and not party.unserved and not party.held:
        later = [r for r in food_new if r > current]
        if later and party.fired:
            current = min(later)
    return [
        (at_table is not None and rank > current) or (bool(course) and course in hold)
        for rank, course in zip(ranks, courses, strict=True)
    ]


@dataclass
class _PartyCourses:
    fired: list[int]
    unserved: list[int]
    held: list[int]


def _party_courses(at_table: AtTable | None) -> _PartyCourses:
    """The course ranks of the party's food lines so far: fired, fired and not served, held."""
    out = _PartyCourses(fired=[], unserved=[], held=[])
    if at_table is None:
        return out
    rows = (
        OrderLine.objects.filter(order__party_id=at_table.party_id)
        .exclude(status=LineStatus.CANCELLED)
        .values_list("course", "status")
    )
    for course, status in rows:
        rank = course_rank(course)
        if rank == 0:
            continue
        if status == LineStatus.HELD:
            out.held.append(rank)
            continue
        out.fired.append(rank)
        if status != LineStatus.SERVED:
            out.unserved.append(rank)
    return out


def default_promise(lines: Cleaned, now: datetime) -> datetime | None:
    """Longest preparation time of the order; the floor refines this with station load."""
    minutes = max((item.prep_minutes for _spec, item in lines), default=0)
    return now + timedelta(minutes=minutes) if minutes else None


def _check_request(
    *,
    business: Business,
    channel: str,
    customer: Customer | None,
    at_table: AtTable | None,
    external_ref: str,
) -> str:
    """Refuse what no order can be; the shop's reference, cleaned."""
    if channel not in OrderChannel.values:
        raise Invalid(_("Unknown channel."), field="channel")
    if (at_table is None) == (customer is None):
        raise Invalid(_("Give a party or a customer, not both."), field="party_id")
    if customer is not None and customer.business_id != business.pk:
        raise Invalid(_("No such customer."), field="customer_id")
    external_ref = (external_ref or "").strip()
    if len(external_ref) > 100:
        raise Invalid(_("At most %(n)d characters.") % {"n": 100}, field="external_ref")
    return external_ref


def _need_open(*, customer: Customer, cleaned: Cleaned, actor_staff: StaffMember | None) -> Need:
    """A customer's order is its own need, with an owner at once."""
    summary = ", ".join(f"{spec.quantity}× {item.name}" for spec, item in cleaned)
    return need_open(
        customer=customer,
        kind="order",
        summary=(_("Order: %(lines)s") % {"lines": summary})[:300],
        opened_by_staff=actor_staff,
    )


def _promises(
    cleaned: Cleaned, held: list[bool], promised_at: datetime | None, now: datetime
) -> tuple[list[datetime | None], datetime | None]:
    """Each line's promise (none while held) and the order's: a given time wins."""
    line_promises = promise_lines(
        [(item, spec.quantity, h) for (spec, item), h in zip(cleaned, held, strict=True)], now
    )
    if promised_at is not None:
        line_promises = [None if h else promised_at for h in held]
    station_promises = [p for p in line_promises if p is not None]
    promise = promised_at or (
        max(station_promises) if station_promises else default_promise(cleaned, now)
    )
    return line_promises, promise


def _order_create(
    *,
    business: Business,
    need: Need,
    customer: Customer | None,
    party_id: int | None,
    channel: str,
    actor_staff: StaffMember | None,
    now: datetime,
    promise: datetime | None,
    total: int,
    external_ref: str,
) -> Order:
    """The order row; a shop reference seen before is a 409 naming the existing order."""
    try:
        with transaction.atomic():
            return Order.objects.create(
                business=business,
                need=need,
                customer=customer,
                party_id=party_id,
                channel=channel,
                created_by=actor_staff,
                created_at=now,
                updated_at=now,
                promised_at=promise,
                total_cents=total,
                external_ref=external_ref,
            )
    except IntegrityError:
        found = Order.objects.filter(business=business, external_ref=external_ref).first()
        raise Conflict(
            _("An order with this reference already exists."),
            field="external_ref",
            existing_id=found.pk if found else None,
        ) from None


def _lines_create(
    order: Order,
    cleaned: Cleaned,
    held: list[bool],
    line_promises: list[datetime | None],
    promise: datetime | None,
    now: datetime,
) -> None:
    """The lines: held ones wait for their course, the others are on their station's board."""
    OrderLine.objects.bulk_create(
        [
            OrderLine(
                order=order,
                business=order.business,
                item=item,
                quantity=spec.quantity,
                seat=spec.seat,
                note=spec.note.strip(),
                allergies=spec.allergies.strip(),
                modifiers=", ".join(split_list(spec.modifiers)),
                course=line_course(spec, item),
                station=item.station,
                price_cents=item.price_cents,
                status=LineStatus.HELD if is_held else LineStatus.RECEIVED,
                created_at=now,
                fired_at=None if is_held else now,
                promised_at=None if is_held else (line_promise or promise),
                first_promised_at=None if is_held else (line_promise or promise),
            )
            for (spec, item), is_held, line_promise in zip(
                cleaned, held, line_promises, strict=True
            )
        ]
    )


def _placed_record(
    order: Order,
    cleaned: Cleaned,
    held_courses: set[str],
    *,
    actor_staff: StaffMember | None,
    actor_customer: Customer | None,
    now: datetime,
) -> None:
    """The journal's ``order_placed`` and the first checkpoint, ``order_received``."""
    order_placed_record(
        order,
        lines=[
            {"item": item.name, "quantity": spec.quantity, "seat": spec.seat}
            for spec, item in cleaned
        ],
        station_ids=sorted({item.station_id for _s, item in cleaned if item.station_id}),
        held=sorted(held_courses & {line_course(s, item) for s, item in cleaned}),
        actor_staff=actor_staff,
        actor_customer=actor_customer,
        now=now,
    )


def order_placed_record(
    order: Order,
    *,
    lines: list[events.PlacedLine],
    station_ids: list[int],
    held: list[str],
    actor_staff: StaffMember | None,
    actor_customer: Customer | None,
    now: datetime,
    exchange_for: events.ExchangeFor | None = None,
) -> None:
    """How every order's placing is journaled, on its need: ``order_placed`` and the
    first checkpoint, ``order_received`` (a taken order and an exchange order alike)."""
    placed = events.order_placed(
        order=order, lines=lines, station_ids=station_ids, held=held, exchange_for=exchange_for
    )
    record(placed, need=order.need, actor_staff=actor_staff, actor_customer=actor_customer, at=now)
    checkpoint_record(
        order=order,
        code="order_received",
        actor_staff=actor_staff,
        actor_customer=actor_customer,
        at=now,
        data=events.placed_detail(order, list(station_ids)),
    )


@transaction.atomic
def order_place(
    *,
    business: Business,
    lines: list[LineSpec],
    channel: str,
    customer: Customer | None = None,
    at_table: AtTable | None = None,
    actor_staff: StaffMember | None = None,
    actor_customer: Customer | None = None,
    delivery: dict[str, Any] | None = None,
    external_ref: str = "",
    promised_at: datetime | None = None,
    hold_courses: list[str] | None = None,
) -> Order:
    """Take an order for a party at a table or for a customer.

    A party's orders serve the party's need (owned by the section's host; the
    floor's ``party_order_place`` locks the party and calls this); a
    customer's order opens a need of kind ``order`` with an owner at once.
    Lines of a course in ``hold_courses`` wait (status ``held``) until the
    course is fired; the others go to their station's board at once with a
    promise from the station's load (see ``promises``).
    """
    external_ref = _check_request(
        business=business,
        channel=channel,
        customer=customer,
        at_table=at_table,
        external_ref=external_ref,
    )
    cleaned = _clean_lines(business, lines, at_table)
    now = timezone.now()
    if at_table is not None:
        need, customer = at_table.need, at_table.customer
    else:
        assert customer is not None
        need = _need_open(customer=customer, cleaned=cleaned, actor_staff=actor_staff)
    held_courses = {c.strip() for c in (hold_courses or []) if c.strip()}
    held = courses_held(
        [course_rank(line_course(spec, item)) for spec, item in cleaned],
        at_table,
        held_courses,
        [line_course(spec, item) for spec, item in cleaned],
    )
    held_courses |= {
        line_course(spec, item) for (spec, item), h in zip(cleaned, held, strict=True) if h
    }
    line_promises, promise = _promises(cleaned, held, promised_at, now)
    order = _order_create(
        business=business,
        need=need,
        customer=customer,
        party_id=at_table.party_id if at_table else None,
        channel=channel,
        actor_staff=actor_staff,
        now=now,
        promise=promise,
        total=sum(item.price_cents * spec.quantity for spec, item in cleaned),
        external_ref=external_ref,
    )
    _lines_create(order, cleaned, held, line_promises, promise, now)
    if promise is not None and (need.promise_due_at is None or need.promise_due_at < promise):
        Need.objects.filter(pk=need.pk).update(promise_due_at=promise, updated_at=now)
    _placed_record(
        order,
        cleaned,
        held_courses,
        actor_staff=actor_staff,
        actor_customer=actor_customer,
        now=now,
    )
    if delivery is not None:
        fulfilment.order_placed_with_choice(
            order=order, choice=delivery, actor_staff=actor_staff, actor_customer=actor_customer
        )
    order.refresh_from_db()
    return order

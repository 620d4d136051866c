"""Reads of the floor, through access gates: another business's party is 404,
and a guest link opens only its own party while the party is at the table."""

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import F, Prefetch, QuerySet, Sum
from django.utils.translation import gettext as _

from klantstuur.businesses.models import StaffMember
from klantstuur.catalog.models import course_label, course_rank
from klantstuur.core.errors import NotFound
from klantstuur.needs.models import EventKind, JournalEvent
from klantstuur.orders.models import UNSERVED, LineStatus, Order, OrderLine

from .models import Party, PartyStatus, Payment, Section, Table

MAX_TOKEN = 64


def party_for_staff(*, staff: StaffMember, party_id: int) -> Party:
    party = (
        Party.objects.select_related("table__section", "need__owner", "customer")
        .filter(pk=party_id, business_id=staff.business_id)
        .first()
    )
    if party is None:
        raise NotFound(_("No such party."))
    return party


def party_for_guest(*, token: str) -> Party:
    """The guest link: unguessable, and dead once the party has paid and left."""
    if not token or len(token) > MAX_TOKEN:
        raise NotFound(_("This guest link does not work (any more)."))
    party = (
        _seated(token)
        .select_related("table__section", "need__owner", "need__customer", "business")
        .first()
    )
    if party is None:
        raise NotFound(_("This guest link does not work (any more)."))
    return party


def party_for_guest_link(*, token: str) -> Party:
    """The guest link also after the party has left: its receipt, a thank-you and the
    ratings (read-only; ordering, calling and the API are for guests at the table)."""
    if not token or len(token) > MAX_TOKEN:
        raise NotFound(_("This guest link does not work (any more)."))
    party = (
        Party.objects.filter(guest_token=token)
        .select_related("table__section", "need__owner", "need__customer", "business")
        .first()
    )
    if party is None:
        raise NotFound(_("This guest link does not work (any more)."))
    return party


def party_id_for_guest(*, token: str) -> int | None:
    """Only the id of the guest link's party (which retries an Idempotency-Key is for)."""
    if not token or len(token) > MAX_TOKEN:
        return None
    party_id: int | None = _seated(token).values_list("pk", flat=True).first()
    return party_id


def _seated(token: str) -> QuerySet[Party]:
    return Party.objects.filter(guest_token=token).exclude(status=PartyStatus.LEFT)


def table_taken(*, table: Table) -> bool:
    """A party sits at the table (until it has paid and left)."""
    return Party.objects.filter(table=table).exclude(status=PartyStatus.LEFT).exists()


def table_by_qr(*, token: str) -> Table:
    if not token or len(token) > MAX_TOKEN:
        raise NotFound(_("No such table."))
    table = Table.objects.select_related("section", "business").filter(qr_token=token).first()
    if table is None:
        raise NotFound(_("No such table."))
    return table


def table_for_staff(*, staff: StaffMember, number: str) -> Table:
    table = Table.objects.filter(business_id=staff.business_id, number=number.strip()).first()
    if table is None:
        raise NotFound(_("No such table."))
    return table


def tables_of(*, business_id: int) -> QuerySet[Table]:
    """The floor plan: section by section, with each section's host."""
    return (
        Table.objects.filter(business_id=business_id)
        .select_related("section__host")
        .order_by("section_id", "number")
    )


def tables_to_print(*, business_id: int) -> QuerySet[Table]:
    """Every table's QR card, by section name."""
    return (
        Table.objects.filter(business_id=business_id)
        .select_related("section")
        .order_by("section__name", "number")
    )


def section_for_staff(*, staff: StaffMember, section_id: int) -> Section:
    section = Section.objects.filter(pk=section_id, business_id=staff.business_id).first()
    if section is None:
        raise NotFound(_("No such section."))
    return section


def active_parties(*, business_id: int) -> QuerySet[Party]:
    return (
        Party.objects.filter(business_id=business_id)
        .exclude(status=PartyStatus.LEFT)
        .select_related("table", "need__owner")
        .order_by("table__number")
    )


def sections_of(*, business_id: int) -> QuerySet[Section]:
    return (
        Section.objects.filter(business_id=business_id)
        .select_related("host")
        .order_by("name", "id")
    )


# --- a party's orders ----------------------------------------------------------------


def party_has_order(*, party: Party, order_id: int) -> bool:
    """Is this order one of the party's own (a guest rates only their own plates)?"""
    return Order.objects.filter(party=party, pk=order_id).exists()


def orders_with_lines_of_party(*, party: Party) -> list[Order]:
    """The guest's page: the party's orders, each with its lines and their items."""
    return list(
        Order.objects.filter(party=party)
        .order_by("created_at", "id")
        .prefetch_related(
            Prefetch("lines", queryset=OrderLine.objects.select_related("item").order_by("id"))
        )
    )


def held_courses(*, party: Party) -> list[tuple[int, str]]:
    """(order, course) of every course still held back for the party, to fire."""
    held = (
        Order.objects.filter(party=party, lines__status=LineStatus.HELD)
        .values_list("pk", "lines__course")
        .distinct()
    )
    return sorted(set(held))


def _bills(by_party: dict[int, "TableState"]) -> None:
    """Each party's total and what is still due (two queries; the rule is ``bill.compute``)."""
    totals = (
        OrderLine.objects.filter(order__party_id__in=by_party)
        .exclude(status=LineStatus.CANCELLED)
        .values("order__party_id")
        .annotate(total=Sum(F("price_cents") * F("quantity")))
        .values_list("order__party_id", "total")
    )
    for party_id, total in totals:
        by_party[party_id].total_cents = total or 0
    paid = dict(
        Payment.objects.filter(party_id__in=by_party)
        .values("party_id")
        .annotate(paid=Sum("amount_cents"))
        .values_list("party_id", "paid")
    )
    for party_id, state in by_party.items():
        state.due_cents = max(state.total_cents - (paid.get(party_id) or 0), 0)


@dataclass
class TableState:
    table: Table
    party: Party | None = None
    counts: dict[str, int] = field(default_factory=dict)
    oldest_wait_minutes: int | None = None
    late: bool = False
    next_promise: datetime | None = None
    alerts: list[JournalEvent] = field(default_factory=list)
    # The running check, and the next held course (one tap fires it).
    total_cents: int = 0
    due_cents: int = 0
    next_course: str = ""

    @property
    def next_course_label(self) -> str:
        return course_label(self.next_course)


def floor_view(*, staff: StaffMember, now: datetime, only_mine: bool) -> list[TableState]:
    """The host's floor: every table with its party, waiting time, bill and alerts (7 queries)."""
    tables = list(tables_of(business_id=staff.business_id))
    parties = {p.table_id: p for p in active_parties(business_id=staff.business_id)}
    states = []
    for table in tables:
        party = parties.get(table.pk)
        mine = (
            party.need.owner_id == staff.pk
            if party is not None
            else table.section.host_id == staff.pk
        )
        if only_mine and not mine:
            continue
        states.append(TableState(table=table, party=party))
    by_party = {s.party.pk: s for s in states if s.party}
    if by_party:
        _bills(by_party)
        lines = OrderLine.objects.filter(
            order__party_id__in=by_party, status__in=UNSERVED
        ).values_list(
            "order__party_id", "status", "fired_at", "created_at", "promised_at", "course"
        )
        for party_id, status, fired_at, created_at, promised_at, course in lines:
            state = by_party[party_id]
            state.counts[status] = state.counts.get(status, 0) + 1
            if status == LineStatus.HELD:
                if not state.next_course or course_rank(course) < course_rank(state.next_course):
                    state.next_course = course
                continue
            waited = int((now - (fired_at or created_at)).total_seconds() // 60)
            if state.oldest_wait_minutes is None or waited > state.oldest_wait_minutes:
                state.oldest_wait_minutes = waited
            if promised_at is not None:
                if promised_at < now:
                    state.late = True
                if state.next_promise is None or promised_at < state.next_promise:
                    state.next_promise = promised_at
        need_to_state = {s.party.need_id: s for s in by_party.values() if s.party}
        alerts = (
            JournalEvent.objects.filter(need_id__in=need_to_state, kind=EventKind.ALERT)
            .order_by("-at", "-id")
            .only("id", "need_id", "at", "data", "kind")[:200]
        )
        for event in alerts:
            state = need_to_state[event.need_id]  # type: ignore[index]
            if state.party and event.at >= state.party.seated_at and len(state.alerts) < 3:
                state.alerts.append(event)
    return states

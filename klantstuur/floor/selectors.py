"""Reads of the floor, through access gates: another business's party is 404,
and a guest link opens only its own party while the party is at the table."""

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from klantstuur.businesses.models import StaffMember
from klantstuur.core.errors import NotFound
from klantstuur.needs.models import EventKind, JournalEvent
from klantstuur.orders.models import UNSERVED, LineStatus, OrderLine

from .models import Party, PartyStatus, Table

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
        Party.objects.select_related("table__section", "need__owner", "business")
        .filter(guest_token=token)
        .exclude(status=PartyStatus.LEFT)
        .first()
    )
    if party is None:
        raise NotFound(_("This guest link does not work (any more)."))
    return party


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


def active_parties(*, business_id: int) -> QuerySet[Party]:
    return (
        Party.objects.filter(business_id=business_id)
        .exclude(status=PartyStatus.LEFT)
        .select_related("table", "need__owner")
        .order_by("table__number")
    )


@dataclass
class TableState:
    table: Table
    party: Party | None = None
    counts: dict[str, int] = field(default_factory=dict)
    oldest_wait_minutes: int | None = None
    late: bool = False
    next_promise: datetime | None = None
    alerts: list[JournalEvent] = field(default_factory=list)


def floor_view(*, staff: StaffMember, now: datetime, only_mine: bool) -> list[TableState]:
    """The host's floor: every table with its party, waiting time and alerts (5 queries)."""
    tables = list(
        Table.objects.filter(business_id=staff.business_id)
        .select_related("section__host")
        .order_by("section_id", "number")
    )
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
        lines = OrderLine.objects.filter(
            order__party_id__in=by_party, status__in=UNSERVED
        ).values_list("order__party_id", "status", "fired_at", "created_at", "promised_at")
        for party_id, status, fired_at, created_at, promised_at in lines:
            state = by_party[party_id]
            state.counts[status] = state.counts.get(status, 0) + 1
            if status == LineStatus.HELD:
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

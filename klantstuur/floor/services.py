"""The floor's state changes: seating, calling the host, asking for the bill, leaving.

One function per change, atomic, journaled in the same transaction
(DESIGN.md §3). Seating opens the party's need, owned by the host of the
table's section (R1): the one person responsible for the guests' evening.
"""

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from klantstuur.businesses.models import Business, StaffMember
from klantstuur.core.errors import Conflict, Invalid, NotAllowed
from klantstuur.customers.models import Customer
from klantstuur.needs import events as needs_events
from klantstuur.needs.journal import record
from klantstuur.needs.load import load_move
from klantstuur.needs.models import Need, NeedKind
from klantstuur.needs.services import pick_owner, resolution_propose_on_behalf

from . import events
from .closeout import close_out_check
from .models import AT_TABLE, PARTY_TRANSITIONS, Party, PartyStatus, Section, Table

MAX_PARTY = 50
# Who sets the hosts of a shift.
SHIFT_ROLES = ("manager", "lead")
# A second "let me join" from the same table within this time tells the host nothing new.
JOIN_QUIET = timedelta(seconds=60)


@transaction.atomic
def section_create(*, business: Business, name: str, host: StaffMember | None = None) -> Section:
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise Invalid(_("Give a name of at most 100 characters."), field="name")
    if host is not None and host.business_id != business.pk:
        raise Invalid(_("No such colleague."), field="host")
    return Section.objects.create(business=business, name=name, host=host)


@transaction.atomic
def table_create(
    *,
    section: Section,
    number: str,
    seats: int,
    x: int = 0,
    y: int = 0,
    seat_reference: str = "",
) -> Table:
    number = (number or "").strip()
    if not number or len(number) > 20:
        raise Invalid(_("Give a table number of at most 20 characters."), field="number")
    if not 1 <= seats <= MAX_PARTY:
        raise Invalid(_("Between 1 and %(n)d.") % {"n": MAX_PARTY}, field="seats")
    try:
        with transaction.atomic():
            return Table.objects.create(
                business_id=section.business_id,
                section=section,
                number=number,
                seats=seats,
                x=x,
                y=y,
                seat_reference=seat_reference,
            )
    except IntegrityError:
        raise Conflict(_("Table %(n)s exists already.") % {"n": number}, field="number") from None


@transaction.atomic
def section_assign_host(*, actor: StaffMember, section: Section, host: StaffMember) -> Section:
    """The host of the shift. Parties already seated keep their owner (a handoff moves them)."""
    if actor.role not in SHIFT_ROLES:
        raise NotAllowed(_("Managers and team leads set the hosts of a shift."))
    if section.business_id != actor.business_id:
        raise Invalid(_("No such section."), field="section")
    if host.business_id != actor.business_id or not host.may_own_needs:
        raise Invalid(_("No such colleague."), field="host")
    Section.objects.filter(pk=section.pk).update(host=host)
    section.host = host
    return section


def _walk_in_customer(business: Business, table: Table) -> Customer:
    # Need.customer is NOT NULL: walk-in guests get a minimal record, no e-mail.
    return Customer.objects.create(
        business=business, name=_("Guests at table %(n)s") % {"n": table.number}
    )


@transaction.atomic
def party_seat(
    *,
    business: Business,
    table: Table,
    seats: int,
    customer: Customer | None = None,
    actor_staff: StaffMember | None = None,
    self_check_in: bool = False,
) -> Party:
    """Seat a party: its need is opened and owned by the host of the table's section."""
    table = _free_table(business=business, table=table, seats=seats, customer=customer)
    now = timezone.now()
    guest = customer or _walk_in_customer(business, table)
    host = table.section.host
    if host is None or not host.may_own_needs:
        host = pick_owner(customer=guest)
    need = _evening_open(
        business=business, table=table, seats=seats, guest=guest, host=host, now=now
    )
    try:
        with transaction.atomic():
            party = Party.objects.create(
                business=business,
                table=table,
                seats=seats,
                customer=customer,
                need=need,
                seated_at=now,
                walk_in=customer is None,
            )
    except IntegrityError:
        raise Conflict(
            _("Table %(table)s is taken.") % {"table": table.number}, field="table"
        ) from None
    _seating_record(
        party=party,
        host=host,
        actor_staff=actor_staff,
        customer=customer,
        self_check_in=self_check_in,
        now=now,
    )
    return party


def _free_table(
    *, business: Business, table: Table, seats: int, customer: Customer | None
) -> Table:
    """The table, reloaded with its section's host, if this party may sit at it now."""
    if table.business_id != business.pk:
        raise Invalid(_("No such table."), field="table")
    if customer is not None and customer.business_id != business.pk:
        raise Invalid(_("No such customer."), field="customer_id")
    if not 1 <= seats <= MAX_PARTY:
        raise Invalid(_("Between 1 and %(n)d guests.") % {"n": MAX_PARTY}, field="seats")
    table = Table.objects.select_related("section__host").get(pk=table.pk)
    if seats > table.seats:
        raise Invalid(
            _("Table %(table)s has %(n)d seats.") % {"table": table.number, "n": table.seats},
            field="seats",
        )
    if Party.objects.filter(table=table).exclude(status=PartyStatus.LEFT).exists():
        raise Conflict(_("Table %(table)s is taken.") % {"table": table.number}, field="table")
    return table


def _evening_open(
    *,
    business: Business,
    table: Table,
    seats: int,
    guest: Customer,
    host: StaffMember,
    now: datetime,
) -> Need:
    """The party's evening as one need, owned by the host (journaled with the seating)."""
    need = Need.objects.create(
        business=business,
        customer=guest,
        kind=NeedKind.ORDER,
        summary=(_("Table %(table)s, %(n)d guests") % {"table": table.number, "n": seats})[:300],
        goal=_("A relaxed meal, the right plate at the right seat, without waiting."),
        owner=host,
        created_at=now,
        updated_at=now,
    )
    load_move(old_owner_id=None, new_owner_id=host.pk, was_active=False, is_active=True)
    return need


def _seating_record(
    *,
    party: Party,
    host: StaffMember,
    actor_staff: StaffMember | None,
    customer: Customer | None,
    self_check_in: bool,
    now: datetime,
) -> None:
    """The need's opening and the seating, in the journal of the party's need."""
    need = party.need
    record(
        needs_events.need_opened(need=need, owner=host, proactive=False),
        need=need,
        actor_staff=actor_staff,
        actor_customer=customer if actor_staff is None else None,
        at=now,
    )
    record(
        events.party_seated(party=party, owner=host, self_check_in=self_check_in),
        need=need,
        actor_staff=actor_staff,
        at=now,
    )


def _require_step(party: Party, new: str) -> None:
    # Every refused party step starts from "left": the table is closed.
    if (party.status, new) not in PARTY_TRANSITIONS:
        raise Conflict(_("This party has left."))


def _lock_party(party: Party) -> Party:
    return (
        Party.objects.select_for_update(of=("self",))
        .select_related("table", "need__owner")
        .get(pk=party.pk)
    )


@transaction.atomic
def party_call_host(*, party: Party, reason: str = "") -> Party:
    """The guest's "call my host" button: reaches the owner's console at once."""
    party = _lock_party(party)
    if party.status not in AT_TABLE:
        raise Conflict(_("This party has left."))
    reason = (reason or "").strip()[:300]
    now = timezone.now()
    Party.objects.filter(pk=party.pk).update(host_called_at=now)
    party.host_called_at = now
    Need.objects.filter(pk=party.need_id).update(
        contacts=F("contacts") + 1, waiting_since=now, updated_at=now
    )
    record(events.host_called(party=party, reason=reason), need=party.need, at=now)
    return party


@transaction.atomic
def party_host_came(*, staff: StaffMember, party: Party) -> Party:
    """The host answered the call at the table."""
    party = _lock_party(party)
    if party.business_id != staff.business_id:
        raise Invalid(_("No such party."), field="party_id")
    if party.host_called_at is None:
        return party
    now = timezone.now()
    Party.objects.filter(pk=party.pk).update(host_called_at=None)
    Need.objects.filter(pk=party.need_id).update(waiting_since=None, updated_at=now)
    party.host_called_at = None
    record(
        needs_events.staff_message(
            _("%(name)s is at your table.") % {"name": staff.name}, party_id=party.pk
        ),
        need=party.need,
        actor_staff=staff,
        at=now,
    )
    return party


@transaction.atomic
def party_request_bill(*, party: Party) -> Party:
    party = _lock_party(party)
    if party.status == PartyStatus.BILL_REQUESTED:
        return party  # asked already
    _require_step(party, PartyStatus.BILL_REQUESTED)
    now = timezone.now()
    Party.objects.filter(pk=party.pk).update(
        status=PartyStatus.BILL_REQUESTED, bill_requested_at=now
    )
    party.status = PartyStatus.BILL_REQUESTED
    party.bill_requested_at = now
    record(events.bill_requested(party), need=party.need, at=now)
    return party


@transaction.atomic
def party_leave(
    *, staff: StaffMember, party: Party, void_open_lines: bool = False, reason: str = ""
) -> Party:
    """Paid and gone: the table is free; the guest link shows the receipt and a thank-you.

    Refused (409) while lines are still being made — unless they are voided, with a
    reason — and while money is due (``closeout.close_out_check``).
    """
    party = _lock_party(party)
    if party.business_id != staff.business_id:
        raise Invalid(_("No such party."), field="party_id")
    _require_step(party, PartyStatus.LEFT)
    if staff.role not in ("host", "manager", "lead"):
        raise NotAllowed(_("Hosts and managers close a table."))
    close_out_check(staff=staff, party=party, void_open_lines=void_open_lines, reason=reason)
    now = timezone.now()
    Party.objects.filter(pk=party.pk).update(
        status=PartyStatus.LEFT, left_at=now, host_called_at=None
    )
    party.status = PartyStatus.LEFT
    party.left_at = now
    record(events.party_left(party), need=party.need, actor_staff=staff, at=now)
    _propose_thanks(need_id=party.need_id, actor=staff, now=now)
    return party


def _propose_thanks(*, need_id: int, actor: StaffMember, now: datetime) -> None:
    """The evening is over: propose "Thanks for your visit" on the party's need.

    The floor's variant of ``needs.services.resolution_propose``: the table may
    be closed by a colleague who is not the owner (a manager at the till), so
    the proposal is made on the floor's behalf, with the same fields and the
    same journal kind (``resolution_proposed``, ``by: "floor"``). The guest
    confirms (portal, when they have a record) or the business's announced
    quiet period solves it (``resolutions_autoconfirm``, the worker's sweep).
    Runs inside ``party_leave``'s transaction; a need that is not open (already
    proposed, solved, cancelled) is left as it is.
    """
    resolution_propose_on_behalf(
        need=need_id,
        summary=str(_("Thanks for your visit.")),
        actor_staff=actor,
        by="floor",
        now=now,
    )


@transaction.atomic
def party_ask_to_join(*, table: Table, name: str = "") -> Party:
    """A second phone scanned the QR code of a taken table: tell the host, reveal nothing.

    The party's guest link is never shown to whoever stands at the table: the
    owner gets a "calling you" (``host_called``, ``reason: join``) and, at the
    table, shares the link (or shows the QR of the guest page) with the guest.
    """
    party = (
        Party.objects.select_for_update(of=("self",))
        .select_related("table", "need__owner")
        .filter(table=table)
        .exclude(status=PartyStatus.LEFT)
        .first()
    )
    if party is None:
        raise Conflict(_("This table is free: check in."), field="table")
    name = (name or "").strip()[:60]
    now = timezone.now()
    if party.host_called_at is not None and now - party.host_called_at < JOIN_QUIET:
        return party  # the host is on the way already
    Party.objects.filter(pk=party.pk).update(host_called_at=now)
    Need.objects.filter(pk=party.need_id).update(waiting_since=now, updated_at=now)
    reason = (
        _("%(name)s asks to join the table.") % {"name": name}
        if name
        else _("A guest asks to join the table.")
    )
    record(events.host_called(party=party, reason=reason, join=True), need=party.need, at=now)
    return party

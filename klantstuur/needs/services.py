"""Every state change of a need: one function each, atomic, journaled.

Each function locks the need row first (``SELECT … FOR UPDATE`` on PostgreSQL;
SQLite's IMMEDIATE transactions serialize writers), reads it fresh, checks the
actor's authority and the transition table, then writes state and its journal
event in the same transaction.
"""

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Case, Count, F, IntegerField, OuterRef, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from klantstuur.businesses.models import FRONTLINE_ROLES, Role, StaffMember
from klantstuur.core.errors import Conflict, Invalid, NotAllowed
from klantstuur.core.money import euro
from klantstuur.core.queries import columns, one_raw
from klantstuur.customers.models import Customer

from .journal import record_event
from .models import (
    ACTIVE_STATUSES,
    EventKind,
    Handoff,
    HandoffStatus,
    Need,
    NeedKind,
    NeedStatus,
    Remedy,
    RemedyKind,
    can_transition,
)

SUMMARY_MAX = 300
BODY_MAX = 10_000


def _text(value: str | None, *, field: str, required: bool = True, max_len: int = BODY_MAX) -> str:
    text = (value or "").strip()
    if required and not text:
        raise Invalid(_("This field is required."), field=field)
    if len(text) > max_len:
        raise Invalid(_("At most %(n)d characters.") % {"n": max_len}, field=field)
    return text


def _lock(need: Need | int) -> Need:
    pk = need if isinstance(need, int) else need.pk
    # Lock the need row alone, then read it with its relations. A locking query with
    # joins would also lock the owner's and the customer's rows (serializing all of a
    # colleague's needs), and on PostgreSQL, after waiting for a concurrent owner change,
    # it re-checks the join against the old owner row and finds no need at all.
    Need.objects.select_for_update().only("pk").get(pk=pk)
    return Need.objects.select_related("owner", "customer").get(pk=pk)


def _require_transition(need: Need, new: str) -> None:
    if not can_transition(need.status, new):
        raise Conflict(
            _("This need is %(status)s; that step is not possible now.")
            % {"status": need.get_status_display()},
            status=need.status,
        )


def _require_owner(need: Need, staff: StaffMember) -> None:
    if need.owner_id != staff.pk:
        raise NotAllowed(
            _("Only the owner (%(owner)s) can do this. Offer a handoff or ask them.")
            % {"owner": need.owner.name},
            owner={"id": need.owner_id, "name": need.owner.name},
        )


def _withdraw_open_offers(need: Need, now: datetime) -> None:
    Handoff.objects.filter(need=need, status=HandoffStatus.OFFERED).update(
        status=HandoffStatus.WITHDRAWN, answered_at=now
    )


# --- opening and assignment -------------------------------------------------


_CONTINUING_OWNER = (
    f"SELECT {columns(StaffMember, 's')} FROM "  # noqa: S608
    f'"{StaffMember._meta.db_table}" s'
    ' WHERE s."id" = ('
    f'  SELECT n."owner_id" FROM "{Need._meta.db_table}" n WHERE n."customer_id" = %s'
    '  ORDER BY n."created_at" DESC, n."id" DESC LIMIT 1)'
    f' AND s."on_duty" AND s."role" IN ({", ".join(["%s"] * len(FRONTLINE_ROLES))})'
)


def pick_owner(*, customer: Customer) -> StaffMember:
    """Continuity first, then the least-loaded colleague on duty.

    The owner of the customer's previous need keeps them when on duty; otherwise
    the frontline colleague on duty with the fewest active needs (managers last).
    With nobody on duty the need still gets an owner: the least-loaded frontline
    colleague, who sees it when they start.
    """
    # One small query, written once: the previous owner, only when they can keep the
    # customer (core.queries.one_raw; every new need asks it).
    continuing = one_raw(StaffMember, _CONTINUING_OWNER, [customer.pk, *FRONTLINE_ROLES])
    if continuing is not None:
        return continuing
    # A correlated count per colleague reads only the index of their active needs;
    # a filtered join over all needs of the business took a second at 1M needs.
    active_load = (
        Need.objects.filter(owner=OuterRef("pk"), status__in=ACTIVE_STATUSES)
        .order_by()
        .values("owner")
        .annotate(n=Count("*"))
        .values("n")
    )
    candidates = (
        StaffMember.objects.filter(business_id=customer.business_id, role__in=FRONTLINE_ROLES)
        .annotate(
            load=Coalesce(Subquery(active_load, output_field=IntegerField()), 0),
            manager_last=Case(
                When(role=Role.MANAGER, then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            ),
        )
        .order_by("-on_duty", "manager_last", "load", "id")
    )
    owner = candidates.first()
    if owner is None:
        raise Conflict(_("This business has no staff who can own a need yet."))
    return owner


@transaction.atomic
def need_open(
    *,
    customer: Customer,
    kind: str,
    summary: str,
    goal: str = "",
    opened_by_staff: StaffMember | None = None,
    proactive: bool = False,
) -> Need:
    """Open a need and assign its owner at once.

    A need the customer opens, or that staff open because the customer reached
    out, counts as the first contact; a proactive one (the business reaching
    out) does not.
    """
    if kind not in NeedKind.values:
        raise Invalid(
            _("Unknown kind; choose one of: %(kinds)s.") % {"kinds": ", ".join(NeedKind.values)},
            field="kind",
        )
    summary = _text(summary, field="summary", max_len=SUMMARY_MAX)
    goal = _text(goal, field="goal", required=False)
    owner = pick_owner(customer=customer)
    now = timezone.now()
    counts_as_contact = not proactive
    need = Need.objects.create(
        business_id=customer.business_id,
        customer=customer,
        kind=kind,
        summary=summary,
        goal=goal,
        owner=owner,
        created_at=now,
        updated_at=now,
        contacts=1 if counts_as_contact else 0,
        waiting_since=now if opened_by_staff is None else None,
    )
    record_event(
        need=need,
        kind=EventKind.NEED_OPENED,
        actor_staff=opened_by_staff,
        actor_customer=customer if opened_by_staff is None else None,
        data={
            "kind": kind,
            "summary": summary,
            "goal": goal,
            "owner": {"id": owner.pk, "name": owner.name},
            "proactive": proactive,
        },
        at=now,
    )
    return need


# --- conversation -------------------------------------------------------------


@transaction.atomic
def message_post_by_staff(
    *, staff: StaffMember, need: Need, body: str, internal: bool = False
) -> Need:
    """A reply to the customer, or an internal note that never reaches them."""
    body = _text(body, field="body")
    need = _lock(need)
    now = timezone.now()
    if internal:
        record_event(
            need=need, kind=EventKind.INTERNAL_NOTE, actor_staff=staff, data={"body": body}, at=now
        )
        return need
    if not need.is_active:
        raise Conflict(_("This need is closed; the customer can reopen it."), status=need.status)
    record_event(
        need=need, kind=EventKind.STAFF_MESSAGE, actor_staff=staff, data={"body": body}, at=now
    )
    Need.objects.filter(pk=need.pk).update(waiting_since=None, updated_at=now)
    need.refresh_from_db()
    return need


@transaction.atomic
def message_post_by_customer(*, customer: Customer, need: Need, body: str) -> Need:
    """Reaches the owner on the same need; each one is a contact the customer made."""
    body = _text(body, field="body")
    need = _lock(need)
    if need.customer_id != customer.pk:
        raise NotAllowed(_("Not your need."))
    if not need.is_active:
        raise Conflict(_("This need is closed. Reopen it, or open a new one."), status=need.status)
    now = timezone.now()
    record_event(
        need=need,
        kind=EventKind.CUSTOMER_MESSAGE,
        actor_customer=customer,
        data={"body": body},
        at=now,
    )
    Need.objects.filter(pk=need.pk).update(
        contacts=F("contacts") + 1,
        waiting_since=Case(
            When(waiting_since__isnull=True, then=Value(now)), default=F("waiting_since")
        ),
        updated_at=now,
    )
    need.refresh_from_db()
    return need


# --- ownership ----------------------------------------------------------------


@transaction.atomic
def handoff_offer(*, staff: StaffMember, need: Need, to_staff: StaffMember, reason: str) -> Handoff:
    """Offer ownership to a named colleague. The owner stays the owner until they accept."""
    reason = _text(reason, field="reason", max_len=2000)
    need = _lock(need)
    _require_owner(need, staff)
    if not need.is_active:
        raise Conflict(_("This need is closed."), status=need.status)
    if to_staff.business_id != need.business_id:
        raise Invalid(_("No such colleague."), field="to_staff_id")
    if to_staff.pk == staff.pk:
        raise Invalid(_("You already own this need."), field="to_staff_id")
    if not to_staff.may_own_needs:
        raise Invalid(
            _("%(name)s cannot own needs.") % {"name": to_staff.name}, field="to_staff_id"
        )
    now = timezone.now()
    expiry = timedelta(minutes=need.business.handoff_expiry_minutes)
    try:
        with transaction.atomic():
            handoff = Handoff.objects.create(
                need=need,
                from_staff=staff,
                to_staff=to_staff,
                reason=reason,
                created_at=now,
                remind_at=now + expiry / 2,
                expires_at=now + expiry,
            )
    except IntegrityError:
        raise Conflict(
            _("There is already an open handoff offer on this need; wait for the answer.")
        ) from None
    record_event(
        need=need,
        kind=EventKind.HANDOFF_OFFERED,
        actor_staff=staff,
        data={
            "handoff_id": handoff.pk,
            "to": {"id": to_staff.pk, "name": to_staff.name},
            "reason": reason,
            "expires_at": handoff.expires_at.isoformat(),
        },
        at=now,
    )
    return handoff


def _lock_offer(handoff: Handoff) -> tuple[Handoff, Need]:
    need = _lock(handoff.need_id)
    handoff = (
        Handoff.objects.select_for_update(of=("self",))
        .select_related("from_staff", "to_staff")
        .get(pk=handoff.pk)
    )
    return handoff, need


@transaction.atomic
def handoff_accept(*, staff: StaffMember, handoff: Handoff) -> Need:
    """Ownership moves now, and only now."""
    handoff, need = _lock_offer(handoff)
    if handoff.to_staff_id != staff.pk:
        raise NotAllowed(
            _("This handoff was offered to %(name)s.") % {"name": handoff.to_staff.name}
        )
    if handoff.status != HandoffStatus.OFFERED:
        raise Conflict(
            _("This handoff is already %(status)s.") % {"status": handoff.get_status_display()},
            status=handoff.status,
        )
    now = timezone.now()
    Handoff.objects.filter(pk=handoff.pk).update(status=HandoffStatus.ACCEPTED, answered_at=now)
    # Compare-and-set on the previous owner: a concurrent change can never leave two owners.
    moved = Need.objects.filter(
        pk=need.pk, owner_id=handoff.from_staff_id, status__in=ACTIVE_STATUSES
    ).update(owner=staff, handoffs=F("handoffs") + 1, updated_at=now)
    if moved != 1:
        raise Conflict(_("The need changed meanwhile; the handoff cannot be accepted."))
    record_event(
        need=need,
        kind=EventKind.HANDOFF_ACCEPTED,
        actor_staff=staff,
        data={
            "handoff_id": handoff.pk,
            "from": {"id": handoff.from_staff_id, "name": handoff.from_staff.name},
            "to": {"id": staff.pk, "name": staff.name},
            "reason": handoff.reason,
        },
        at=now,
    )
    need.refresh_from_db()
    return need


@transaction.atomic
def handoff_decline(*, staff: StaffMember, handoff: Handoff, reason: str) -> Handoff:
    """The offered colleague says no, with a reason; the owner keeps the need."""
    reason = _text(reason, field="reason", max_len=2000)
    handoff, need = _lock_offer(handoff)
    if handoff.to_staff_id != staff.pk:
        raise NotAllowed(
            _("This handoff was offered to %(name)s.") % {"name": handoff.to_staff.name}
        )
    if handoff.status != HandoffStatus.OFFERED:
        raise Conflict(
            _("This handoff is already %(status)s.") % {"status": handoff.get_status_display()},
            status=handoff.status,
        )
    now = timezone.now()
    Handoff.objects.filter(pk=handoff.pk).update(
        status=HandoffStatus.DECLINED, answered_at=now, answer_reason=reason
    )
    record_event(
        need=need,
        kind=EventKind.HANDOFF_DECLINED,
        actor_staff=staff,
        data={
            "handoff_id": handoff.pk,
            "from": {"id": handoff.from_staff_id, "name": handoff.from_staff.name},
            "reason": reason,
        },
        at=now,
    )
    handoff.refresh_from_db()
    return handoff


def handoffs_remind_and_expire(*, now: datetime | None = None) -> tuple[int, int]:
    """Worker sweep: remind both sides at half time, expire at the deadline.

    The need never goes unowned: an expired offer leaves it with its owner.
    """
    now = now or timezone.now()
    reminded = expired = 0
    due_ids = list(
        Handoff.objects.filter(status=HandoffStatus.OFFERED, expires_at__lte=now).values_list(
            "pk", flat=True
        )[:500]
    )
    for pk in due_ids:
        with transaction.atomic():
            # Need first, then the offer: the same lock order as accept and decline,
            # so a sweep racing an answer waits instead of deadlocking.
            handoff, need = _lock_offer(Handoff.objects.only("pk", "need_id").get(pk=pk))
            if handoff.status != HandoffStatus.OFFERED:
                continue
            Handoff.objects.filter(pk=pk).update(status=HandoffStatus.EXPIRED, answered_at=now)
            record_event(
                need=need,
                kind=EventKind.HANDOFF_EXPIRED,
                data={
                    "handoff_id": pk,
                    "from": {"id": handoff.from_staff_id},
                    "to": {"id": handoff.to_staff_id},
                },
                at=now,
            )
            expired += 1
    remind_ids = list(
        Handoff.objects.filter(
            status=HandoffStatus.OFFERED, remind_at__lte=now, reminded_at__isnull=True
        ).values_list("pk", flat=True)[:500]
    )
    for pk in remind_ids:
        with transaction.atomic():
            handoff, need = _lock_offer(Handoff.objects.only("pk", "need_id").get(pk=pk))
            if handoff.status != HandoffStatus.OFFERED or handoff.reminded_at:
                continue
            Handoff.objects.filter(pk=pk).update(reminded_at=now)
            record_event(
                need=need,
                kind=EventKind.HANDOFF_REMINDED,
                data={
                    "handoff_id": pk,
                    "from": {"id": handoff.from_staff_id},
                    "to": {"id": handoff.to_staff_id},
                    "expires_at": handoff.expires_at.isoformat(),
                },
                at=now,
            )
            reminded += 1
    return reminded, expired


# --- remedies -----------------------------------------------------------------


def may_grant(*, business_id: int, amount_cents: int) -> list[StaffMember]:
    """Colleagues whose authority covers the amount, on duty first."""
    return list(
        StaffMember.objects.filter(
            business_id=business_id,
            authority_cents__gte=amount_cents,
            role__in=FRONTLINE_ROLES,
        ).order_by("-on_duty", "authority_cents", "name")[:5]
    )


@transaction.atomic
def remedy_grant(
    *, staff: StaffMember, need: Need, kind: str, amount_cents: int, note: str = ""
) -> Remedy:
    """Takes effect at once within the actor's authority; above it nothing is recorded."""
    if kind not in RemedyKind.values:
        raise Invalid(
            _("Unknown remedy; choose one of: %(kinds)s.")
            % {"kinds": ", ".join(RemedyKind.values)},
            field="kind",
        )
    if not isinstance(amount_cents, int) or isinstance(amount_cents, bool) or amount_cents < 0:
        raise Invalid(_("A whole number of cents, zero or more."), field="amount_cents")
    if amount_cents > 100_000_000:
        raise Invalid(_("That amount is not plausible."), field="amount_cents")
    note = _text(note, field="note", required=False, max_len=2000)
    need = _lock(need)
    _require_owner(need, staff)
    if not need.is_active:
        raise Conflict(_("This need is closed."), status=need.status)
    if amount_cents > staff.authority_cents:
        who = may_grant(business_id=need.business_id, amount_cents=amount_cents)
        names = ", ".join(s.name for s in who) or _("nobody in this business")
        raise NotAllowed(
            _(
                "%(amount)s is above your authority of %(limit)s. "
                "Hand the need off to someone who may grant it: %(names)s."
            )
            % {
                "amount": euro(amount_cents, compact=True),
                "limit": euro(staff.authority_cents, compact=True),
                "names": names,
            },
            field="amount_cents",
            limit_cents=staff.authority_cents,
            may_grant=[
                {"id": s.pk, "name": s.name, "authority_cents": s.authority_cents} for s in who
            ],
        )
    now = timezone.now()
    remedy = Remedy.objects.create(
        business_id=need.business_id,
        need=need,
        kind=kind,
        amount_cents=amount_cents,
        note=note,
        granted_by=staff,
        created_at=now,
    )
    record_event(
        need=need,
        kind=EventKind.REMEDY_GRANTED,
        actor_staff=staff,
        data={"remedy_id": remedy.pk, "kind": kind, "amount_cents": amount_cents, "note": note},
        at=now,
    )
    Need.objects.filter(pk=need.pk).update(updated_at=now)
    return remedy


# --- resolution -----------------------------------------------------------------


@transaction.atomic
def resolution_propose(
    *, staff: StaffMember, need: Need, summary: str, root_cause_id: int | None = None
) -> Need:
    """The owner proposes; only the customer (or the announced quiet period) solves.

    A complaint in a business with a root-cause list needs its root cause (R15).
    """
    summary = _text(summary, field="summary", max_len=2000)
    need = _lock(need)
    _require_owner(need, staff)
    _require_transition(need, NeedStatus.AWAITING_CUSTOMER)
    from klantstuur.feedback.services import root_cause_record

    root_cause_record(staff=staff, need=need, root_cause_id=root_cause_id)
    _propose(need, summary=summary, actor_staff=staff, now=timezone.now())
    need.refresh_from_db()
    return need


def _propose(
    need: Need,
    *,
    summary: str,
    actor_staff: StaffMember | None,
    now: datetime,
    extra: dict[str, str] | None = None,
) -> None:
    """Awaiting the customer, with the quiet period announced; the need is locked."""
    autoconfirm_at = now + timedelta(days=need.business.autoconfirm_days)
    Need.objects.filter(pk=need.pk).update(
        status=NeedStatus.AWAITING_CUSTOMER,
        resolution_summary=summary,
        proposed_at=now,
        autoconfirm_at=autoconfirm_at,
        waiting_since=None,
        updated_at=now,
    )
    record_event(
        need=need,
        kind=EventKind.RESOLUTION_PROPOSED,
        actor_staff=actor_staff,
        data={"summary": summary, "autoconfirm_at": autoconfirm_at.isoformat(), **(extra or {})},
        at=now,
    )


@transaction.atomic
def resolution_propose_on_behalf(
    *, need: Need | int, summary: str, actor_staff: StaffMember | None, by: str, now: datetime
) -> bool:
    """A proposal the business makes as a whole, not its owner (the floor, when a party
    has paid and left and a colleague at the till closes the table).

    Same fields and journal kind as the owner's proposal, tagged ``by``; a need that is
    not open is left as it is (returns False).
    """
    need = _lock(need)
    if need.status != NeedStatus.OPEN:
        return False
    _propose(need, summary=summary, actor_staff=actor_staff, now=now, extra={"by": by})
    return True


def _solve(need: Need, *, customer: Customer | None, now: datetime, auto: bool) -> None:
    Need.objects.filter(pk=need.pk).update(
        status=NeedStatus.SOLVED, solved_at=now, autoconfirm_at=None, updated_at=now
    )
    _withdraw_open_offers(need, now)
    record_event(
        need=need,
        kind=EventKind.RESOLUTION_CONFIRMED,
        actor_customer=customer,
        data={"auto": auto, "summary": need.resolution_summary},
        at=now,
    )


@transaction.atomic
def resolution_confirm(*, customer: Customer, need: Need) -> Need:
    need = _lock(need)
    if need.customer_id != customer.pk:
        raise NotAllowed(_("Not your need."))
    _require_transition(need, NeedStatus.SOLVED)
    _solve(need, customer=customer, now=timezone.now(), auto=False)
    need.refresh_from_db()
    return need


def resolutions_autoconfirm(*, now: datetime | None = None) -> int:
    """Worker sweep: proposals unanswered past the announced period count as confirmed."""
    now = now or timezone.now()
    due = list(
        Need.objects.filter(
            status=NeedStatus.AWAITING_CUSTOMER, autoconfirm_at__lte=now
        ).values_list("pk", flat=True)[:500]
    )
    done = 0
    for pk in due:
        with transaction.atomic():
            need = _lock(pk)
            if need.status != NeedStatus.AWAITING_CUSTOMER or need.autoconfirm_at is None:
                continue
            if need.autoconfirm_at > now:
                continue
            _solve(need, customer=None, now=now, auto=True)
            done += 1
    return done


@transaction.atomic
def need_reopen(*, customer: Customer, need: Need, reason: str) -> Need:
    """Back to open with the same owner; reaching out again is another contact."""
    reason = _text(reason, field="reason", max_len=2000)
    need = _lock(need)
    if need.customer_id != customer.pk:
        raise NotAllowed(_("Not your need."))
    _require_transition(need, NeedStatus.OPEN)
    now = timezone.now()
    Need.objects.filter(pk=need.pk).update(
        status=NeedStatus.OPEN,
        proposed_at=None,
        autoconfirm_at=None,
        solved_at=None,
        reopens=F("reopens") + 1,
        contacts=F("contacts") + 1,
        waiting_since=now,
        updated_at=now,
    )
    record_event(
        need=need,
        kind=EventKind.NEED_REOPENED,
        actor_customer=customer,
        data={"reason": reason, "owner": {"id": need.owner_id, "name": need.owner.name}},
        at=now,
    )
    need.refresh_from_db()
    return need


@transaction.atomic
def need_cancel(*, customer: Customer, need: Need, reason: str = "") -> Need:
    """The customer withdraws a need they no longer have."""
    reason = _text(reason, field="reason", required=False, max_len=2000)
    need = _lock(need)
    if need.customer_id != customer.pk:
        raise NotAllowed(_("Not your need."))
    _require_transition(need, NeedStatus.CANCELLED)
    now = timezone.now()
    Need.objects.filter(pk=need.pk).update(
        status=NeedStatus.CANCELLED, autoconfirm_at=None, waiting_since=None, updated_at=now
    )
    _withdraw_open_offers(need, now)
    record_event(
        need=need,
        kind=EventKind.NEED_CANCELLED,
        actor_customer=customer,
        data={"reason": reason},
        at=now,
    )
    need.refresh_from_db()
    return need


def staff_may_act(staff: StaffMember) -> None:
    """Carrier integration accounts post carrier events and nothing else."""
    if staff.role == Role.CARRIER:
        raise NotAllowed(_("A carrier integration account may only post carrier events."))

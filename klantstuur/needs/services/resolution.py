"""Closing a need: the owner proposes, the customer confirms, reopens or cancels.

Every status change here is one of ``models.TRANSITIONS``.
"""

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from klantstuur.businesses.models import StaffMember
from klantstuur.customers.models import Customer

from .. import events
from ..journal import record
from ..load import load_move
from ..models import Need, NeedStatus
from ..root_causes import root_cause_record
from ._steps import clean_text, lock_need, require_customer, require_owner, require_transition
from .handoffs import SWEEP_BATCH, withdraw_open_offers


@transaction.atomic
def resolution_propose(
    *, staff: StaffMember, need: Need, summary: str, root_cause_id: int | None = None
) -> Need:
    """The owner proposes; only the customer (or the announced quiet period) solves.

    A complaint in a business with a root-cause list needs its root cause (R15).
    """
    summary = clean_text(summary, field="summary", max_len=2000)
    need = lock_need(need)
    require_owner(need, staff)
    require_transition(need, NeedStatus.AWAITING_CUSTOMER)
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
    by: str | None = None,
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
    record(
        events.resolution_proposed(summary=summary, autoconfirm_at=autoconfirm_at, by=by),
        need=need,
        actor_staff=actor_staff,
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
    need = lock_need(need)
    if need.status != NeedStatus.OPEN:
        return False
    _propose(need, summary=summary, actor_staff=actor_staff, now=now, by=by)
    return True


def _solve(need: Need, *, customer: Customer | None, now: datetime, auto: bool) -> None:
    Need.objects.filter(pk=need.pk).update(
        status=NeedStatus.SOLVED, solved_at=now, autoconfirm_at=None, updated_at=now
    )
    load_move(old_owner_id=need.owner_id, new_owner_id=None, was_active=True, is_active=False)
    withdraw_open_offers(need, now)
    record(
        events.resolution_confirmed(summary=need.resolution_summary, auto=auto),
        need=need,
        actor_customer=customer,
        at=now,
    )


@transaction.atomic
def resolution_confirm(*, customer: Customer, need: Need) -> Need:
    need = lock_need(need)
    require_customer(need, customer.pk)
    require_transition(need, NeedStatus.SOLVED)
    _solve(need, customer=customer, now=timezone.now(), auto=False)
    need.refresh_from_db()
    return need


def resolutions_autoconfirm(*, now: datetime | None = None) -> int:
    """Worker sweep: proposals unanswered past the announced period count as confirmed."""
    now = now or timezone.now()
    due = list(
        Need.objects.filter(
            status=NeedStatus.AWAITING_CUSTOMER, autoconfirm_at__lte=now
        ).values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    done = 0
    for pk in due:
        with transaction.atomic():
            need = lock_need(pk)
            if need.status != NeedStatus.AWAITING_CUSTOMER or need.autoconfirm_at is None:
                continue
            if need.autoconfirm_at > now:
                continue
            _solve(need, customer=None, now=now, auto=True)
            done += 1
    return done


@transaction.atomic
def need_reopen(
    *,
    customer: Customer,
    need: Need,
    reason: str,
    channel: str = "",
    attachments: list[events.AttachmentRef] | None = None,
) -> Need:
    """Back to open with the same owner; reaching out again is another contact."""
    reason = clean_text(reason, field="reason", max_len=2000)
    need = lock_need(need)
    require_customer(need, customer.pk)
    require_transition(need, NeedStatus.OPEN)
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
    # From a proposal it was active already; from solved it becomes active again.
    load_move(
        old_owner_id=need.owner_id,
        new_owner_id=need.owner_id,
        was_active=need.is_active,
        is_active=True,
    )
    record(
        events.need_reopened(
            reason=reason, owner=need.owner, channel=channel, attachments=attachments
        ),
        need=need,
        actor_customer=customer,
        at=now,
    )
    need.refresh_from_db()
    return need


@transaction.atomic
def need_cancel(*, customer: Customer, need: Need, reason: str = "") -> Need:
    """The customer withdraws a need they no longer have."""
    reason = clean_text(reason, field="reason", required=False, max_len=2000)
    need = lock_need(need)
    require_customer(need, customer.pk)
    require_transition(need, NeedStatus.CANCELLED)
    now = timezone.now()
    Need.objects.filter(pk=need.pk).update(
        status=NeedStatus.CANCELLED, autoconfirm_at=None, waiting_since=None, updated_at=now
    )
    load_move(old_owner_id=need.owner_id, new_owner_id=None, was_active=True, is_active=False)
    withdraw_open_offers(need, now)
    record(events.need_cancelled(reason=reason), need=need, actor_customer=customer, at=now)
    need.refresh_from_db()
    return need

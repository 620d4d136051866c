"""Handing a need to a colleague: an offer, answered once (``HANDOFF_TRANSITIONS``).

Until the colleague accepts, the old owner owns the need; an offer nobody answers
expires and the need stays where it was.
"""

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from klantstuur.businesses.models import StaffMember
from klantstuur.core.errors import Conflict, Invalid, NotAllowed

from .. import events
from ..journal import record
from ..load import load_move
from ..models import (
    ACTIVE_STATUSES,
    HANDOFF_OPEN_STATUSES,
    Handoff,
    HandoffStatus,
    Need,
    handoff_can_transition,
    handoff_statuses_before,
)
from ._steps import clean_text, lock_need, require_owner

# A sweep works through at most this many offers per run.
SWEEP_BATCH = 500


def withdraw_open_offers(need: Need, now: datetime) -> None:
    """The need closed before the colleague answered."""
    Handoff.objects.filter(
        need=need, status__in=handoff_statuses_before(HandoffStatus.WITHDRAWN)
    ).update(status=HandoffStatus.WITHDRAWN, answered_at=now)


def _require_step(handoff: Handoff, new: str) -> None:
    if not handoff_can_transition(handoff.status, new):
        raise Conflict(
            _("This handoff is already %(status)s.") % {"status": handoff.get_status_display()},
            status=handoff.status,
        )


def _require_offered_to(handoff: Handoff, staff: StaffMember) -> None:
    if handoff.to_staff_id != staff.pk:
        raise NotAllowed(
            _("This handoff was offered to %(name)s.") % {"name": handoff.to_staff.name}
        )


@transaction.atomic
def handoff_offer(*, staff: StaffMember, need: Need, to_staff: StaffMember, reason: str) -> Handoff:
    """Offer ownership to a named colleague. The owner stays the owner until they accept."""
    reason = clean_text(reason, field="reason", max_len=2000)
    need = lock_need(need)
    require_owner(need, staff)
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
    record(events.handoff_offered(handoff), need=need, actor_staff=staff, at=now)
    return handoff


def _lock_offer(handoff: Handoff) -> tuple[Handoff, Need]:
    need = lock_need(handoff.need_id)
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
    _require_offered_to(handoff, staff)
    _require_step(handoff, HandoffStatus.ACCEPTED)
    now = timezone.now()
    Handoff.objects.filter(pk=handoff.pk).update(status=HandoffStatus.ACCEPTED, answered_at=now)
    # Compare-and-set on the previous owner: a concurrent change can never leave two owners.
    moved = Need.objects.filter(
        pk=need.pk, owner_id=handoff.from_staff_id, status__in=ACTIVE_STATUSES
    ).update(owner=staff, handoffs=F("handoffs") + 1, updated_at=now)
    if moved != 1:
        raise Conflict(_("The need changed meanwhile; the handoff cannot be accepted."))
    load_move(
        old_owner_id=handoff.from_staff_id, new_owner_id=staff.pk, was_active=True, is_active=True
    )
    record(events.handoff_accepted(handoff), need=need, actor_staff=staff, at=now)
    need.refresh_from_db()
    return need


@transaction.atomic
def handoff_decline(*, staff: StaffMember, handoff: Handoff, reason: str) -> Handoff:
    """The offered colleague says no, with a reason; the owner keeps the need."""
    reason = clean_text(reason, field="reason", max_len=2000)
    handoff, need = _lock_offer(handoff)
    _require_offered_to(handoff, staff)
    _require_step(handoff, HandoffStatus.DECLINED)
    now = timezone.now()
    Handoff.objects.filter(pk=handoff.pk).update(
        status=HandoffStatus.DECLINED, answered_at=now, answer_reason=reason
    )
    record(events.handoff_declined(handoff, reason=reason), need=need, actor_staff=staff, at=now)
    handoff.refresh_from_db()
    return handoff


def _expire_one(pk: int, now: datetime) -> bool:
    with transaction.atomic():
        # Need first, then the offer: the same lock order as accept and decline,
        # so a sweep racing an answer waits instead of deadlocking.
        handoff, need = _lock_offer(Handoff.objects.only("pk", "need_id").get(pk=pk))
        if not handoff_can_transition(handoff.status, HandoffStatus.EXPIRED):
            return False
        Handoff.objects.filter(pk=pk).update(status=HandoffStatus.EXPIRED, answered_at=now)
        record(events.handoff_expired(handoff), need=need, at=now)
        return True


def _remind_one(pk: int, now: datetime) -> bool:
    with transaction.atomic():
        handoff, need = _lock_offer(Handoff.objects.only("pk", "need_id").get(pk=pk))
        if handoff.status not in HANDOFF_OPEN_STATUSES or handoff.reminded_at:
            return False
        Handoff.objects.filter(pk=pk).update(reminded_at=now)
        record(events.handoff_reminded(handoff), need=need, at=now)
        return True


def handoffs_remind_and_expire(*, now: datetime | None = None) -> tuple[int, int]:
    """Worker sweep: remind both sides at half time, expire at the deadline.

    The need never goes unowned: an expired offer leaves it with its owner.
    """
    now = now or timezone.now()
    open_offers = Handoff.objects.filter(status__in=HANDOFF_OPEN_STATUSES)
    due_ids = list(
        open_offers.filter(expires_at__lte=now).values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    expired = sum(_expire_one(pk, now) for pk in due_ids)
    remind_ids = list(
        open_offers.filter(remind_at__lte=now, reminded_at__isnull=True).values_list(
            "pk", flat=True
        )[:SWEEP_BATCH]
    )
    reminded = sum(_remind_one(pk, now) for pk in remind_ids)
    return reminded, expired

"""Every write of feedback and of what is learned from it: atomic, journaled, authority checked.

Closing the loop (R15): a low rating or a detractor answer is the customer
reaching out. It reopens the journey's need with its owner, or — when there is
no live journey to reopen — opens a complaint that goes to the customer's
previous owner (``pick_owner``'s continuity rule).
"""

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from klantstuur.businesses.models import FRONTLINE_ROLES, Role, StaffMember
from klantstuur.core.errors import Conflict, Invalid, NotAllowed, NotFound
from klantstuur.core.money import euro
from klantstuur.customers.models import Customer
from klantstuur.needs import services as needs
from klantstuur.needs.events import internal_note
from klantstuur.needs.journal import record
from klantstuur.needs.models import EventKind, JournalEvent, Need, NeedKind, NeedStatus, RootCause
from klantstuur.needs.root_causes import business_root_cause

from . import events
from .models import (
    SURVEY_SCALE,
    ImprovementItem,
    ImprovementStatus,
    ListeningSample,
    Rating,
    Reward,
    RewardKind,
    Survey,
    SurveyResponse,
    Touchpoint,
)

COMMENT_MAX = 2000
# A rating at or below this, or a detractor survey answer, closes the loop.
LOW_RATING = 2
DETRACTOR: dict[str, int] = {Survey.CSAT: 2, Survey.CES: 3, Survey.NPS: 6}


def survey_guard_days() -> int:
    """Nobody is surveyed (per survey) more than once in this many days."""
    return int(getattr(settings, "KLANTSTUUR", {}).get("SURVEY_GUARD_DAYS", 30))


def _int(value: Any, *, field: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise Invalid(
            _("A whole number from %(low)d to %(high)d.") % {"low": low, "high": high},
            field=field,
        )
    return value


def _comment(value: str | None) -> str:
    text = (value or "").strip()
    if len(text) > COMMENT_MAX:
        raise Invalid(_("At most %(n)d characters.") % {"n": COMMENT_MAX}, field="comment")
    return text


def _journey(
    *, customer: Customer, need_id: int | None, order_id: int | None, required: bool
) -> tuple[Need | None, int]:
    """The customer's own need (and order): anyone else's is simply not found (404)."""
    from klantstuur.orders.models import Order

    need: Need | None = None
    order_pk = 0
    if order_id is not None:
        order = (
            Order.objects.filter(pk=order_id, business_id=customer.business_id)
            .filter(Q(customer_id=customer.pk) | Q(need__customer_id=customer.pk))
            .values_list("pk", "need_id")
            .first()
        )
        if order is None:
            raise NotFound(_("No such order."), field="order_id")
        order_pk, order_need = order
        if need_id is not None and need_id != order_need:
            raise Invalid(_("This order belongs to another need."), field="order_id")
        need_id = order_need
    if need_id is not None:
        need = Need.objects.select_for_update().filter(pk=need_id, customer_id=customer.pk).first()
        if need is None:
            raise NotFound(_("No such need."), field="need_id")
    elif required:
        raise Invalid(_("Say which need or order this is about."), field="need_id")
    return need, order_pk


def _happened(need: Need, order_pk: int, touchpoint: str) -> bool:
    """A touchpoint can be rated once it has taken place."""
    from klantstuur.orders.checkpoints import PROMISE_KEPT_CODES
    from klantstuur.orders.models import Checkpoint

    if touchpoint == Touchpoint.SERVED:
        return Checkpoint.objects.filter(order_id=order_pk, code="line_served").exists()
    if touchpoint == Touchpoint.DELIVERED:
        return Checkpoint.objects.filter(order_id=order_pk, code__in=PROMISE_KEPT_CODES).exists()
    if touchpoint == Touchpoint.RESOLUTION_PROPOSED:
        return JournalEvent.objects.filter(
            need_id=need.pk, kind=EventKind.RESOLUTION_PROPOSED
        ).exists()
    if touchpoint == Touchpoint.RESOLUTION_CONFIRMED:
        return need.status == NeedStatus.SOLVED
    if touchpoint == Touchpoint.ANSWER:
        return JournalEvent.objects.filter(need_id=need.pk, kind=EventKind.STAFF_MESSAGE).exists()
    return True


def _close_loop(*, customer: Customer, need: Need | None, reason: str) -> int | None:
    """Low score: back to the owner. Returns the need that now carries it."""
    if need is not None and need.status in (NeedStatus.SOLVED, NeedStatus.AWAITING_CUSTOMER):
        needs.need_reopen(customer=customer, need=need, reason=reason)
        return need.pk
    if need is not None and need.status == NeedStatus.OPEN:
        # Still open: the owner sees the score on the timeline and the customer waits.
        Need.objects.filter(pk=need.pk).update(
            waiting_since=Coalesce("waiting_since", timezone.now())
        )
        return need.pk
    opened = needs.need_open(
        customer=customer, kind=NeedKind.COMPLAINT, summary=reason[:300], proactive=True
    )
    return opened.pk


@transaction.atomic
def rating_give(
    *,
    customer: Customer,
    touchpoint: str,
    rating: Any,
    need_id: int | None = None,
    order_id: int | None = None,
    comment: str = "",
) -> Rating:
    """One tap on one touchpoint (1–5). Once per touchpoint; a low one closes the loop."""
    if touchpoint not in Touchpoint.values:
        raise Invalid(
            _("Unknown touchpoint; choose one of: %(t)s.") % {"t": ", ".join(Touchpoint.values)},
            field="touchpoint",
        )
    value = _int(rating, field="rating", low=1, high=5)
    comment = _comment(comment)
    if touchpoint in (Touchpoint.SERVED, Touchpoint.DELIVERED) and order_id is None:
        raise Invalid(_("Say which order this is about."), field="order_id")
    need, order_pk = _journey(customer=customer, need_id=need_id, order_id=order_id, required=True)
    assert need is not None
    if not _happened(need, order_pk, touchpoint):
        raise Conflict(_("That has not happened yet; rate it once it has."), field="touchpoint")
    now = timezone.now()
    event = record(
        events.rated(
            touchpoint=touchpoint, rating=value, order_id=order_pk or None, comment=comment
        ),
        need=need,
        actor_customer=customer,
        at=now,
    )
    try:
        with transaction.atomic():
            row = Rating.objects.create(
                business_id=customer.business_id,
                customer=customer,
                need=need,
                order_id=order_pk,
                touchpoint=touchpoint,
                rating=value,
                comment=comment,
                created_at=now,
                event=event,
            )
    except IntegrityError:
        raise Conflict(_("You already rated this; thank you."), field="touchpoint") from None
    if value <= LOW_RATING:
        label = str(Touchpoint(touchpoint).label)
        _close_loop(
            customer=customer,
            need=need,
            reason=_("Rated %(label)s %(n)d of 5: %(comment)s")
            % {"label": label, "n": value, "comment": comment or "-"},
        )
    return row


def survey_due(*, customer: Customer, survey: str, now: datetime | None = None) -> bool:
    """The guard: may we ask this customer this survey now?"""
    now = now or timezone.now()
    since = now - timedelta(days=survey_guard_days())
    return not SurveyResponse.objects.filter(
        customer=customer, survey=survey, created_at__gt=since
    ).exists()


@transaction.atomic
def survey_answer(
    *,
    customer: Customer,
    survey: str,
    score: Any,
    need_id: int | None = None,
    order_id: int | None = None,
    comment: str = "",
) -> SurveyResponse:
    """A standard survey answer; at most one per survey per guard period, once per need."""
    if survey not in Survey.values:
        raise Invalid(
            _("Unknown survey; choose one of: %(s)s.") % {"s": ", ".join(Survey.values)},
            field="survey",
        )
    low, high = SURVEY_SCALE[survey]
    value = _int(score, field="score", low=low, high=high)
    comment = _comment(comment)
    # Serialise one customer's answers so the guard cannot be raced.
    Customer.objects.select_for_update().filter(pk=customer.pk).first()
    need, _order = _journey(customer=customer, need_id=need_id, order_id=order_id, required=False)
    now = timezone.now()
    if not survey_due(customer=customer, survey=survey, now=now):
        raise Conflict(
            _("You answered this survey recently; we will not ask again within %(n)d days.")
            % {"n": survey_guard_days()},
            field="survey",
        )
    try:
        with transaction.atomic():
            row = SurveyResponse.objects.create(
                business_id=customer.business_id,
                customer=customer,
                need=need,
                survey=survey,
                score=value,
                comment=comment,
                created_at=now,
            )
    except IntegrityError:
        raise Conflict(_("This survey was already answered."), field="survey") from None
    record(
        events.survey_answered(row), need=need, customer=customer, actor_customer=customer, at=now
    )
    if value <= DETRACTOR[survey]:
        _close_loop(
            customer=customer,
            need=need,
            reason=_("Survey %(s)s answered %(n)d: %(comment)s")
            % {"s": survey.upper(), "n": value, "comment": comment or "-"},
        )
    return row


# --- root causes and improvement ------------------------------------------------------


def _require_manager(staff: StaffMember) -> None:
    if staff.role not in (Role.MANAGER, Role.LEAD):
        raise NotAllowed(_("Only managers and team leads may do this."))


@transaction.atomic
def root_cause_create(*, staff: StaffMember, name: str) -> RootCause:
    """A manager adds a cause to the business's list (``needs.root_causes``)."""
    _require_manager(staff)
    name = (name or "").strip()
    if not name:
        raise Invalid(_("This field is required."), field="name")
    if len(name) > 120:
        raise Invalid(_("At most %(n)d characters.") % {"n": 120}, field="name")
    try:
        with transaction.atomic():
            return RootCause.objects.create(business_id=staff.business_id, name=name)
    except IntegrityError:
        raise Conflict(_("That root cause is already on the list."), field="name") from None


def _colleague(staff: StaffMember, owner_id: Any) -> StaffMember:
    if isinstance(owner_id, bool) or not isinstance(owner_id, int):
        raise Invalid(_("Choose a colleague."), field="owner_id")
    owner = StaffMember.objects.filter(pk=owner_id, business_id=staff.business_id).first()
    if owner is None or owner.role == Role.CARRIER:
        raise Invalid(_("No such colleague."), field="owner_id")
    return owner


@transaction.atomic
def improvement_create(
    *, staff: StaffMember, root_cause_id: int, title: str, owner_id: int
) -> ImprovementItem:
    _require_manager(staff)
    cause = business_root_cause(business_id=staff.business_id, root_cause_id=root_cause_id)
    if cause is None:
        raise Invalid(_("No such root cause."), field="root_cause_id")
    title = (title or "").strip()
    if not title:
        raise Invalid(_("This field is required."), field="title")
    if len(title) > 200:
        raise Invalid(_("At most %(n)d characters.") % {"n": 200}, field="title")
    owner = _colleague(staff, owner_id)
    return ImprovementItem.objects.create(
        business_id=staff.business_id, root_cause=cause, title=title, owner=owner
    )


@transaction.atomic
def improvement_update(
    *, staff: StaffMember, item_id: int, status: str, owner_id: int | None = None
) -> ImprovementItem:
    """Move an item on the board; "fixed" stamps the moment recurrence is measured from."""
    item = (
        ImprovementItem.objects.select_for_update()
        .filter(pk=item_id, business_id=staff.business_id)
        .first()
    )
    if item is None:
        raise NotFound(_("No such improvement item."))
    if staff.role not in (Role.MANAGER, Role.LEAD) and item.owner_id != staff.pk:
        raise NotAllowed(_("Only its owner or a manager may move this item."))
    if status not in ImprovementStatus.values:
        raise Invalid(_("Unknown status."), field="status")
    fields = ["status"]
    if owner_id is not None and owner_id != item.owner_id:
        item.owner = _colleague(staff, owner_id)
        fields.append("owner")
    if status == ImprovementStatus.DONE and item.status != ImprovementStatus.DONE:
        item.fixed_at = timezone.now()
        fields.append("fixed_at")
    elif status != ImprovementStatus.DONE and item.fixed_at is not None:
        item.fixed_at = None
        fields.append("fixed_at")
    item.status = status
    item.save(update_fields=fields)
    return item


# --- listening (R14): the sample is drawn by metrics.listening; managers mark it here --


@transaction.atomic
def listening_mark(*, staff: StaffMember, sample_id: int, note: str) -> ListeningSample:
    """A manager read the conversation; the note goes on the need as an internal note."""
    if staff.role != Role.MANAGER:
        raise NotAllowed(_("Only managers may do this."))
    sample = (
        ListeningSample.objects.select_for_update()
        .select_related("need")
        .filter(pk=sample_id, business_id=staff.business_id)
        .first()
    )
    if sample is None:
        raise NotFound(_("No such conversation in the sample."))
    note = (note or "").strip()
    if len(note) > COMMENT_MAX:
        raise Invalid(_("At most %(n)d characters.") % {"n": COMMENT_MAX}, field="note")
    if sample.listened_at is not None:
        raise Conflict(_("Already marked as listened."), field="note")
    now = timezone.now()
    sample.listened_by = staff
    sample.listened_at = now
    sample.note = note
    sample.save(update_fields=["listened_by", "listened_at", "note"])
    body = _("Listened to this conversation.") + (f" {note}" if note else "")
    record(
        internal_note(body, listening_sample_id=sample.pk),
        need=sample.need,
        actor_staff=staff,
        at=now,
    )
    return sample


# --- rewards (R9) ----------------------------------------------------------------------


@transaction.atomic
def reward_give(
    *,
    staff: StaffMember,
    customer_id: int,
    kind: str,
    description: str,
    value_cents: Any = 0,
    need_id: int | None = None,
) -> Reward:
    """Appreciation, information, emotional or material; material within one's authority."""
    if staff.role not in FRONTLINE_ROLES:
        raise NotAllowed(_("Only staff who own needs may give rewards."))
    customer = Customer.objects.filter(pk=customer_id, business_id=staff.business_id).first()
    if customer is None:
        raise NotFound(_("No such customer."), field="customer_id")
    if kind not in RewardKind.values:
        raise Invalid(
            _("Unknown reward; choose one of: %(k)s.") % {"k": ", ".join(RewardKind.values)},
            field="kind",
        )
    description = (description or "").strip()
    if not description:
        raise Invalid(_("This field is required."), field="description")
    if len(description) > 300:
        raise Invalid(_("At most %(n)d characters.") % {"n": 300}, field="description")
    value = _int(value_cents, field="value_cents", low=0, high=100_000_000)
    if kind != RewardKind.MATERIAL and value:
        raise Invalid(_("Only a material reward has a value."), field="value_cents")
    if kind == RewardKind.MATERIAL and value > staff.authority_cents:
        raise NotAllowed(
            _("%(v)s is above your authority of %(a)s.")
            % {"v": euro(value, compact=True), "a": euro(staff.authority_cents, compact=True)},
            field="value_cents",
            limit_cents=staff.authority_cents,
        )
    need: Need | None = None
    if need_id is not None:
        need = Need.objects.filter(pk=need_id, customer_id=customer.pk).first()
        if need is None:
            raise NotFound(_("No such need."), field="need_id")
        if need.owner_id != staff.pk and staff.role != Role.MANAGER:
            raise NotAllowed(_("Only the need's owner or a manager may reward on it."))
    now = timezone.now()
    reward = Reward.objects.create(
        business_id=staff.business_id,
        customer=customer,
        need=need,
        kind=kind,
        description=description,
        value_cents=value,
        given_by=staff,
        created_at=now,
    )
    record(events.reward_given(reward), need=need, customer=customer, actor_staff=staff, at=now)
    return reward

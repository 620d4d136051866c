"""Reads for pages and the API, each in a bounded number of queries.

The access gates (``need_for_staff``, ``need_for_customer``, ``handoff_for_staff``)
are the only way interfaces fetch one object: another business's or another
customer's record is simply not found (404).
"""

from django.db.models import F, QuerySet
from django.utils.translation import gettext as _

from klantstuur.businesses.models import StaffMember
from klantstuur.core.errors import Invalid, NotFound
from klantstuur.core.queries import one
from klantstuur.customers.models import Customer

from .models import (
    ACTIVE_STATUSES,
    HANDOFF_OPEN_STATUSES,
    EventKind,
    Handoff,
    JournalEvent,
    Need,
    NeedStatus,
    Notification,
    NotificationStatus,
)


def need_for_staff(*, staff: StaffMember, need_id: int) -> Need:
    need = one(
        Need.objects.select_related("owner", "customer", "business").filter(
            pk=need_id, business_id=staff.business_id
        )
    )
    if need is None:
        raise NotFound(_("No such need."))
    return need


def need_for_customer(*, customer: Customer, need_id: int) -> Need:
    need = one(
        Need.objects.select_related("owner", "customer", "business").filter(
            pk=need_id, customer_id=customer.pk
        )
    )
    if need is None:
        raise NotFound(_("No such need."))
    return need


def handoff_for_staff(*, staff: StaffMember, handoff_id: int) -> Handoff:
    handoff = (
        Handoff.objects.select_related("need", "from_staff", "to_staff")
        .filter(pk=handoff_id, need__business_id=staff.business_id)
        .first()
    )
    if handoff is None:
        raise NotFound(_("No such handoff."))
    return handoff


def needs_for_business(
    *,
    business_id: int,
    status: str | None = None,
    owner_id: int | None = None,
    customer_id: int | None = None,
) -> QuerySet[Need]:
    qs = Need.objects.filter(business_id=business_id)
    if status:
        if status not in NeedStatus.values:
            raise Invalid(
                _("Unknown status; choose one of: %(s)s.") % {"s": ", ".join(NeedStatus.values)},
                field="status",
            )
        qs = qs.filter(status=status)
    if owner_id is not None:
        qs = qs.filter(owner_id=owner_id)
    if customer_id is not None:
        qs = qs.filter(customer_id=customer_id)
    return qs.select_related("owner").order_by("-created_at", "-id")


def needs_owned_by(*, staff: StaffMember) -> QuerySet[Need]:
    """'Mijn klanten': my active needs, most urgent first.

    Urgent means: the customer has been waiting for an answer longest, then
    promises due soonest, then open before awaiting the customer, then oldest.
    """
    return (
        Need.objects.filter(owner=staff, status__in=ACTIVE_STATUSES)
        .select_related("customer")
        .order_by(
            F("waiting_since").asc(nulls_last=True),
            F("promise_due_at").asc(nulls_last=True),
            "-status",  # "open" sorts after "awaiting_customer"; descending puts open first
            "created_at",
            "id",
        )
    )


def handoffs_offered_to(*, staff: StaffMember) -> QuerySet[Handoff]:
    return (
        Handoff.objects.filter(to_staff=staff, status__in=HANDOFF_OPEN_STATUSES)
        .select_related("need__customer", "from_staff")
        .order_by("expires_at", "id")
    )


def open_handoff_for_need(*, need: Need) -> Handoff | None:
    return (
        Handoff.objects.filter(need=need, status__in=HANDOFF_OPEN_STATUSES)
        .select_related("to_staff")
        .first()
    )


def timeline(*, need: Need, for_customer: bool) -> QuerySet[JournalEvent]:
    """The same journal for both; the customer's copy lacks internal notes."""
    qs = JournalEvent.objects.filter(need=need)
    if for_customer:
        qs = qs.visible_to_customer()
    return qs.select_related("actor_staff", "actor_customer").order_by("at", "id")


def needs_of_customer(*, customer: Customer, status: str | None = None) -> QuerySet[Need]:
    qs = Need.objects.filter(customer=customer).select_related("owner")
    if status:
        if status not in NeedStatus.values:
            raise Invalid(_("Unknown status."), field="status")
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-id")


def colleagues(*, staff: StaffMember) -> QuerySet[StaffMember]:
    """Who a need can be handed to: everyone in my business who may own needs, but me."""
    from klantstuur.businesses.models import OWNER_ROLES

    return (
        StaffMember.objects.filter(business_id=staff.business_id, role__in=OWNER_ROLES)
        .exclude(pk=staff.pk)
        .order_by("-on_duty", "name")
    )


def needs_by_id(*, business_id: int, need_ids: list[int]) -> dict[int, Need]:
    """The needs behind rows of figures, with customer and owner (one query)."""
    return {
        n.pk: n
        for n in Need.objects.filter(pk__in=need_ids, business_id=business_id).select_related(
            "customer", "owner"
        )
    }


def feedback_given(*, need_id: int) -> QuerySet[JournalEvent]:
    """What was rated already (the events' data names the touchpoint and the order)."""
    return JournalEvent.objects.filter(need_id=need_id, kind=EventKind.FEEDBACK_GIVEN).only("data")


def failed_notifications(*, business_id: int) -> QuerySet[Notification]:
    """E-mails of my business that could not be sent (issue #15): still being retried
    first, then the ones given up, newest first. Through the business foreign key's index;
    a business has few."""
    return (
        Notification.objects.filter(business_id=business_id, status=NotificationStatus.FAILED)
        .select_related("event__need", "event__customer")
        .order_by(F("next_attempt_at").asc(nulls_last=True), "-created_at", "-id")
    )

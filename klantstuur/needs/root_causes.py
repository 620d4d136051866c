"""Root causes (R15): the business's list of why complaints happen, and the rule that a
complaint names its cause when its resolution is proposed.

The list is kept on the improvement board (``feedback.services.root_cause_create``);
proposing a resolution (``services.resolution_propose``) records the cause here.
"""

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from klantstuur.businesses.models import StaffMember
from klantstuur.core.errors import Invalid, NotFound
from klantstuur.core.queries import MAX_ID

from .events import root_cause_set
from .journal import record
from .models import Need, NeedKind, NeedRootCause, RootCause


def business_root_causes(*, business_id: int) -> QuerySet[RootCause]:
    """The whole list, retired causes too (they still rank on the board), by name."""
    return RootCause.objects.filter(business_id=business_id)


def active_root_causes(*, business_id: int) -> QuerySet[RootCause]:
    """The causes staff may choose from now."""
    return business_root_causes(business_id=business_id).filter(active=True)


def business_root_cause(*, business_id: int, root_cause_id: int) -> RootCause | None:
    """One cause of this business's list; another business's is simply not found."""
    return business_root_causes(business_id=business_id).filter(pk=root_cause_id).first()


def root_cause_for_staff(*, staff: StaffMember, root_cause_id: int) -> RootCause:
    cause = (
        RootCause.objects.filter(pk=root_cause_id, business_id=staff.business_id).first()
        if 0 < root_cause_id <= MAX_ID
        else None
    )
    if cause is None:
        raise NotFound(_("No such root cause."))
    return cause


def root_cause_required(need: Need, causes: QuerySet[RootCause] | list[RootCause]) -> bool:
    """A complaint names its cause when the business keeps a list (its active causes,
    asked only for a complaint); anything else may."""
    if need.kind != NeedKind.COMPLAINT:
        return False
    return causes.exists() if isinstance(causes, QuerySet) else bool(causes)


def root_cause_record(*, staff: StaffMember, need: Need, root_cause_id: int | None) -> None:
    """Inside ``resolution_propose``'s transaction: a complaint needs its root cause."""
    causes = active_root_causes(business_id=need.business_id)
    if root_cause_id is None:
        if root_cause_required(need, causes):
            raise Invalid(
                _("Choose the root cause of this complaint from the list."),
                field="root_cause_id",
            )
        return
    cause = causes.filter(pk=root_cause_id).first()
    if cause is None:
        raise Invalid(_("No such root cause."), field="root_cause_id")
    now = timezone.now()
    NeedRootCause.objects.update_or_create(
        need_id=need.pk,
        defaults={
            "business_id": need.business_id,
            "root_cause": cause,
            "set_by": staff,
            "set_at": now,
        },
    )
    record(root_cause_set(cause), need=need, actor_staff=staff, at=now)

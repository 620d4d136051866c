"""Reads of businesses and their staff, through access gates: a colleague is a staff
member of the caller's own business; anyone else is not found (404)."""

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from klantstuur.core.errors import NotFound
from klantstuur.core.queries import one

from .models import OWNER_ROLES, Business, Role, StaffMember


def colleague_for_staff(*, staff: StaffMember, colleague_id: int) -> StaffMember:
    colleague = one(StaffMember.objects.filter(pk=colleague_id, business_id=staff.business_id))
    if colleague is None:
        raise NotFound(_("No such colleague."))
    return colleague


def staff_of_business(*, business_id: int) -> QuerySet[StaffMember]:
    return (
        StaffMember.objects.filter(business_id=business_id)
        .select_related("user")
        .order_by("name", "id")
    )


def owners_of_business(*, business_id: int) -> list[StaffMember]:
    """Everyone who may own needs, by name (the insight pages' owner filter)."""
    return list(
        StaffMember.objects.filter(business_id=business_id, role__in=OWNER_ROLES).order_by("name")
    )


def carrier_account(*, business: Business) -> StaffMember | None:
    """The business's carrier integration account: who a signed carrier webhook acts as."""
    return (
        StaffMember.objects.filter(business=business, role=Role.CARRIER)
        .select_related("business")
        .first()
    )


def businesses_by_name() -> QuerySet[Business]:
    return Business.objects.order_by("name")

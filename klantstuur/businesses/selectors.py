from django.db.models import QuerySet

from .models import StaffMember


def staff_of_business(*, business_id: int) -> QuerySet[StaffMember]:
    return (
        StaffMember.objects.filter(business_id=business_id)
        .select_related("user")
        .order_by("name", "id")
    )

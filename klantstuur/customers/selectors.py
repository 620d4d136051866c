from django.db.models import QuerySet
from django.utils.translation import gettext as _

from klantstuur.businesses.models import StaffMember
from klantstuur.core.errors import NotFound
from klantstuur.core.queries import MAX_ID, columns, one, one_raw

from .models import Customer

# Every need opened through the API looks the customer up (see core.queries.one_raw).
_CUSTOMER_OF_BUSINESS = (
    f"SELECT {columns(Customer)} FROM "  # noqa: S608
    f'"{Customer._meta.db_table}" WHERE "id" = %s AND "business_id" = %s'
)


def customer_for_staff(*, staff: StaffMember, customer_id: int) -> Customer:
    # An id past any key cannot be bound as a database integer: nobody has it.
    customer = (
        one_raw(Customer, _CUSTOMER_OF_BUSINESS, [customer_id, staff.business_id])
        if 0 < customer_id <= MAX_ID
        else None
    )
    if customer is None:
        raise NotFound(_("No such customer."), field="customer_id")
    return customer


def customer_for_login(*, user_id: int) -> Customer | None:
    """A login's customer record with its business, in one query (every portal page)."""
    return one(Customer.objects.select_related("business").filter(user_id=user_id))


def customer_by_email(*, business_id: int, email: str) -> Customer | None:
    """Whom a magic link goes to: the address as typed, in any case."""
    return Customer.objects.filter(business_id=business_id, email__iexact=email.strip()).first()


def customers_of_business(*, business_id: int, name_contains: str = "") -> QuerySet[Customer]:
    qs = Customer.objects.filter(business_id=business_id).order_by("name", "id")
    return qs.filter(name__icontains=name_contains) if name_contains else qs

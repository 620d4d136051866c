from django.utils.translation import gettext as _

from klantstuur.businesses.models import StaffMember
from klantstuur.core.errors import NotFound
from klantstuur.core.queries import MAX_ID, columns, one_raw

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

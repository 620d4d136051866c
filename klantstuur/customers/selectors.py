from django.utils.translation import gettext as _

from klantstuur.businesses.models import StaffMember
from klantstuur.core.errors import NotFound
from klantstuur.core.queries import one

from .models import Customer


def customer_for_staff(*, staff: StaffMember, customer_id: int) -> Customer:
    customer = one(Customer.objects.filter(pk=customer_id, business_id=staff.business_id))
    if customer is None:
        raise NotFound(_("No such customer."), field="customer_id")
    return customer

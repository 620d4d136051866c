from django.db.models import QuerySet
from django.utils.translation import gettext as _

from klantstuur.businesses.models import StaffMember
from klantstuur.core.errors import NotFound
from klantstuur.core.queries import one

from .models import Customer
from .queries import customer_of_business


def customer_for_staff(*, staff: StaffMember, customer_id: int) -> Customer:
    customer = customer_of_business(customer_id, staff.business_id)
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

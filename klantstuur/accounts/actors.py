"""Who is behind a request: a staff member, a customer, or nobody."""

from klantstuur.businesses.models import StaffMember
from klantstuur.customers.models import Customer

from .models import User


def staff_of(user: User | None) -> StaffMember | None:
    if user is None or not user.is_authenticated:
        return None
    try:
        return user.staff_member
    except StaffMember.DoesNotExist:
        return None


def customer_of(user: User | None) -> Customer | None:
    if user is None or not user.is_authenticated:
        return None
    try:
        return user.customer
    except Customer.DoesNotExist:
        return None

"""Needs' SQL written by hand, each beside the rule it encodes in Python (the ORM).

The SQL serves the hot path; the Python rule says what it means and is what a test
compares it with (tests/test_needs_queries.py).
"""

from django.db.models import Subquery

from klantstuur.businesses.models import FRONTLINE_ROLES, StaffMember
from klantstuur.core.queries import columns, one_raw
from klantstuur.customers.models import Customer

from .models import Need


def continuing_owner_rule(customer: Customer) -> StaffMember | None:
    """The rule: the owner of the customer's latest need (newest first, then highest id)
    keeps the customer, when they are on duty and frontline."""
    latest = Need.objects.filter(customer=customer).order_by("-created_at", "-id")
    return StaffMember.objects.filter(
        pk=Subquery(latest.values("owner_id")[:1]), on_duty=True, role__in=FRONTLINE_ROLES
    ).first()


# The same lookup as one small query, prepared once: every new need asks it.
CONTINUING_OWNER = (
    f"SELECT {columns(StaffMember, 's')} FROM "  # noqa: S608
    f'"{StaffMember._meta.db_table}" s'
    ' WHERE s."id" = ('
    f'  SELECT n."owner_id" FROM "{Need._meta.db_table}" n WHERE n."customer_id" = %s'
    '  ORDER BY n."created_at" DESC, n."id" DESC LIMIT 1)'
    f' AND s."on_duty" AND s."role" IN ({", ".join(["%s"] * len(FRONTLINE_ROLES))})'
)


def continuing_owner(customer: Customer) -> StaffMember | None:
    """``continuing_owner_rule``, as the hot path asks it (core.queries.one_raw)."""
    return one_raw(StaffMember, CONTINUING_OWNER, [customer.pk, *FRONTLINE_ROLES])

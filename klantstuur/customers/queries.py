"""Customers' SQL written by hand, beside the rule it encodes in Python (the ORM).

Every need opened through the API looks its customer up within the staff member's
business. The rule is ``customer_of_business_rule``; the same lookup is one statement
written once (``core.queries.one_raw``: the ORM compiled it anew on every call).
tests/customers/test_queries.py holds the two to the same answer.
"""

from klantstuur.core.queries import MAX_ID, columns, one, one_raw

from .models import Customer


def customer_of_business_rule(customer_id: int, business_id: int) -> Customer | None:
    """The rule: the customer with this id, if they belong to this business."""
    return one(Customer.objects.filter(pk=customer_id, business_id=business_id))


CUSTOMER_OF_BUSINESS = (
    f"SELECT {columns(Customer)} FROM "  # noqa: S608
    f'"{Customer._meta.db_table}" WHERE "id" = %s AND "business_id" = %s'
)


def customer_of_business(customer_id: int, business_id: int) -> Customer | None:
    """The same lookup as ``customer_of_business_rule``, in one prepared statement. An id
    past any key cannot be bound as a database integer: nobody has it."""
    if not 0 < customer_id <= MAX_ID:
        return None
    return one_raw(Customer, CUSTOMER_OF_BUSINESS, [customer_id, business_id])

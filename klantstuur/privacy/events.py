"""What privacy's journal events say: one constructor per kind, one payload type.

The pattern of ``klantstuur.needs.events`` (see there). These events concern the
customer, not a need.
"""

from typing import Any, TypedDict

from klantstuur.needs.events import Entry
from klantstuur.needs.models import EventKind


class ErasureRequested(TypedDict):
    # What is still open (orders, returns, ...): the erasure waits for it.
    waiting_for: list[str]


class ErasureWithdrawn(TypedDict):
    # What was still open when the customer withdrew the request.
    waiting_for: list[str]


class CustomerErased(TypedDict):
    pass


class CustomerUpdated(TypedDict):
    changed: list[str]
    before: dict[str, Any]
    after: dict[str, Any]


def erasure_requested(waiting_for: list[str]) -> Entry[ErasureRequested]:
    return Entry(EventKind.ERASURE_REQUESTED, {"waiting_for": waiting_for})


def erasure_withdrawn(waiting_for: list[str]) -> Entry[ErasureWithdrawn]:
    return Entry(EventKind.ERASURE_WITHDRAWN, {"waiting_for": waiting_for})


def customer_erased() -> Entry[CustomerErased]:
    data: CustomerErased = {}
    return Entry(EventKind.CUSTOMER_ERASED, data)


def customer_updated(*, before: dict[str, Any], after: dict[str, Any]) -> Entry[CustomerUpdated]:
    """The fields changed (sorted), their values before and after."""
    data: CustomerUpdated = {"changed": sorted(after), "before": before, "after": after}
    return Entry(EventKind.CUSTOMER_UPDATED, data)

"""Query helpers shared by the selectors."""

from collections.abc import Sequence
from typing import Any, TypeVar

from django.db.models import Model, QuerySet

M = TypeVar("M", bound=Model)

# The largest id a database key can hold; bigger numbers are bad input, not a 500.
MAX_ID = 2**63 - 1


def one(queryset: "QuerySet[M]") -> M | None:
    """The row of a lookup on a unique key (a primary key, with its owner), or None.

    Not ``.first()``: that adds ``ORDER BY pk``, and Django compiles an ORDER BY by
    comparing it with every selected column; with a wide ``select_related`` that cost
    more than the rest of the query (1.5 of 6 ms for the tracking page's order).
    """
    for row in queryset.order_by()[:1]:  # order_by(): not the model's default ordering either
        return row
    return None


def one_raw(model: type[M], sql: str, params: Sequence[Any]) -> M | None:
    """The row of a hot lookup written as SQL once (``Manager.raw``), or None.

    For the few lookups every request of a hot path makes: the ORM compiles a query
    anew on every call, which cost 0.5–1 ms here against 0.2 ms for the same row this
    way. ``sql`` selects the model's ``columns()`` from its table.
    """
    for row in model._default_manager.raw(sql, params):
        return row
    return None


def columns(model: type[Model], alias: str = "") -> str:
    """The model's columns for a SELECT written by hand, named one by one as the ORM
    names them: a process still running the old code reads the columns it knows, whatever
    a migration has added (tests/platform/test_prepared.py)."""
    prefix = f"{alias}." if alias else ""
    return ", ".join(f'{prefix}"{f.column}"' for f in model._meta.concrete_fields)

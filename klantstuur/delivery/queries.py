"""Hand-written SQL of delivery, each with the rule it encodes stated once in Python beside
it (tests/delivery/test_queries.py checks that both agree)."""

from datetime import datetime
from typing import Any, NamedTuple

from klantstuur.core.sql import db_datetime, values_cte

from .models import BROKEN_STATUSES, Delivery, DeliveryStatus, can_transition


class CarrierState(NamedTuple):
    """What carrier events change on a delivery."""

    status: str
    last_carrier_at: datetime | None
    problem_reason: str


def problem_after(effect: str, code: str, problem: str) -> str:
    """What a carrier event does to the delivery's open problem: a broken promise names
    it (the event's code), a delivery or a pickup point clears it; anything else leaves it."""
    if effect in BROKEN_STATUSES:
        return code
    if effect in (DeliveryStatus.DELIVERED, DeliveryStatus.AVAILABLE_FOR_PICKUP):
        return ""
    return problem


def carrier_state_after(
    state: CarrierState, effect: str, code: str, at: datetime
) -> CarrierState | None:
    """A carrier event moves an open delivery to its effect (TRANSITIONS, "carrier"), unless
    an event already applied is later: then None, the delivery stays as it is."""
    if not can_transition(state.status, effect, "carrier"):
        return None
    if state.last_carrier_at is not None and state.last_carrier_at > at:
        return None
    return CarrierState(effect, at, problem_after(effect, code, state.problem_reason))


def deliveries_set_sql(
    rows: list[tuple[int, CarrierState]], *, now: datetime
) -> tuple[str, list[Any]]:
    """One UPDATE … FROM (VALUES …): each delivery (by id) takes its new ``CarrierState``
    (computed by ``carrier_state_after`` from the locked rows) and ``updated_at = now``."""
    values, params = values_cte(
        "v",
        [("id", "bigint"), ("status", "varchar"), ("at", "timestamptz"), ("reason", "varchar")],
        [(pk, str(s.status), s.last_carrier_at, s.problem_reason) for pk, s in rows],
    )
    table = Delivery._meta.db_table
    sql = (
        f"{values} UPDATE {table} SET status = v.status, last_carrier_at = v.at,"  # noqa: S608
        f" problem_reason = v.reason, updated_at = %s FROM v WHERE {table}.id = v.id"
    )
    return sql, [*params, db_datetime(now)]

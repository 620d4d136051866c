"""Hand-written SQL of orders, each with the rule it encodes stated once in Python beside
it (tests/orders/test_queries.py checks that both agree)."""

from datetime import datetime
from typing import Any, NamedTuple

from klantstuur.core.sql import db_datetime, values_cte

from .models import Checkpoint, Order, OrderStatus


class CheckpointRow(NamedTuple):
    """Per order, what new checkpoints do to it: the newest one, and whether one fulfils it."""

    order_id: int
    code: str
    at: datetime
    fulfils: bool


def last_checkpoint_after(current: str, row: CheckpointRow, latest_at: datetime | None) -> str:
    """The order's latest checkpoint: the new one, unless a checkpoint (old or new) is later.

    ``latest_at``: the latest time among all the order's checkpoints, the new ones included.
    """
    return row.code if latest_at is None or row.at >= latest_at else current


def order_status_after(status: str, row: CheckpointRow) -> str:
    """The order is fulfilled when a checkpoint that fulfils it (``CheckpointCode``:
    ``delivered``, recorded by carrier ingest) arrives while it is placed."""
    return OrderStatus.FULFILLED if row.fulfils and status == OrderStatus.PLACED else status


def checkpoints_apply_sql(rows: list[CheckpointRow], *, now: datetime) -> tuple[str, list[Any]]:
    """One UPDATE of the orders: ``last_checkpoint_after`` and ``order_status_after`` for each
    row, ``updated_at`` where either changes something. Runs after the checkpoints' INSERT
    (the NOT EXISTS sees them: this statement's fresh snapshot, under the orders' locks)."""
    values, params = values_cte(
        "v",
        [("id", "bigint"), ("code", "varchar"), ("at", "timestamptz"), ("fulfil", "boolean")],
        [tuple(r) for r in rows],
    )
    order_t, cp_t = Order._meta.db_table, Checkpoint._meta.db_table
    # Only table names from the models are formatted in; every value is a parameter.
    latest = f"NOT EXISTS (SELECT 1 FROM {cp_t} c WHERE c.order_id = {order_t}.id AND c.at > v.at)"  # noqa: S608
    placed = f"(v.fulfil AND {order_t}.status = %s)"
    sql = (
        f"{values} UPDATE {order_t} SET"  # noqa: S608 (table names only)
        f" last_checkpoint = CASE WHEN {latest} THEN v.code ELSE {order_t}.last_checkpoint END,"
        f" status = CASE WHEN {placed} THEN %s ELSE {order_t}.status END,"
        f" updated_at = %s"
        f" FROM v WHERE {order_t}.id = v.id AND ({placed} OR {latest})"
    )
    return sql, [
        *params,
        OrderStatus.PLACED,
        OrderStatus.FULFILLED,
        db_datetime(now),
        OrderStatus.PLACED,
    ]

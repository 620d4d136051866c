"""SQL builders shared by the apps' hand-written queries (their ``queries.py``)."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import connection


def values_cte(
    name: str, columns: Sequence[tuple[str, str]], rows: Sequence[Sequence[Any]]
) -> tuple[str, list[Any]]:
    """``WITH name(col, …) AS (VALUES (…), …)`` for one set-based UPDATE … FROM name.

    ``columns``: (name, PostgreSQL type). PostgreSQL casts each value; SQLite (3.33+,
    UPDATE … FROM) takes them as given, datetimes adapted the way Django stores them.
    """
    pg = connection.vendor == "postgresql"
    cells = ", ".join(f"%s::{kind}" if pg else "%s" for _name, kind in columns)
    sql = (
        f"WITH {name}({', '.join(c for c, _kind in columns)}) AS (VALUES "
        + ", ".join([f"({cells})"] * len(rows))
        + ")"
    )
    adapt = connection.ops.adapt_datetimefield_value
    params = [adapt(v) if isinstance(v, datetime) else v for row in rows for v in row]
    return sql, params


def db_datetime(value: datetime) -> Any:
    """A datetime as Django stores it, for a parameter of hand-written SQL."""
    return connection.ops.adapt_datetimefield_value(value)

"""Needs' SQL written by hand, each beside the rule it encodes in Python (the ORM).

The SQL serves the hot path; the Python rule says what it means and is what a test
compares it with (tests/needs/test_queries.py).
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import connection
from django.db.models import Case, IntegerField, Subquery, Value, When

from klantstuur.businesses.models import FRONTLINE_ROLES, Role, StaffMember
from klantstuur.core.queries import columns, one_raw
from klantstuur.customers.models import Customer

from .models import JournalEvent, Need


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


def least_loaded_owner_rule(business_id: int) -> StaffMember | None:
    """The rule: the frontline colleague on duty with the fewest active needs (the
    ``active_needs`` counter, needs.load), managers last, then the lowest id; with nobody
    on duty, the same order among those off duty."""
    return (
        StaffMember.objects.filter(business_id=business_id, role__in=FRONTLINE_ROLES)
        .annotate(
            manager_last=Case(
                When(role=Role.MANAGER, then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            )
        )
        .order_by("-on_duty", "manager_last", "active_needs", "id")
        .first()
    )


# The same choice as one small query over a business's few staff rows (through the
# (business, role, on_duty) index when the table is large): every need without a
# continuing owner asks it, and the ORM's compiling cost more than running it.
LEAST_LOADED_OWNER = (
    f"SELECT {columns(StaffMember, 's')} FROM "  # noqa: S608
    f'"{StaffMember._meta.db_table}" s'
    f' WHERE s."business_id" = %s AND s."role" IN ({", ".join(["%s"] * len(FRONTLINE_ROLES))})'
    ' ORDER BY s."on_duty" DESC, CASE WHEN s."role" = %s THEN 1 ELSE 0 END,'
    ' s."active_needs", s."id" LIMIT 1'
)


def least_loaded_owner(business_id: int) -> StaffMember | None:
    """``least_loaded_owner_rule``, as the hot path asks it (core.queries.one_raw)."""
    return one_raw(StaffMember, LEAST_LOADED_OWNER, [business_id, *FRONTLINE_ROLES, Role.MANAGER])


# --- the journal read as a queue (ADR 0010) ---------------------------------------------
#
# The rule, in Python (``due``; tests/needs/test_queue.py holds the SQL to it): an event is
# due for a cursor at ``(tx, id)`` when its own ``(tx, id)`` sorts after the cursor, it
# falls in the cursor's partition, and — on PostgreSQL — its transaction is older than
# every transaction still running (or is the reader's own), so no event can still appear
# before it.

TABLE = JournalEvent._meta.db_table


@dataclass(frozen=True)
class Position:
    tx: int
    event_id: int


def due(
    event_tx: int,
    event_id: int,
    business_id: int,
    *,
    after: Position,
    partition: int = 0,
    partitions: int = 1,
    oldest_running_tx: int | None = None,
) -> bool:
    """The rule the SQL below encodes; ``oldest_running_tx`` None: all committed."""
    if (event_tx, event_id) <= (after.tx, after.event_id):
        return False
    if business_id % partitions != partition:
        return False
    return oldest_running_tx is None or event_tx < oldest_running_tx


def _finished() -> str:
    """Only events whose transaction can no longer be overtaken (PostgreSQL)."""
    if connection.vendor != "postgresql":
        return ""  # SQLite: one writer at a time, ids become visible in order
    return (
        " AND (tx < pg_snapshot_xmin(pg_current_snapshot())::text::bigint"
        " OR tx = pg_current_xact_id_if_assigned()::text::bigint)"
    )


@dataclass(frozen=True)
class Batch:
    """What one read of the journal gives a cursor: the events meant for it (its partition
    and kinds) and the position of the last event read, which the cursor moves to even
    when none of them was meant for it, so it never reads them again."""

    events: list[JournalEvent]
    last: Position | None
    read: int


def due_window(*, after: Position, limit: int) -> list[tuple[int, int, int, str]]:
    """``(tx, id, business_id, kind)`` of the next ``limit`` finished events after a
    position, in queue order; the partition and kinds are chosen from these in Python."""
    sql = (
        f'SELECT tx, id, business_id, kind FROM "{TABLE}"'  # noqa: S608 - names only
        " WHERE (tx, id) > (%s, %s)" + _finished() + " ORDER BY tx, id LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [after.tx, after.event_id, limit])
        return [(int(tx), int(pk), int(b), str(k)) for tx, pk, b, k in cursor.fetchall()]


def journal_after(
    *,
    tx: int,
    event_id: int,
    limit: int,
    partition: int = 0,
    partitions: int = 1,
    kinds: frozenset[str] | None = None,
) -> Batch:
    """The next batch for a cursor: of the next ``limit`` finished events, those in its
    partition and of its kinds, each with its need and customer, in order."""
    window = due_window(after=Position(tx, event_id), limit=limit)
    if not window:
        return Batch([], None, 0)
    wanted = [
        (event_tx, pk)
        for event_tx, pk, business_id, kind in window
        if business_id % partitions == partition and (kinds is None or kind in kinds)
    ]
    rows = (
        JournalEvent.objects.select_related("need", "customer").in_bulk([pk for _, pk in wanted])
        if wanted
        else {}
    )
    events = []
    for event_tx, pk in wanted:
        event = rows[pk]
        event.tx = event_tx
        events.append(event)
    last_tx, last_id = window[-1][:2]
    return Batch(events, Position(last_tx, last_id), len(window))


def journal_head() -> tuple[int, int]:
    """The last position in the journal now, ``(0, 0)`` when it is empty."""
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT tx, id FROM "{TABLE}" ORDER BY tx DESC, id DESC LIMIT 1')  # noqa: S608
        row = cursor.fetchone()
    return (int(row[0]), int(row[1])) if row else (0, 0)


def journal_behind(
    *, tx: int, event_id: int, partition: int, partitions: int, up_to: int
) -> tuple[int, datetime | None]:
    """Events after a cursor (counted up to ``up_to``) and the oldest moment among them."""
    sql = (
        f'SELECT count(*), min("at") FROM (SELECT "at" FROM "{TABLE}"'  # noqa: S608 - names only
        " WHERE (tx, id) > (%s, %s)"
        + (" AND business_id %% %s = %s" if partitions > 1 else "")
        + " ORDER BY tx, id LIMIT %s) t"
    )
    params: list[int] = [tx, event_id]
    if partitions > 1:
        params += [partitions, partition]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, up_to])
        count, oldest = cursor.fetchone()
    if isinstance(oldest, str):  # SQLite hands back text, in UTC
        oldest = datetime.fromisoformat(oldest).replace(tzinfo=UTC)
    return int(count), oldest

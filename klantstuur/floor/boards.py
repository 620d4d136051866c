"""What the stations and the runners see: bounded reads (a fixed number of queries)."""

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from klantstuur.businesses.models import StaffMember
from klantstuur.catalog.models import Station
from klantstuur.core.errors import NotFound
from klantstuur.orders.models import AT_THE_PASS, OPEN_AT_STATION, LineStatus, Order, OrderLine

RECENT_BUMPS = 8


def station_for_staff(*, staff: StaffMember, code: str) -> Station:
    station = Station.objects.filter(business_id=staff.business_id, code=code[:40]).first()
    if station is None:
        raise NotFound(_("No such station."))
    return station


def stations_of(*, business_id: int) -> QuerySet[Station]:
    return Station.objects.filter(business_id=business_id).order_by("position", "name")


def _lines() -> QuerySet[OrderLine]:
    return OrderLine.objects.select_related(
        "item", "station", "order__party__table", "order__need__owner"
    )


# What a station's board shows of a line, and nothing more: a board of 80 lines built
# 640 model instances with every column of line, item, order, party, table, need and
# owner (timestamps parsed and all) for a handful of fields (docs/performance-floor.md).
# ``templates/floor/partials/board.html`` reads only these; a field added there goes here
# too (tests/floor/test_board_fragment.py: the board's queries do not grow with its lines,
# so a field read but not listed here fails it).
BOARD_FIELDS = (
    "order_id",
    "item_id",
    "station_id",
    "quantity",
    "seat",
    "note",
    "allergies",
    "course",
    "modifiers",
    "status",
    "created_at",
    "fired_at",
    "ready_at",
    "promised_at",
    "first_promised_at",
    "item__name",
    "item__allergens",
    "order__party__table__number",
    "order__need__owner__name",
)


def _board_lines(station: Station) -> QuerySet[OrderLine]:
    return (
        OrderLine.objects.select_related("item", "order__party__table", "order__need__owner")
        .only(*BOARD_FIELDS)
        .filter(station=station)
    )


def _to_make(lines: QuerySet[OrderLine]) -> QuerySet[OrderLine]:
    """What the station must make now, oldest first."""
    return lines.filter(status__in=OPEN_AT_STATION).order_by("fired_at", "id")


def station_lines(*, station: Station) -> QuerySet[OrderLine]:
    """What the station must make now, oldest first."""
    return _to_make(_lines().filter(station=station))


def recent_bumps(*, station: Station, limit: int = RECENT_BUMPS) -> list[OrderLine]:
    return list(
        _board_lines(station).filter(status=LineStatus.READY).order_by("-ready_at", "-id")[:limit]
    )


def age_class(line: OrderLine, now: datetime) -> str:
    """Coloured by age against the promise: ok, soon (last third), late."""
    # Against the first promise: a moved promise does not make a late plate look fine.
    promise = line.first_promised_at or line.promised_at
    if promise is None:
        return "ok"
    start = line.fired_at or line.created_at
    window = (promise - start).total_seconds()
    age = (now - start).total_seconds()
    if now >= promise:
        return "late"
    if window > 0 and age / window >= 2 / 3:
        return "soon"
    return "ok"


def age_minutes(line: OrderLine, now: datetime) -> int:
    start = line.fired_at or line.created_at
    return max(int((now - start).total_seconds() // 60), 0)


@dataclass
class Ticket:
    order: Order
    lines: list[OrderLine] = field(default_factory=list)
    age: int = 0
    age_class: str = "ok"

    @property
    def table(self) -> str:
        party = self.order.party
        return party.table.number if party else "-"

    @property
    def owner_name(self) -> str:
        return self.order.need.owner.name

    @property
    def fired_together(self) -> OrderLine | None:
        """A line standing for all when every line is of one course fired in one go:
        the board then shows course and fire time once, on the ticket."""
        first = self.lines[0] if self.lines else None
        if first is None or any(
            (x.course, x.fired_at) != (first.course, first.fired_at) for x in self.lines
        ):
            return None
        return first


def tickets(*, station: Station, now: datetime) -> list[Ticket]:
    """The station's open lines grouped per order, the oldest ticket first (one query)."""
    out: dict[int, Ticket] = {}
    rank = {"ok": 0, "soon": 1, "late": 2}
    for line in _to_make(_board_lines(station)):
        line.age = age_minutes(line, now)  # type: ignore[attr-defined]
        line.age_class = age_class(line, now)  # type: ignore[attr-defined]
        ticket = out.get(line.order_id)
        if ticket is None:
            ticket = out[line.order_id] = Ticket(order=line.order)
        ticket.lines.append(line)
        ticket.age = max(ticket.age, line.age)  # type: ignore[attr-defined]
        if rank[line.age_class] > rank[ticket.age_class]:  # type: ignore[attr-defined]
            ticket.age_class = line.age_class  # type: ignore[attr-defined]
    return list(out.values())


def runner_lines(*, staff: StaffMember) -> list[OrderLine]:
    """Plates on the pass and on their way, oldest first (one query)."""
    return list(
        _lines()
        .filter(
            business_id=staff.business_id,
            status__in=AT_THE_PASS,
            order__party__isnull=False,
        )
        .order_by("ready_at", "id")[:200]
    )


def line_for_staff(*, staff: StaffMember, line_id: int) -> OrderLine:
    line = _lines().filter(pk=line_id, business_id=staff.business_id).first()
    if line is None:
        raise NotFound(_("No such order line."))
    return line


def all_day(tickets: list[Ticket]) -> list[tuple[str, int]]:
    """How many of each item the station still has to make, most first ("all day")."""
    counts: dict[str, int] = {}
    for ticket in tickets:
        for line in ticket.lines:
            counts[line.item.name] = counts.get(line.item.name, 0) + line.quantity
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))

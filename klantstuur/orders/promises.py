"""Promised times from the station's current load and the items' preparation times.

A station makes ``capacity`` portions at once. A new line waits for the work
already queued at its station (divided by the capacity), then takes its own
preparation time, then the walk to the table. The order's promise is its
latest line. The sweep re-forecasts open lines every 30 s and, when one is
going to miss its promise, alerts the owner *before* it does and moves the
line's promise to the honest new time the guest sees.
"""

import math
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F, Sum

from klantstuur.catalog.models import CatalogItem, Station
from klantstuur.needs.journal import record

from . import events
from .models import OPEN_AT_STATION, LineStatus, OrderLine

# Minutes from the pass to the table.
WALK_MINUTES = 2
# A line is "going to miss" when its forecast is past its promise by more than this.
GRACE = timedelta(seconds=30)
SWEEP_BATCH = 500


def _ceil_minute(at: datetime) -> datetime:
    rounded = at.replace(second=0, microsecond=0)
    return rounded if rounded == at else rounded + timedelta(minutes=1)


def station_backlog(station_ids: Iterable[int]) -> dict[int, float]:
    """Minutes of queued work per station (one query)."""
    ids = {i for i in station_ids if i}
    if not ids:
        return {}
    rows = (
        OrderLine.objects.filter(station_id__in=ids, status__in=OPEN_AT_STATION)
        .values("station_id")
        .annotate(work=Sum(F("item__prep_minutes") * F("quantity")))
    )
    return {r["station_id"]: float(r["work"] or 0) for r in rows}


def promise_lines(
    items: list[tuple[CatalogItem, int, bool]], now: datetime
) -> list[datetime | None]:
    """A promise per line ``(item, quantity, held)``; held lines get theirs when fired."""
    stations: dict[int, Station] = {
        item.station.pk: item.station for item, _q, _h in items if item.station is not None
    }
    backlog: dict[int, float] = defaultdict(float, station_backlog(stations))
    out: list[datetime | None] = []
    for item, quantity, held in items:
        if held or item.station is None or not item.prep_minutes:
            out.append(None)
            continue
        station = stations[item.station.pk]
        wait = backlog[station.pk] / max(station.capacity, 1)
        backlog[station.pk] += item.prep_minutes * quantity
        minutes = wait + item.prep_minutes + WALK_MINUTES
        out.append(_ceil_minute(now + timedelta(minutes=math.ceil(minutes))))
    return out


def forecast(lines: list[OrderLine], now: datetime) -> dict[int, datetime]:
    """When each open line will really be at the table, from what is queued before it.

    ``lines`` are the open lines of one station, oldest first, with ``item`` and
    ``station`` loaded.
    """
    out: dict[int, datetime] = {}
    ahead = 0.0
    for line in lines:
        prep = float(line.item.prep_minutes * line.quantity)
        if line.status == LineStatus.IN_PROGRESS and line.started_at:
            elapsed = (now - line.started_at).total_seconds() / 60
            own = max(prep - elapsed, 0.5)
        else:
            own = prep
        capacity = max(line.station.capacity, 1) if line.station else 1
        minutes = ahead / capacity + own + WALK_MINUTES
        out[line.pk] = now + timedelta(minutes=minutes)
        ahead += own
    return out


def sweep_late_lines(now: datetime) -> int:
    """Alert the owner before a line misses its promise; give the guest the honest time —
    each time the forecast passes the time last told (issue #13: it was told once, and the
    guest then read a "new time" long gone)."""
    lines = list(
        OrderLine.objects.filter(
            status__in=OPEN_AT_STATION,
            promised_at__isnull=False,
            station__isnull=False,
        )
        .select_related("item", "station")
        .order_by("station_id", "fired_at", "id")[:SWEEP_BATCH]
    )
    by_station: dict[int, list[OrderLine]] = defaultdict(list)
    for line in lines:
        by_station[line.station_id].append(line)  # type: ignore[index]
    late: list[tuple[int, datetime]] = []
    for station_lines in by_station.values():
        for line_id, expected in forecast(station_lines, now).items():
            line = next(x for x in station_lines if x.pk == line_id)
            if expected > line.promised_at + GRACE:  # type: ignore[operator]
                late.append((line_id, _ceil_minute(expected)))
    done = 0
    for line_id, new_time in late:
        if line_late_alert(line_id=line_id, new_promised_at=new_time, now=now):
            done += 1
    return done


@transaction.atomic
def line_late_alert(*, line_id: int, new_promised_at: datetime, now: datetime) -> bool:
    line = (
        OrderLine.objects.select_for_update(of=("self",))
        .select_related("order__need", "order__party__table", "item", "station")
        .filter(pk=line_id)
        .first()
    )
    if line is None or line.status not in OPEN_AT_STATION or line.promised_at is None:
        return False
    if new_promised_at <= line.promised_at + GRACE:
        return False  # told already: the time told still holds
    was = line.promised_at
    OrderLine.objects.filter(pk=line.pk).update(
        promised_at=new_promised_at,
        first_promised_at=was if line.first_promised_at is None else F("first_promised_at"),
        late_alerted_at=now,
    )
    record(
        events.line_late(line=line, was=was, promised_at=new_promised_at),
        need=line.order.need,
        at=now,
    )
    return True

"""``klantstuur simulate terrace``, part one: a fresh terrace to play on, and the figures
counted back from the database afterwards.

The floor plan, stations, menu and staff are made through the services (there is no
API to build a restaurant); everything the evening does goes through the HTTP API
(``terrace_play``). Each run gets its own business, so its figures are its own.
"""

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.db.models import Avg

from klantstuur.accounts.services import token_create
from klantstuur.businesses.models import Role, StaffMember
from klantstuur.businesses.services import business_create, staff_create
from klantstuur.catalog.models import CatalogItem, Station
from klantstuur.floor.models import FloorSettings, Party, PartyStatus
from klantstuur.floor.services import section_create, table_create
from klantstuur.needs.models import JournalEvent, Need
from klantstuur.orders.models import Checkpoint, LineStatus, Order, OrderLine

from .restaurant import MENU

TABLES_PER_HOST = 10
# Station, name, and the tables per portion made at once (a Saturday kitchen is staffed
# for its floor: 40 tables, 20 griddle plates).
STATIONS = [("pannenkoeken", "Pannenkoeken", 2), ("drinken", "Drinken", 5), ("ijs", "IJs", 8)]


def capacity(tables_per_plate: int, tables: int) -> int:
    return max(2, tables // tables_per_plate)


@dataclass
class Terrace:
    """What the player needs: where, who (tokens, a kitchen session) and the menu."""

    slug: str
    business_id: int
    tables: list[dict[str, Any]]
    hosts: list[str]
    cooks: dict[str, str]
    runners: list[str]
    manager: str
    kitchen_session: str
    session_cookie: str
    menu: list[dict[str, Any]] = field(default_factory=list)
    stations: dict[str, int] = field(default_factory=dict)  # code -> id


def _token(member: StaffMember) -> str:
    return token_create(user=member.user, name="simulate terrace")[1]


def _session(member: StaffMember) -> str:
    """A logged-in session for the board screens (the console's streams use sessions)."""
    store = SessionStore()
    store[SESSION_KEY] = str(member.user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = member.user.get_session_auth_hash()
    store.create()
    assert store.session_key is not None
    return store.session_key


def terrace_create(*, tables: int, runners: int, organisation: str) -> Terrace:
    """A business with ``tables`` tables (2 to 6 seats), a host per ten tables, a crew per
    station, ``runners`` runners and a manager; courses fire by themselves once served."""
    tag = secrets.token_hex(3)
    slug = f"terras-{organisation}-{tag}"
    business = business_create(slug=slug, name=f"Terras ({organisation}, {tag})")
    FloorSettings.objects.create(business=business, fire_next_course_when_served=True)
    password = secrets.token_urlsafe(12)

    def staff(role: str, name: str) -> StaffMember:
        email = f"{name.lower().replace(' ', '.')}@{slug}.example"
        return staff_create(business=business, email=email, name=name, role=role, password=password)

    manager = staff(Role.MANAGER, "Manager")
    hosts = [staff(Role.HOST, f"Host {n + 1}") for n in range(max(1, -(-tables // 10)))]
    cooks: dict[str, StaffMember] = {}
    stations: dict[str, Station] = {}
    for position, (code, name, per) in enumerate(STATIONS):
        stations[code] = Station.objects.create(
            business=business,
            code=code,
            name=name,
            capacity=capacity(per, tables),
            position=position,
        )
        cooks[code] = staff(Role.KITCHEN, f"Crew {name}")
        stations[code].members.add(cooks[code])
    crew_runners = [staff(Role.RUNNER, f"Runner {n + 1}") for n in range(max(1, runners))]
    out_tables = []
    for n in range(tables):
        host = hosts[n // TABLES_PER_HOST]
        if n % TABLES_PER_HOST == 0:
            section = section_create(business=business, name=f"Sectie {n // 10 + 1}", host=host)
        seats = (2, 4, 4, 6, 4)[n % 5]
        table = table_create(section=section, number=str(n + 1), seats=seats, x=n % 8, y=n // 8)
        out_tables.append({"number": table.number, "seats": seats, "host": n // TABLES_PER_HOST})
    menu = []
    for code, name, price, prep, course in MENU:
        item = CatalogItem.objects.create(
            business=business,
            name=name,
            price_cents=price,
            station=stations[code],
            prep_minutes=prep,
            course=course,
        )
        menu.append({"id": item.pk, "name": name, "course": course, "prep": prep, "price": price})
    return Terrace(
        slug=slug,
        business_id=business.pk,
        tables=out_tables,
        hosts=[_token(h) for h in hosts],
        cooks={code: _token(m) for code, m in cooks.items()},
        runners=[_token(r) for r in crew_runners],
        manager=_token(manager),
        kitchen_session=_session(manager),
        session_cookie=settings.SESSION_COOKIE_NAME,
        menu=menu,
        stations={code: station.pk for code, station in stations.items()},
    )


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return round(ordered[index], 1)


def terrace_figures(*, business_id: int, speed: float) -> dict[str, Any]:
    """Counted back in the database: lines, served, waits (in simulated minutes), late
    lines (served after their promise), prevented wrong deliveries and the parties'
    experience index."""
    lines = list(
        OrderLine.objects.filter(business_id=business_id).values_list(
            "status", "created_at", "fired_at", "served_at", "first_promised_at"
        )
    )
    waits = []
    late = 0
    for status, created, fired, served, promised in lines:
        if status != LineStatus.SERVED or served is None:
            continue
        start = fired or created
        wait = (served - start).total_seconds() * speed / 60
        waits.append(wait)
        # The promise is the server's plan in minutes (prep time and the station's queue);
        # the evening runs ``speed`` times faster, so its wait is compared in those minutes.
        if promised is not None and wait > (promised - start).total_seconds() / 60:
            late += 1
    need_ids = Party.objects.filter(business_id=business_id).values_list("need_id", flat=True)
    index = Need.objects.filter(pk__in=need_ids, experience_index__isnull=False).aggregate(
        avg=Avg("experience_index")
    )["avg"]
    return {
        "guests": sum(
            Party.objects.filter(business_id=business_id).values_list("seats", flat=True)
        ),
        "lines": len(lines),
        "served": sum(1 for x in lines if x[0] == LineStatus.SERVED),
        "wrong_deliveries_prevented": Checkpoint.objects.filter(
            order__business_id=business_id,
            code__in=("wrong_delivery_prevented", "wrong_seat_prevented"),
        ).count(),
        "wait_minutes_p50": _percentile(waits, 0.50),
        "wait_minutes_p95": _percentile(waits, 0.95),
        "late_lines": late,
        "experience_index": round(index, 3) if index is not None else None,
    }


def live_missed(
    *, business_id: int, received: dict[str, set[int]], windows: dict[str, list[float]]
) -> dict[str, int]:
    """Counted against the journal: the events each open screen had to hear (routed to its
    channel, written while it was subscribed) and how many of them it did not."""
    from klantstuur.live.channels import route

    opened = [w[0] for w in windows.values() if w[0]]
    if not opened:
        return {"live_events_expected": 0, "live_events_missed": 0}
    since = datetime.fromtimestamp(min(opened), tz=UTC)
    events = list(JournalEvent.objects.filter(business_id=business_id, at__gte=since))
    order_ids = {e.data["order_id"] for e in events if (e.data or {}).get("order_id")}
    parties: dict[int, int | None] = dict(
        Order.objects.filter(pk__in=order_ids).values_list("pk", "party_id")
    )
    expected = missed = 0
    for event in events:
        at = event.at.timestamp()
        for channel in route(event, parties)[0]:
            window = windows.get(channel)
            # Within the window, with a second's grace at its end (the last event of a
            # service may still be on its way when the screens are closed).
            if window and window[0] and window[0] <= at <= window[1] - 1.0:
                expected += 1
                missed += event.pk not in received.get(channel, set())
    return {"live_events_expected": expected, "live_events_missed": missed}


def plates_checked(*, business_id: int, intended: dict[int, int]) -> dict[str, int]:
    """Counted in the database: served plates whose seat is not the seat the guest
    ordered for (``intended``: line id -> seat, from the simulated guests), plates served
    with no seat on record (nobody can tell whose they were), lines neither served nor
    voided, and parties still at their table after the service."""
    served = OrderLine.objects.filter(business_id=business_id, status=LineStatus.SERVED)
    wrong = sum(
        1
        for pk, seat in served.filter(seat__isnull=False).values_list("pk", "seat")
        if intended.get(pk) != seat
    )
    return {
        "wrong_plates_in_db": wrong,
        "served_without_seat": served.filter(seat__isnull=True).count(),
        "lines_left_open": OrderLine.objects.filter(business_id=business_id)
        .exclude(status__in=(LineStatus.SERVED, LineStatus.CANCELLED))
        .count(),
        "parties_still_seated": Party.objects.filter(business_id=business_id)
        .exclude(status=PartyStatus.LEFT)
        .count(),
    }

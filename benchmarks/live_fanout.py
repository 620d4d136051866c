"""Live fan-out benchmark: N open screens, orders arriving at R per second.

Half the screens are station boards (staff session, ``/console/floor/stations/
<code>/stream/``), half are guest pages (``/guest/<token>/stream/``), each
guest page for its own seated party. Orders arrive through the API at R per
second, round robin over those parties, one pancake each; every order is
bumped as soon as it is placed. Two checkpoints per order reach screens:
``order_received`` (boards + that party's guest page) and ``line_ready``
(boards + guest page).

Measured at the listeners, per checkpoint and per screen:

* ``checkpoint→screen``: from the checkpoint's own time (``at`` in the SSE
  message, taken inside the writing transaction, so it includes the commit)
  to the message arriving at the screen. Same machine, same clock.
* ``request→screen``: from sending the write request to arrival (includes
  the HTTP request itself).

Run against a running server (loopback only); the script prepares its own
data in the server's database (a bench section with tables, parties, a
manager token and session) and stops by itself:

    # SQLite, one process
    KLANTSTUUR_DATA_DIR=/tmp/bench-live klantstuur demo --port 8790 &   # or: serve
    KLANTSTUUR_DATA_DIR=/tmp/bench-live python benchmarks/live_fanout.py \\
        --base http://127.0.0.1:8790

    # PostgreSQL, two server processes (uvicorn --workers 2) on one database
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/klantstuur_bench_floor
    klantstuur migrate && klantstuur demo_load  # or run `klantstuur demo` once
    klantstuur serve --port 8791 --workers 2 &
    python benchmarks/live_fanout.py --base http://127.0.0.1:8791

Needs ``httpx`` (a dev dependency). Prints one JSON object.
"""

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from datetime import datetime
from typing import Any

import httpx

BUSINESS = "pannenkoekenboom"
MANAGER = "manager@pannenkoekenboom.example"


def prepare(parties: int) -> dict[str, Any]:
    """Seat ``parties`` bench parties and make a manager token and session (in-process Django)."""
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "klantstuur.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.test import Client

    from klantstuur.accounts.services import token_for_email
    from klantstuur.businesses.models import Business, StaffMember
    from klantstuur.catalog.models import CatalogItem
    from klantstuur.floor.models import Party, PartyStatus, Section, Table
    from klantstuur.floor.services import party_seat, section_create, table_create

    settings.ALLOWED_HOSTS = ["*"]
    business = Business.objects.get(slug=BUSINESS)
    manager = StaffMember.objects.get(business=business, user__email=MANAGER)
    section = Section.objects.filter(business=business, name="Bench").first()
    if section is None:
        section = section_create(business=business, name="Bench", host=None)
    seated = []
    for n in range(1, parties + 1):
        table = Table.objects.filter(business=business, number=f"B{n}").first()
        if table is None:
            table = table_create(section=section, number=f"B{n}", seats=4, x=n, y=9)
        party = Party.objects.filter(table=table).exclude(status=PartyStatus.LEFT).first()
        if party is None:
            party = party_seat(business=business, table=table, seats=2, actor_staff=manager)
        seated.append({"id": party.pk, "token": party.guest_token})
    item = CatalogItem.objects.filter(
        business=business, station__code="pannenkoeken", active=True
    ).first()
    assert item is not None, "the demo menu is missing"
    client = Client()
    client.force_login(manager.user, backend="django.contrib.auth.backends.ModelBackend")
    return {
        "token": token_for_email(email=MANAGER, business_slug=BUSINESS),
        "cookie": {
            settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value
        },
        "item": item.pk,
        "station": "pannenkoeken",
        "parties": seated,
        "database": settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1],
    }


Arrival = tuple[str, int, float, float]  # code, line or order id, wall clock, perf counter


async def listen(
    client: httpx.AsyncClient,
    url: str,
    arrivals: list[Arrival],
    ready: asyncio.Event,
    stop: asyncio.Event,
) -> None:
    try:
        await _listen(client, url, arrivals, ready, stop)
    except (httpx.HTTPError, OSError) as exc:
        if not stop.is_set():
            broken.append(f"{url.rsplit('/', 3)[-3]}: {type(exc).__name__}")


broken: list[str] = []


async def _listen(
    client: httpx.AsyncClient,
    url: str,
    arrivals: list[Arrival],
    ready: asyncio.Event,
    stop: asyncio.Event,
) -> None:
    async with client.stream("GET", url, timeout=httpx.Timeout(10.0, read=None)) as response:
        response.raise_for_status()
        async for line in response.aiter_lines():
            if stop.is_set():
                return
            if line.startswith("event: hello"):
                ready.set()
            elif line.startswith("data: ") and line != "data: {}":
                now_wall, now_perf = time.time(), time.perf_counter()
                message = json.loads(line[6:])
                code = message.get("code")
                if code == "line_ready" and message.get("line_id"):
                    key = message["line_id"]
                elif code == "order_received" and message.get("order_id"):
                    key = message["order_id"]
                else:
                    continue
                at = datetime.fromisoformat(message["at"]).timestamp()
                arrivals.append((code, key, now_wall - at, now_perf))


def summary(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p50_ms": None, "p95_ms": None, "p99_ms": None, "max_ms": None}
    values = sorted(v * 1000 for v in values)

    def pct(p: float) -> float:
        return round(values[min(int(len(values) * p), len(values) - 1)], 1)

    return {
        "p50_ms": round(statistics.median(values), 1),
        "p95_ms": pct(0.95),
        "p99_ms": pct(0.99),
        "max_ms": round(values[-1], 1),
    }


async def run(args: argparse.Namespace, setup: dict[str, Any]) -> dict[str, Any]:
    if not args.base.startswith(("http://127.0.0.1", "http://localhost")):
        raise SystemExit("loopback only")
    boards = args.screens // 2
    guests = args.screens - boards
    parties = setup["parties"][:guests]
    arrivals: list[Arrival] = []
    sent_order: dict[int, float] = {}  # order id -> perf counter when its POST was sent
    sent_bump: dict[int, float] = {}  # line id -> perf counter when the bump was sent
    screens_for_order: dict[int, int] = {}
    errors: list[str] = []
    write_times: list[float] = []
    stop = asyncio.Event()
    limits = httpx.Limits(max_connections=args.screens + 50, max_keepalive_connections=50)
    async with (
        httpx.AsyncClient(cookies=setup["cookie"], limits=limits) as screens,
        httpx.AsyncClient(
            headers={"Authorization": f"Bearer {setup['token']}"},
            limits=limits,
            timeout=30.0,
        ) as write,
    ):
        urls = [f"{args.base}/console/floor/stations/{setup['station']}/stream/"] * boards
        urls += [f"{args.base}/guest/{p['token']}/stream/" for p in parties]
        readies = [asyncio.Event() for _ in urls]
        tasks = [
            asyncio.create_task(listen(screens, u, arrivals, r, stop))
            for u, r in zip(urls, readies, strict=True)
        ]
        await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), 30)
        await asyncio.sleep(0.5)

        async def one(n: int) -> None:
            try:
                await _one(n)
            except httpx.HTTPError as exc:
                errors.append(f"{type(exc).__name__}")

        async def _one(n: int) -> None:
            party = parties[n % len(parties)]
            started = time.perf_counter()
            r = await write.post(
                f"{args.base}/api/v1/orders",
                json={"party_id": party["id"], "lines": [{"item": setup["item"], "seat": 1}]},
            )
            if r.status_code != 201 and r.status_code != 200:
                errors.append(f"order {r.status_code} {r.text[:200]}")
                return
            body = r.json()
            sent_order[body["id"]] = started
            write_times.append(time.perf_counter() - started)
            screens_for_order[body["id"]] = boards + 1
            line_id = body["lines"][0]["id"]
            sent_bump[line_id] = time.perf_counter()
            b = await write.post(f"{args.base}/api/v1/order-lines/{line_id}/ready")
            write_times.append(time.perf_counter() - sent_bump[line_id])
            if b.status_code != 200:
                errors.append(f"bump {b.status_code} {b.text[:200]}")

        pending: list[asyncio.Task[None]] = []
        interval = 1 / args.rate
        begin = time.perf_counter()
        n = 0
        while time.perf_counter() - begin < args.seconds:
            pending.append(asyncio.create_task(one(n)))
            n += 1
            await asyncio.sleep(max(begin + n * interval - time.perf_counter(), 0))
        await asyncio.wait_for(asyncio.gather(*pending), 120)
        await asyncio.sleep(2)  # let the last messages arrive
        stop.set()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        elapsed = time.perf_counter() - begin

    checkpoint_screen = [lat for _, _, lat, _ in arrivals]
    request_screen = []
    for code, key, _lat, perf in arrivals:
        sent = (sent_order if code == "order_received" else sent_bump).get(key)
        if sent is not None:
            request_screen.append(perf - sent)
    expected = 2 * sum(screens_for_order.values())
    return {
        "database": setup["database"],
        "base": args.base,
        "screens": {"boards": boards, "guest_pages": len(parties)},
        "orders": len(sent_order),
        "orders_per_second": round(len(sent_order) / args.seconds, 2),
        "elapsed_s": round(elapsed, 1),
        "checkpoints": 2 * len(sent_order),
        "deliveries": len(arrivals),
        "expected_deliveries": expected,
        "errors": errors[:5],
        "error_count": len(errors),
        "broken_streams": len(broken),
        "write_latency": summary(write_times),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "checkpoint_to_screen": summary(checkpoint_screen),
        "request_to_screen": summary(request_screen),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base", default="http://127.0.0.1:8790")
    parser.add_argument("--screens", type=int, default=40)
    parser.add_argument("--rate", type=float, default=5.0)
    parser.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args()
    setup = prepare(max(args.screens - args.screens // 2, 1))
    result = asyncio.run(run(args, setup))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()

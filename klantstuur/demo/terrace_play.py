"""``klantstuur simulate terrace``, part two: a busy service played through the HTTP API.

Parties arrive, are seated, order (per seat, or — the article's pancake terrace,
``process`` — without seats, taken by whoever is free), courses fire, the stations
start and bump at their pace, runners carry plates (``process``: choosing the table by
guesswork and the seat at random), guests ask for the bill, pay, rate and leave. Time
runs ``speed`` times faster than the clock. Open screens — each station's board and
every guest page — listen to their live streams and refetch their fragment as a
browser does; the time from the journal event to the refetched fragment is the
live-update latency.
"""

import asyncio
import contextlib
import json
import random
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx

from .terrace_setup import STATIONS, Terrace, capacity

WALK_MINUTES = 0.5  # from the pass to the table
EAT_MINUTES = 12.0
WRONG_TABLE_GUESS = 0.2  # process: the runner's guess of the table is wrong this often
# A plate's last step at the table: the host looks at the bill again after one.
PLATE_DONE = frozenset({"line_served"})
# Steps the screen shows but that bring its crew no new work (their own taps, the plates
# leaving): the crew reads its list again on anything else (new tickets, a fired course, a
# recall, a plate put on the pass) or when its own timer says so.
NO_NEW_WORK = {
    "station": frozenset({"line_in_progress", "line_ready", "line_on_its_way", "line_served"}),
    "runner": frozenset({"line_on_its_way", "line_served"}),
}
# A screen refetches this long after the last of a burst of messages (live.js: 25 ms).
DEBOUNCE = 0.025
KEEPALIVE = 2.0  # seconds an idle connection is kept


@dataclass
class Options:
    base: str
    tables: int
    minutes: float
    speed: float
    organisation: str
    runners: int
    kitchen_speed: float = 1.0
    seed: int = 13


@dataclass
class Stats:
    wrong_made: int = 0
    prevented_seen: int = 0
    errors: list[str] = field(default_factory=list)
    # Live updates: the event's commit -> its screen's refetched fragment has arrived.
    latencies_ms: list[float] = field(default_factory=list)
    # Per screen kind ("board": the stations and the pass; "guest": the guest pages).
    by_screen: dict[str, list[float]] = field(default_factory=dict)
    # The same from the event's own ``at`` (taken inside its transaction, before the commit).
    from_event_ms: list[float] = field(default_factory=list)
    # The same, only to the stream's message (before the screen refetches its fragment).
    arrivals_ms: list[float] = field(default_factory=list)
    # Per live channel: the journal events its screen heard, and when it was open.
    received: dict[str, set[int]] = field(default_factory=dict)
    # Line id -> the seat of the guest who asked for it (checked against the database).
    intended: dict[int, int] = field(default_factory=dict)
    windows: dict[str, list[float]] = field(default_factory=dict)
    # Diagnostics: each fragment GET's own duration; message arrival -> its GET starts;
    # how late the simulator's own event loop wakes up (the measuring client's delay).
    fetch_ms: list[float] = field(default_factory=list)
    queued_ms: list[float] = field(default_factory=list)
    loop_lag_ms: list[float] = field(default_factory=list)


class Player:
    def __init__(self, terrace: Terrace, options: Options) -> None:
        self.t = terrace
        self.o = options
        self.stats = Stats()
        self.rng = random.Random(options.seed)
        self.start = time.monotonic()
        self.stop = asyncio.Event()
        self.claimed: set[int] = set()
        # line id -> the seat of the guest who asked for it (``process`` posts no seats)
        self.intended = self.stats.intended
        self.seats_of: dict[str, int] = {t["number"]: t["seats"] for t in terrace.tables}
        # What each table lived through, for the guests' rating: wrong plates, waits.
        self.wrong_at: dict[str, int] = {}
        self.menu = {m["name"]: m for m in terrace.menu}
        # Idle connections are dropped before the server's keep-alive timeout (uvicorn: 5 s),
        # so a request never goes out on a connection the server is closing.
        self.http = httpx.AsyncClient(
            base_url=options.base,
            timeout=30,
            limits=httpx.Limits(
                max_connections=40, max_keepalive_connections=40, keepalive_expiry=KEEPALIVE
            ),
        )
        # The open screens' refetches: each screen is its own browser, so none waits for a
        # connection of the simulated staff's calls (or of another screen).
        self.screen_http = httpx.AsyncClient(
            base_url=options.base,
            timeout=30,
            limits=httpx.Limits(max_connections=None, keepalive_expiry=KEEPALIVE),
        )
        self.streams = httpx.AsyncClient(
            base_url=options.base, timeout=httpx.Timeout(None), limits=httpx.Limits()
        )
        self.screens: list[asyncio.Task[None]] = []
        self.events: dict[str, asyncio.Event] = {}
        self.plates: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    # --- time ------------------------------------------------------------------------

    def now(self) -> float:
        """Simulated minutes since the start."""
        return (time.monotonic() - self.start) * self.o.speed / 60

    async def sleep(self, minutes: float) -> None:
        await asyncio.sleep(max(minutes, 0) * 60 / self.o.speed)

    # --- the API -----------------------------------------------------------------------

    async def call(
        self,
        method: str,
        path: str,
        token: str,
        body: Any = None,
        ok: tuple[int, ...] = (200, 201),
        quiet: tuple[int, ...] = (),
    ) -> httpx.Response | None:
        """One request; anything but ``ok`` (or an expected ``quiet`` refusal) is an error."""
        try:
            r = await self.http.request(
                method,
                "/api/v1" + path,
                json=body,
                headers={"Authorization": f"Bearer {token}"},
            )
        except httpx.HTTPError as exc:
            self.stats.errors.append(f"{method} {path}: {exc!r}")
            return None
        if r.status_code not in ok and r.status_code not in quiet:
            self.stats.errors.append(f"{method} {path}: {r.status_code} {r.text[:200]}")
        return r

    async def _get(
        self, path: str, cookies: dict[str, str], client: httpx.AsyncClient
    ) -> httpx.Response:
        """A GET, once more when a kept-alive connection was closed under it."""
        try:
            return await client.get(path, cookies=cookies)
        except (httpx.ReadError, httpx.RemoteProtocolError):
            return await client.get(path, cookies=cookies)

    # --- screens ------------------------------------------------------------------------

    def changed(self, key: str) -> asyncio.Event:
        """Set when the screen ``key`` (a station, the pass, a party) was told of a change."""
        return self.events.setdefault(key, asyncio.Event())

    async def wait_change(self, key: str, minutes: float) -> None:
        """Until the screen shows a change, or ``minutes`` (simulated) have passed."""
        event = self.changed(key)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), timeout=max(minutes, 0.01) * 60 / self.o.speed)
        event.clear()

    def screen(
        self, stream: str, fragment: str, cookies: dict[str, str], key: str, channel: str
    ) -> None:
        """``key``: who acts on it (a station, the pass, a party); ``channel``: the live
        channel it listens to, for counting the events it heard against the journal."""
        self.screens.append(
            # Each screen is a browser of its own, with its own cookie jar.
            asyncio.create_task(self._screen(stream, fragment, dict(cookies), key, channel))
        )

    async def _refetch(
        self, fragment: str, cookies: dict[str, str], kind: str, pending: Any, again: Any
    ) -> None:
        """Fetch the fragment, once more while a message's debounce ran out meanwhile
        (``live.js``: one fetch at a time, then one more for whatever was asked during it)."""
        while pending:
            again.clear()
            taken = list(pending)
            pending.clear()
            began = time.time()
            self.stats.queued_ms += [(began - arrived) * 1000 for _a, _s, arrived in taken]
            try:
                r = await self._get(fragment, cookies, self.screen_http)
                r.raise_for_status()
                # Kept as a browser keeps them: the CSRF cookie is ``Secure``, which httpx
                # never sends back over plain HTTP, so the server would make a new CSRF
                # secret for every refetch where a browser (over HTTPS) reuses its one.
                cookies.update(r.cookies.items())
            except httpx.HTTPError as exc:
                if not self.stop.is_set():
                    self.stats.errors.append(f"GET {fragment}: {exc!r}")
                continue
            done = time.time()
            self.stats.fetch_ms.append((done - began) * 1000)
            for at, sent, _arrived in taken:
                self.stats.latencies_ms.append((done - sent) * 1000)
                self.stats.by_screen.setdefault(kind, []).append((done - sent) * 1000)
                self.stats.from_event_ms.append((done - at) * 1000)
            if not again.is_set():
                return

    async def _screen(
        self, stream: str, fragment: str, cookies: dict[str, str], key: str, channel: str
    ) -> None:
        kind = "guest" if key.startswith("party:") else "board"
        pending: list[tuple[float, float, float]] = []
        fetch: asyncio.Task[None] | None = None
        again = asyncio.Event()  # asked for while a fetch was in flight
        timer: asyncio.TimerHandle | None = None

        def refresh() -> None:
            nonlocal fetch
            if fetch is None or fetch.done():
                fetch = asyncio.create_task(self._refetch(fragment, cookies, kind, pending, again))
            else:
                again.set()

        heard = self.stats.received.setdefault(channel, set())
        window = self.stats.windows.setdefault(channel, [0.0, 0.0])
        try:
            async with self.streams.stream("GET", stream, cookies=cookies) as r:
                async for line in r.aiter_lines():
                    if self.stop.is_set():
                        return
                    if line.startswith("event: hello"):
                        window[0] = time.time()  # subscribed: every later event must come
                    if not line.startswith('data: {"event"'):
                        continue
                    now = time.time()
                    message = json.loads(line[6:])
                    at = datetime.fromisoformat(message["at"]).timestamp()
                    # ``sent``: right after the commit (live.channels); ``at`` is earlier,
                    # inside the writing transaction.
                    sent = float(message.get("sent") or at)
                    heard.add(message["event"])
                    self.stats.arrivals_ms.append((now - sent) * 1000)
                    pending.append((at, sent, now))
                    if message.get("code") not in NO_NEW_WORK.get(key.split(":")[0], ()):
                        self.changed(key).set()
                    if message.get("code") in PLATE_DONE:
                        self.changed(f"{key}:served").set()
                    # As live.js: a burst of messages is one refetch, DEBOUNCE after the last.
                    if timer is not None:
                        timer.cancel()
                    timer = asyncio.get_running_loop().call_later(DEBOUNCE, refresh)
        except httpx.HTTPError as exc:
            if not self.stop.is_set():
                self.stats.errors.append(f"stream {stream}: {exc!r}")
        finally:
            window[1] = time.time()
            if timer is not None:
                timer.cancel()
            if fetch is not None:
                fetch.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await fetch

    # --- the kitchen ------------------------------------------------------------------

    async def station(self, code: str, capacity: int) -> None:
        """The crew looks at its board when it changes, starts what fits, bumps what is done."""
        token = self.t.cooks[code]
        cooking: dict[int, float] = {}
        while not self.stop.is_set():
            r = await self.call("GET", f"/stations/{code}/tickets?limit=100", token)
            items = r.json()["items"] if r is not None and r.status_code == 200 else []
            for line in items:
                if line["status"] == "received" and len(cooking) < capacity:
                    # 409: voided at the table since the board was read (the end of service).
                    path = f"/order-lines/{line['id']}/start"
                    started = await self.call("POST", path, token, quiet=(409,))
                    if started is not None and started.status_code == 200:
                        prep = self.menu[line["item"]]["prep"] * line["quantity"] ** 0.5
                        cooking[line["id"]] = self.now() + prep * self.o.kitchen_speed
            for line_id, ready_at in list(cooking.items()):
                if self.now() >= ready_at:
                    # 409: voided at the table meanwhile.
                    await self.call("POST", f"/order-lines/{line_id}/ready", token, quiet=(409,))
                    del cooking[line_id]
            next_ready = min(cooking.values(), default=self.now() + 2) - self.now()
            await self.wait_change(f"station:{code}", min(next_ready, 2.0))

    # --- the runners --------------------------------------------------------------------

    async def dispatch(self) -> None:
        """The pass: plates put out are handed to the next free runner."""
        while not self.stop.is_set():
            r = await self.call("GET", "/runner/plates", self.t.runners[0])
            plates = r.json()["items"] if r is not None and r.status_code == 200 else []
            for plate in plates:
                if plate["status"] == "ready" and plate["id"] not in self.claimed:
                    self.claimed.add(plate["id"])
                    self.plates.put_nowait(plate)
            await self.wait_change("runner", 2.0)

    async def runner(self, token: str) -> None:
        while not self.stop.is_set():
            plate = await self.plates.get()
            taken = await self.call(
                "POST", f"/order-lines/{plate['id']}/pick-up", token, quiet=(409,)
            )
            if taken is None or taken.status_code != 200:
                continue
            await self.sleep(WALK_MINUTES)
            await self.deliver(token, plate)

    async def deliver(self, token: str, plate: dict[str, Any]) -> None:
        path = f"/order-lines/{plate['id']}/delivered"
        table = plate["table"]
        if self.o.organisation == "steered":
            # 409 only for a plate voided while carried (a party closed at the end of service).
            await self.call(
                "POST", path, token, {"table": table, "seat": plate["seat"]}, quiet=(409,)
            )
            return
        # The pancake terrace: the table by guesswork, the seat at random.
        if self.rng.random() < WRONG_TABLE_GUESS:
            others = [n for n in self.seats_of if n != table]
            wrong = await self.call(
                "POST", path, token, {"table": self.rng.choice(others)}, ok=(409,)
            )
            if wrong is not None and wrong.status_code == 409:
                self.stats.prevented_seen += 1
            await self.sleep(WALK_MINUTES)
        seat = plate["seat"] or self.rng.randint(1, self.seats_of[table])
        done = await self.call("POST", path, token, {"table": table, "seat": seat}, quiet=(409,))
        intended = self.intended.get(plate["id"])
        if done is not None and done.status_code == 200 and intended and intended != seat:
            self.stats.wrong_made += 1
            self.wrong_at[table] = self.wrong_at.get(table, 0) + 1

    # --- a party's evening ------------------------------------------------------------

    def _lines(self, seats: int, course_names: list[str]) -> list[tuple[int, str]]:
        """(seat, item name) per guest: each picks one of each course in ``course_names``."""
        by_course: dict[str, list[str]] = {}
        for name, m in self.menu.items():
            by_course.setdefault(m["course"], []).append(name)
        out = []
        for seat in range(1, seats + 1):
            for course in course_names:
                if course == "dessert" and self.rng.random() > 0.6:
                    continue
                out.append((seat, self.rng.choice(by_course[course])))
        return out

    async def order(self, party: dict[str, Any], host: str, picks: list[tuple[int, str]]) -> None:
        if not picks:
            return  # nobody wanted anything (no dessert tonight)
        steered = self.o.organisation == "steered"
        lines = [
            {"item": self.menu[name]["id"], **({"seat": seat} if steered else {})}
            for seat, name in picks
        ]
        r = await self.call("POST", "/orders", host, {"party_id": party["id"], "lines": lines})
        if r is not None and r.status_code == 201:
            for (seat, _name), line in zip(picks, r.json()["lines"], strict=True):
                self.intended[line["id"]] = seat

    async def served(self, party_id: int, host: str) -> dict[str, Any]:
        """Wait until nothing of the party is still being made; its bill."""
        while True:
            r = await self.call("GET", f"/floor/parties/{party_id}/bill", host)
            bill = r.json() if r is not None and r.status_code == 200 else {"lines": []}
            if all(x["status"] in ("served", "cancelled") for x in bill["lines"]):
                return bill
            if self.now() > self.o.minutes * 5:
                return bill  # the kitchen never caught up: closed with what is open voided
            # The host looks again when a plate reaches the table (the guest page's stream
            # says so), not at every step of every plate.
            await self.wait_change(f"party:{party_id}:served", 5.0)

    async def party(self, table: dict[str, Any], arrive: float) -> None:
        await self.sleep(arrive - self.now())
        steered = self.o.organisation == "steered"
        owner = self.t.hosts[table["host"]]

        def anyone() -> str:  # process: whoever is free
            return owner if steered else self.rng.choice(self.t.hosts)

        r = await self.call(
            "POST", "/floor/parties", owner, {"table": table["number"], "seats": table["seats"]}
        )
        if r is None or r.status_code != 201:
            return
        party = r.json()
        guest = party["guest_url"].rstrip("/").rsplit("/", 1)[-1]
        key = f"party:{party['id']}"
        self.screen(f"/guest/{guest}/stream/", f"/guest/{guest}/live/", {}, key, key)
        await self.sleep(2.0)
        ordered = self.now()
        first = ["drinks", "main", "dessert"] if steered else ["drinks", "main"]
        await self.order(party, anyone(), self._lines(table["seats"], first))
        bill = await self.served(party["id"], owner)
        waited = self.now() - ordered
        if steered and self.rng.random() < 0.3:
            # An extra coffee from the phone, at the right seat.
            coffee = {"item": self.menu["Koffie"]["id"], "seat": 1}
            r = await self.call("POST", "/me/orders", guest, {"lines": [coffee]})
            if r is not None and r.status_code == 201:
                for line in r.json()["lines"]:
                    self.intended[line["id"]] = 1
        elif not steered:
            await self.order(party, anyone(), self._lines(table["seats"], ["dessert"]))
        bill = await self.served(party["id"], owner)
        await self.sleep(EAT_MINUTES)
        await self.close(party, guest, owner, bill, waited=waited, table=table["number"])

    async def close(
        self, party: dict[str, Any], guest: str, owner: str, bill: Any, *, waited: float, table: str
    ) -> None:
        steered = self.o.organisation == "steered"
        await self.call("POST", "/me/party/bill", guest)
        # The owner is told at once; on the pancake terrace nobody owns the party.
        bill_wait = self.rng.uniform(1, 3) if steered else self.rng.uniform(4, 12)
        await self.sleep(bill_wait)
        r = await self.call("GET", f"/floor/parties/{party['id']}/bill", owner)
        bill = r.json() if r is not None and r.status_code == 200 else bill
        url = f"/floor/parties/{party['id']}/payments"
        for s in bill["seats"] if steered else []:
            if s["due_cents"] > 0:
                body = {"amount_cents": s["due_cents"], "method": self.rng.choice(["card", "cash"])}
                await self.call(
                    "POST", url, owner, {**body, "seats": [s["seat"]]} if s["seat"] else body
                )
        r = await self.call("GET", f"/floor/parties/{party['id']}/bill", owner)
        due = r.json()["due_cents"] if r is not None and r.status_code == 200 else 0
        if due > 0:
            await self.call(
                "POST", url, owner, {"amount_cents": due, "method": "card", "tip_cents": 200}
            )
        # The guests' rating follows what they lived through.
        rating = 5 - (waited > 25) - (waited > 40) - (bill_wait > 8) - (table in self.wrong_at)
        await self.rate(guest, max(rating, 1))
        still_open = any(x["status"] not in ("served", "cancelled") for x in bill["lines"])
        leave = {"void_open_lines": True, "reason": "end of service"} if still_open else {}
        await self.call("POST", f"/floor/parties/{party['id']}/leave", owner, leave)

    async def rate(self, guest: str, rating: int) -> None:
        r = await self.call("GET", "/me/orders", guest)
        orders = r.json()["items"] if r is not None and r.status_code == 200 else []
        for found in orders[:1]:
            await self.call(
                "POST",
                "/me/feedback",
                guest,
                {"order_id": found["id"], "touchpoint": "served", "rating": rating},
                quiet=(409,),
            )

    # --- the evening ----------------------------------------------------------------------

    async def watch_lag(self) -> None:
        """How late this process's own event loop wakes up (it is the measuring client)."""
        while not self.stop.is_set():
            asked = time.monotonic()
            await asyncio.sleep(0.05)
            self.stats.loop_lag_ms.append((time.monotonic() - asked - 0.05) * 1000)

    async def run(self) -> Stats:
        cookies = {self.t.session_cookie: self.t.kitchen_session}
        for code, _name, _capacity in STATIONS:
            base = f"/console/floor/stations/{code}"
            channel = f"station:{self.t.stations[code]}"
            self.screen(base + "/stream/", base + "/live/", cookies, f"station:{code}", channel)
        runner = "/console/floor/runner"
        channel = f"runner:{self.t.business_id}"
        self.screen(runner + "/stream/", runner + "/live/", cookies, "runner", channel)
        workers = [
            asyncio.create_task(self.station(code, capacity(per, self.o.tables)))
            for code, _n, per in STATIONS
        ]
        workers += [asyncio.create_task(self.runner(token)) for token in self.t.runners]
        workers.append(asyncio.create_task(self.dispatch()))
        workers.append(asyncio.create_task(self.watch_lag()))
        window = self.o.minutes * 0.4
        parties = [
            asyncio.create_task(self.party(table, self.rng.uniform(0, window)))
            for table in self.t.tables
        ]
        await asyncio.gather(*parties)
        self.stop.set()
        for task in workers + self.screens:
            task.cancel()
        await asyncio.gather(*workers, *self.screens, return_exceptions=True)
        await self.http.aclose()
        await self.screen_http.aclose()
        await self.streams.aclose()
        return self.stats


def quantile(values: list[float], q: float) -> float | None:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1) if ordered else None


def live_figures(stats: Stats) -> dict[str, Any]:
    """The live screens' figures: commit -> refetched fragment (all, boards, guest pages),
    from the event's own ``at``, to the stream's message, and where the time went."""
    boards, guests = stats.by_screen.get("board", []), stats.by_screen.get("guest", [])
    return {
        "live_latency_ms_p99": quantile(stats.latencies_ms, 0.99),
        "live_latency_ms_p50": quantile(stats.latencies_ms, 0.50),
        "live_latency_ms_p99_board": quantile(boards, 0.99),
        "live_latency_ms_p99_guest": quantile(guests, 0.99),
        "live_latency_from_event_ms_p99": quantile(stats.from_event_ms, 0.99),
        "live_updates": len(stats.latencies_ms),
        "live_updates_board": len(boards),
        "live_updates_guest": len(guests),
        "stream_latency_ms_p99": quantile(stats.arrivals_ms, 0.99),
        # Diagnostics: each fragment GET; a message's wait for the screen's fetch in
        # flight; how late the simulator's own event loop woke up.
        "fragment_fetch_ms_p50": quantile(stats.fetch_ms, 0.50),
        "fragment_fetch_ms_p99": quantile(stats.fetch_ms, 0.99),
        "queued_ms_p99": quantile(stats.queued_ms, 0.99),
        "measurer_loop_lag_ms_p99": quantile(stats.loop_lag_ms, 0.99),
    }


def play(terrace: Terrace, options: Options) -> Stats:
    """Play the service; in a thread of its own when the caller already runs an event loop."""

    def run() -> Stats:
        return asyncio.run(Player(terrace, options).run())

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return run()
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()

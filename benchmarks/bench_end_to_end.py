"""End to end (issue #10): needs created over the API at a fixed rate, every deferred
reaction keeping up, on the same two cores.

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/klantstuur_bench
    .venv/bin/python benchmarks/generate.py 40000 --reset     # once
    .venv/bin/python benchmarks/bench_end_to_end.py --rate 150 --seconds 300

Starts ``klantstuur serve --workers 2`` and ``--worker-processes`` × ``klantstuur
worker`` (mail to Django's dummy backend: the ``Notification`` rows are what counts),
sets every reaction's cursor to the journal's head and waits until the worker is idle.
Then POSTs ``/api/v1/needs`` at ``--rate`` per second for ``--seconds``.

The load generator is open-loop, at a fixed rate: wrk cannot pace requests and wrk2
is not packaged by Debian, so a small asyncio client here sends request *i* at
``start + i / rate`` over ``--connections`` keep-alive connections (raw HTTP/1.1 over
asyncio streams, a few % of a core). Latency is measured from the scheduled moment,
so a server that falls behind shows it. While the load runs, every second each
reaction's lag is sampled from its cursors against the journal (``consumers.lags``:
events not yet handled, and the age of the oldest of them); after the last response,
the time until every reaction is at the journal's head is the catch-up.

Counted back in the database: every 201 has its need, exactly one ``need_opened``
event, its ``NeedFacts`` row, and every notification the rule (``mails_for``) gives
for the events written during the run is recorded exactly once, none other.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import HOST, RESULTS, Server, creation_target, database_url, django_setup, environment
from _journal import (
    lag_by_reaction,
    loadavg,
    notifications_check,
    percentile,
    start_worker,
    stop,
    wait_caught_up,
    worker_env,
)

NAME = "end-to-end"


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in lines[1:])}
    if "content-length" in headers:
        return status, await reader.readexactly(int(headers["content-length"]))
    body = b""
    while True:  # chunked
        size = int((await reader.readline()).strip(), 16)
        chunk = await reader.readexactly(size + 2)
        if size == 0:
            return status, body
        body += chunk[:-2]


def _request(token: str, customer: int, n: int) -> bytes:
    body = json.dumps(
        {"customer_id": customer, "kind": "question", "summary": f"e2e need {n}", "goal": "Vrijdag"}
    ).encode()
    return (
        f"POST /api/v1/needs HTTP/1.1\r\nHost: {HOST}\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body


async def load(
    port: int, token: str, customers: list[int], *, rate: float, seconds: int, connections: int
) -> dict[str, Any]:
    """Request i at start + i / rate; the answers, latencies and the new needs' ids."""
    total = int(rate * seconds)
    slots: asyncio.Queue[tuple[int, float] | None] = asyncio.Queue()
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    created: list[int] = []
    done_at: list[float] = []
    start = time.monotonic() + 0.2

    async def pace() -> None:
        for i in range(total):
            at = start + i / rate
            delay = at - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            slots.put_nowait((i, at))
        for _ in range(connections):
            slots.put_nowait(None)

    async def connection() -> None:
        reader, writer = await asyncio.open_connection(HOST, port)
        while (slot := await slots.get()) is not None:
            i, at = slot
            try:
                writer.write(_request(token, random.choice(customers), i))
                status, body = await _read_response(reader)
            except (OSError, asyncio.IncompleteReadError, ValueError):
                status, body = 0, b""
                writer.close()
                reader, writer = await asyncio.open_connection(HOST, port)
            now = time.monotonic()
            latencies.append((now - at) * 1000)
            done_at.append(now - start)
            statuses[status] = statuses.get(status, 0) + 1
            if status == 201:
                created.append(int(json.loads(body)["id"]))
        writer.close()

    await asyncio.gather(pace(), *(connection() for _ in range(connections)))
    wall = max(done_at) if done_at else float(seconds)
    per_second = [0] * (int(wall) + 1)
    for t in done_at:
        per_second[int(t)] += 1
    return {
        "requests": total,
        "statuses": statuses,
        "created": created,
        "wall_s": round(wall, 2),
        "p50_ms": percentile(latencies, 50),
        "p99_ms": percentile(latencies, 99),
        "max_ms": percentile(latencies, 100),
        "slowest_second": min(per_second[1:-1]) if len(per_second) > 2 else None,
    }


# The oldest transaction with a transaction id in *another* database of the cluster:
# ``pg_snapshot_xmin`` is cluster-wide, so events written after it start wait for it.
FOREIGN_WRITER = (
    "SELECT coalesce(extract(epoch FROM max(now() - xact_start)), 0) FROM pg_stat_activity"
    " WHERE backend_xid IS NOT NULL AND datname IS DISTINCT FROM current_database()"
)


class Sampler(threading.Thread):
    """Every second: each reaction's lag (events behind, seconds behind)."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.samples: list[dict[str, Any]] = []
        self.halt = threading.Event()

    def run(self) -> None:
        from django.db import connection

        t0 = time.monotonic()
        while not self.halt.wait(max(0.0, 1.0 - (time.monotonic() - t0) % 1.0)):
            lags = lag_by_reaction()
            with connection.cursor() as cur:  # holds back the queue of every database
                cur.execute(FOREIGN_WRITER)
                foreign = float(cur.fetchone()[0])
            self.samples.append(
                {"t": round(time.monotonic() - t0, 1), "lag": lags, "foreign_tx_s": foreign}
            )
        connection.close()

    def summary(self) -> dict[str, Any]:
        names = sorted({n for s in self.samples for n in s["lag"]})
        out = {}
        for name in names:
            secs = [s["lag"][name][1] for s in self.samples if name in s["lag"]]
            evs = [float(s["lag"][name][0]) for s in self.samples if name in s["lag"]]
            out[name] = {
                "seconds_p50": percentile(secs, 50),
                "seconds_p99": percentile(secs, 99),
                "seconds_max": percentile(secs, 100),
                "events_p50": percentile(evs, 50),
                "events_p99": percentile(evs, 99),
                "events_max": percentile(evs, 100),
                "seconds_over_2": sum(1 for x in secs if x > 2.0),
                "samples": len(secs),
            }
        foreign = [s["foreign_tx_s"] for s in self.samples]
        out["_other_databases_oldest_write_tx"] = {
            "seconds_p50": percentile(foreign, 50),
            "seconds_p99": percentile(foreign, 99),
            "seconds_max": percentile(foreign, 100),
            "events_p50": None,
            "events_p99": None,
            "events_max": None,
            "seconds_over_2": sum(1 for x in foreign if x > 2.0),
            "samples": len(foreign),
        }
        return out

    def series(self, name: str) -> list[float]:
        """The reaction's seconds behind, one sample a second."""
        return [round(s["lag"][name][1], 2) for s in self.samples if name in s["lag"]]


def count_back(created: list[int], head: tuple[int, int]) -> dict[str, Any]:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM needs_need WHERE id = ANY(%s)", [created])
        needs = cur.fetchone()[0]
        cur.execute(
            "SELECT count(*), count(DISTINCT need_id) FROM needs_journalevent"
            " WHERE kind = 'need_opened' AND need_id = ANY(%s)",
            [created],
        )
        opened, opened_needs = cur.fetchone()
        cur.execute("SELECT count(*) FROM metrics_needfacts WHERE need_id = ANY(%s)", [created])
        facts = cur.fetchone()[0]
        cur.execute(
            "SELECT count(*), count(DISTINCT n.event_id) FROM needs_notification n"
            " JOIN needs_journalevent e ON e.id = n.event_id"
            " WHERE e.kind = 'need_opened' AND e.need_id = ANY(%s)",
            [created],
        )
        mails, mailed_events = cur.fetchone()
    rule = notifications_check(head)
    n = len(created)
    return {
        "created_201": n,
        "distinct_ids": len(set(created)),
        "needs": needs,
        "need_opened_events": opened,
        "needs_with_need_opened": opened_needs,
        "need_facts": facts,
        "need_opened_notifications": mails,
        "need_opened_events_notified": mailed_events,
        "notifications_rule": rule,
        "ok": len(set(created)) == n == needs == opened == opened_needs == facts
        and mails == mailed_events == n
        and rule["ok"],
    }


def _args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rate", type=float, default=150.0, help="needs per second offered")
    ap.add_argument("--seconds", type=int, default=300)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--web-workers", type=int, default=2)
    ap.add_argument("--worker-processes", type=int, default=1)
    ap.add_argument("--partitions", default="", help='e.g. "metrics=2,notifications=2"')
    ap.add_argument("--catch-up-timeout", type=float, default=300.0)
    ap.add_argument("--port", type=int, default=18791)
    ap.add_argument("--tag", default="", help="suffix of the result files")
    return ap.parse_args()


def main() -> None:
    args = _args()
    database_url()
    if args.partitions:
        os.environ["KLANTSTUUR_REACTION_PARTITIONS"] = args.partitions
    os.environ["EMAIL_BACKEND"] = worker_env()["EMAIL_BACKEND"]
    django_setup()
    from django.db import connection

    from klantstuur.needs import consumers, queries

    env_info = environment()
    business_id, customers, _staff, token = creation_target("bench-end-to-end")
    consumers.skip_to_head()  # what is there counts as handled: measure the new load only
    name = NAME + (f"-{args.tag}" if args.tag else "")
    logs = [RESULTS / f"{name}-worker{i}.log" for i in range(args.worker_processes)]
    for log in logs:
        log.unlink(missing_ok=True)
    workers = [start_worker(log, worker_env()) for log in logs]
    try:
        with Server(port=args.port, workers=args.web_workers, log=RESULTS / f"{name}-web.log"):
            idle = wait_caught_up(120)  # the sweeps' first events, if any
            head = queries.journal_head()
            connection.close()
            sampler = Sampler()
            load0 = loadavg()
            sampler.start()
            result = asyncio.run(
                load(
                    args.port,
                    token,
                    customers,
                    rate=args.rate,
                    seconds=args.seconds,
                    connections=args.connections,
                )
            )
            # From the last answer: how long until every reaction is at the head.
            caught = wait_caught_up(args.catch_up_timeout, poll=0.05)
            catch_up = round(caught, 2) if caught is not None else None
            sampler.halt.set()
            sampler.join()
            load1 = loadavg()
    finally:
        for w in workers:
            stop(w)
    created = result.pop("created")
    counted = count_back(created, head)
    connection.close()
    n = counted["created_201"]
    run = {
        "business": business_id,
        "offered_rate": args.rate,
        "seconds": args.seconds,
        "web_workers": args.web_workers,
        "worker_processes": args.worker_processes,
        "partitions": args.partitions or "1 each",
        "batch": consumers.batch_size(),
        "idle_before_load_s": idle,
        "sustained_per_s": round(n / result["wall_s"], 1) if result["wall_s"] else None,
        **result,
        "lag_during_load": sampler.summary(),
        "lag_samples": len(sampler.samples),
        "metrics_lag_series_s": sampler.series("metrics"),
        "other_databases_write_tx_series_s": [round(s["foreign_tx_s"], 2) for s in sampler.samples],
        "catch_up_s": catch_up,
        "count_back": counted,
        "loadavg": {"start": load0, "end": load1},
    }
    write(name, env_info, run, sys.argv)
    print(json.dumps({k: v for k, v in run.items() if "series" not in k}, indent=2))
    if not counted["ok"] or catch_up is None:
        raise SystemExit("LOST, DUPLICATED OR NOT CAUGHT UP: see the count_back above")


def write(name: str, env_info: dict[str, Any], run: dict[str, Any], argv: list[str]) -> None:
    command = "DATABASE_URL=… .venv/bin/python " + " ".join(argv)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(
        json.dumps({"environment": env_info, "command": command, "run": run}, indent=2)
    )
    metrics = run["lag_during_load"].get("metrics", {})
    rows = [
        ("offered rate (needs/s)", run["offered_rate"]),
        ("seconds", run["seconds"]),
        ("201 answers", run["count_back"]["created_201"]),
        ("other answers", {k: v for k, v in run["statuses"].items() if k != 201}),
        ("sustained (201/s)", run["sustained_per_s"]),
        ("slowest second (answers)", run["slowest_second"]),
        ("request p50 / p99 ms (from schedule)", f"{run['p50_ms']} / {run['p99_ms']}"),
        ("metrics lag p50 / p99 s", f"{metrics.get('seconds_p50')} / {metrics.get('seconds_p99')}"),
        ("metrics lag p99 events", metrics.get("events_p99")),
        ("catch-up after the last request (s)", run["catch_up_s"]),
        ("counted back ok", run["count_back"]["ok"]),
        ("loadavg start / end", f"{run['loadavg']['start']} / {run['loadavg']['end']}"),
    ]
    lines = [f"# {name}", "", f"`{command}`", "", "| figure | value |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in rows]
    lines += [
        "",
        "| reaction | lag p50 s | lag p99 s | lag max s | events p99 | samples over 2 s |",
        "|---|---|---|---|---|---|",
    ]
    for reaction, s in run["lag_during_load"].items():
        lines.append(
            f"| {reaction} | {s['seconds_p50']} | {s['seconds_p99']} | {s['seconds_max']}"
            f" | {s['events_p99']} | {s['seconds_over_2']} of {s['samples']} |"
        )
    (RESULTS / f"{name}.md").write_text("\n".join(lines) + "\n")
    print("reproduce:", command)


if __name__ == "__main__":
    main()

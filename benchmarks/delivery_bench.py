"""Delivery benchmark over HTTP against ``klantstuur serve`` on 127.0.0.1 (issue #4).

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/klantstuur_bench_delivery2
    .venv/bin/python benchmarks/delivery_generate.py 1000000      # once, set-based
    .venv/bin/python benchmarks/delivery_bench.py --reads 400 --events 5000

Reads: the tracking page ``/portal/orders/{id}/`` (a customer's session) and
``GET /api/v1/me/orders/{id}`` (that customer's token) for ``--reads`` random orders of
random customers, sequential and with 4 concurrent keep-alive connections, against
``klantstuur serve --workers 2``; p50/p95/p99. The SQL of one page view and one API call
is captured in-process and EXPLAIN ANALYZEd (written to the results file).

Ingest: ``--events`` carrier events with unique event ids posted one by one to
``POST /api/v1/carrier/events`` by ``--concurrency`` threads against
``klantstuur serve --workers 3`` (``--ingest-workers``; ``--skip-single`` leaves this out),
then the same number through ``/api/v1/carrier/events/batch`` (``--batch-size`` per
request, default 500, ``--batch-concurrency`` requests at a time, default 2; ``--repeat``
batch runs, each with its own event ids). Events go round-robin to ``--targets`` random
orders (default: ``--reads``). Each run is counted back from ``CarrierEvent`` by its
event-id prefix (nothing lost, no duplicates). Loopback only, bounded loops.
Results: benchmarks/results/delivery-<orders>.json and .md.

    # ingest only, batches of 1000, three runs:
    .venv/bin/python benchmarks/delivery_bench.py --skip-reads --skip-single --events 5000 \
        --batch-size 1000 --repeat 3
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import (
    HOST,
    RESULTS,
    Server,
    Timing,
    database_url,
    django_setup,
    environment,
    table,
)

SLUG = "bench-delivery"


def _sample(n: int) -> list[tuple[int, int]]:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "SELECT o.id, o.customer_id FROM orders_order o TABLESAMPLE SYSTEM (2) "
            "JOIN businesses_business b ON b.id = o.business_id AND b.slug = %s LIMIT %s",
            [SLUG, n * 3],
        )
        rows = cur.fetchall()
    import random

    rng = random.Random(4)
    rng.shuffle(rows)
    return rows[:n]


def _credentials(pairs: list[tuple[int, int]]) -> dict[int, tuple[str, str]]:
    """Per customer: a session cookie and an API token (same SECRET_KEY as the server)."""
    from django.test import Client

    from klantstuur.accounts.services import customer_user, token_create
    from klantstuur.customers.models import Customer

    out: dict[int, tuple[str, str]] = {}
    for cid in sorted({c for _o, c in pairs}):
        user = customer_user(customer=Customer.objects.get(pk=cid))
        web = Client()
        web.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        _, key = token_create(user=user, name="bench-delivery")
        out[cid] = (web.cookies["sessionid"].value, key)
    return out


def run(
    name: str, port: int, requests: list[tuple[str, str, dict[str, str], Any]], concurrency: int
) -> Timing:
    """(method, path, headers, body) over ``concurrency`` keep-alive connections."""
    timing = Timing(name=name, concurrency=concurrency)
    lock = threading.Lock()

    def work(chunk: list[tuple[str, str, dict[str, str], Any]]) -> None:
        conn = http.client.HTTPConnection(HOST, port, timeout=60)
        local: list[float] = []
        statuses: dict[int, int] = {}
        for method, path, headers, body in chunk:
            data = json.dumps(body).encode() if body is not None else None
            hdrs = dict(headers, Connection="keep-alive")
            if data is not None:
                hdrs["Content-Type"] = "application/json"
            t = time.perf_counter()
            try:
                conn.request(method, path, body=data, headers=hdrs)
                resp = conn.getresponse()
                resp.read()
                status = resp.status
            except (http.client.HTTPException, OSError):
                conn.close()
                conn = http.client.HTTPConnection(HOST, port, timeout=60)
                status = 0
            local.append((time.perf_counter() - t) * 1000)
            statuses[status] = statuses.get(status, 0) + 1
        with lock:
            timing.samples_ms.extend(local)
            for k, v in statuses.items():
                timing.statuses[k] = timing.statuses.get(k, 0) + v
                if k not in (200, 201):
                    timing.errors += v

    threads = [
        threading.Thread(target=work, args=(requests[i::concurrency],)) for i in range(concurrency)
    ]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    timing.wall_s = time.perf_counter() - start
    return timing


def explain(path: str, *, cookie: str = "", token: str = "") -> dict[str, Any]:
    """The SQL one request runs, each statement EXPLAIN ANALYZEd."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    if cookie:
        client.cookies["sessionid"] = cookie
    with CaptureQueriesContext(connection) as ctx:
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
        status = client.get(path, **headers).status_code
    plans = []
    for q in ctx.captured_queries:
        sql = q["sql"]
        if not sql.lstrip().upper().startswith("SELECT"):
            continue
        with connection.cursor() as cur:
            cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            plan = [r[0] for r in cur.fetchall()]
        plans.append({"sql": sql[:400], "plan": plan})
    return {"path": path, "status": status, "queries": len(ctx.captured_queries), "plans": plans}


def count(prefix: str) -> tuple[int, int]:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(*), count(DISTINCT external_id) FROM delivery_carrierevent "
            "WHERE external_id LIKE %s",
            [prefix + "%"],
        )
        total, distinct = cur.fetchone()
    return int(total), int(distinct)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reads", type=int, default=400)
    ap.add_argument("--events", type=int, default=5000)
    ap.add_argument("--concurrency", type=int, default=12)
    ap.add_argument("--port", type=int, default=8791)
    ap.add_argument("--skip-reads", action="store_true")
    ap.add_argument("--skip-ingest", action="store_true")
    ap.add_argument("--skip-single", action="store_true", help="no one-by-one ingest run")
    ap.add_argument("--batch-size", type=int, default=500)
    ap.add_argument("--batch-concurrency", type=int, default=2)
    ap.add_argument("--ingest-workers", type=int, default=3)
    ap.add_argument("--targets", type=int, default=0, help="orders the events go to")
    ap.add_argument("--repeat", type=int, default=1, help="batch runs")
    args = ap.parse_args()
    if not 1 <= args.batch_size <= 1000 or not 1 <= args.repeat <= 20:
        raise SystemExit("--batch-size 1..1000, --repeat 1..20")
    database_url()
    django_setup()
    from django.db import connection

    from klantstuur.accounts.services import token_create
    from klantstuur.businesses.models import Role, StaffMember

    env = environment()
    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM orders_order o JOIN businesses_business b "
            "ON b.id = o.business_id AND b.slug = %s",
            [SLUG],
        )
        orders = int(cur.fetchone()[0])
    print(f"{orders} orders; load average {env['loadavg_at_start']}", flush=True)
    results: dict[str, Any] = {"environment": env, "orders": orders, "timings": []}
    pairs = _sample(max(args.reads, args.targets))
    creds = _credentials(pairs[: args.reads]) if not args.skip_reads else {}
    log = RESULTS / (f"delivery-server-{orders}" + ("-ingest" if args.skip_reads else "") + ".log")

    if not args.skip_reads:
        oid, cid = pairs[0]
        results["explain"] = [
            explain(f"/portal/orders/{oid}/", cookie=creds[cid][0]),
            explain(f"/api/v1/me/orders/{oid}", token=creds[cid][1]),
        ]
        page = [
            ("GET", f"/portal/orders/{o}/", {"Cookie": f"sessionid={creds[c][0]}"}, None)
            for o, c in pairs[: args.reads]
        ]
        api = [
            ("GET", f"/api/v1/me/orders/{o}", {"Authorization": f"Bearer {creds[c][1]}"}, None)
            for o, c in pairs[: args.reads]
        ]
        with Server(port=args.port, workers=2, log=log):
            run("warm-up", args.port, page[:20] + api[:20], 2)
            for conc in (1, 4):
                for name, reqs in (("tracking page", page), ("GET /me/orders/{id}", api)):
                    t = run(name, args.port, reqs, conc)
                    results["timings"].append(t.summary())
                    print(t.summary(), flush=True)

    if not args.skip_ingest:
        carrier = StaffMember.objects.get(business__slug=SLUG, role=Role.CARRIER)
        _, key = token_create(user=carrier.user, name="bench-delivery")
        auth = {"Authorization": f"Bearer {key}"}
        targets = [o for o, _c in pairs[: args.targets or args.reads]]
        run_id = f"{time.time():.0f}"
        statuses = ("info_received", "in_transit", "out_for_delivery")

        def event(prefix: str, i: int) -> dict[str, Any]:
            return {
                "order_id": targets[i % len(targets)],
                "status": statuses[i % 3],
                "event_id": f"{prefix}{i}",
                "location": "Sorteercentrum",
            }

        with Server(port=args.port, workers=args.ingest_workers, log=log):
            if not args.skip_single:
                one = f"b{run_id}-one-"
                reqs = [
                    ("POST", "/api/v1/carrier/events", auth, event(one, i))
                    for i in range(args.events)
                ]
                t = run("POST /carrier/events", args.port, reqs, args.concurrency)
                s = t.summary()
                s["events_per_s"] = round(args.events / t.wall_s, 1)
                s["counted_back"], s["distinct"] = count(one)
                results["timings"].append(s)
                print(s, flush=True)
            size = args.batch_size
            for r in range(args.repeat):
                batch = f"b{run_id}-batch{r}-"
                events = [event(batch, i) for i in range(args.events)]
                reqs = [
                    ("POST", "/api/v1/carrier/events/batch", auth, {"events": events[i : i + size]})
                    for i in range(0, len(events), size)
                ]
                name = f"POST /carrier/events/batch ({size}) run {r + 1}"
                t = run(name, args.port, reqs, args.batch_concurrency)
                s = t.summary()
                s["events_per_s"] = round(args.events / t.wall_s, 1)
                s["counted_back"], s["distinct"] = count(batch)
                s["targets"] = len(targets)
                s["workers"] = args.ingest_workers
                s["loadavg"] = [round(x, 2) for x in os.getloadavg()]
                results["timings"].append(s)
                print(s, flush=True)

    with contextlib.suppress(OSError):
        results["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    RESULTS.mkdir(exist_ok=True)
    # An ingest-only run does not overwrite the full run's file (and its EXPLAIN plans).
    stem = f"delivery-{orders}" + ("-ingest" if args.skip_reads else "")
    out = RESULTS / f"{stem}.json"
    out.write_text(json.dumps(results, indent=2, default=str))
    cols = ["name", "concurrency", "n", "errors", "p50_ms", "p95_ms", "p99_ms", "req_per_s"]
    cols += ["events_per_s", "counted_back", "distinct", "loadavg"]
    (RESULTS / f"{stem}.md").write_text(table(results["timings"], cols) + "\n")
    print(table(results["timings"], cols))


if __name__ == "__main__":
    main()

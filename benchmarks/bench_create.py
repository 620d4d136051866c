"""Need creation throughput: POST /api/v1/needs against ``klantstuur serve``.

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/klantstuur_bench
    .venv/bin/python benchmarks/bench_create.py --requests 3000 --concurrency 12 --workers 2,4

For each worker count: starts ``klantstuur serve --workers W`` on 127.0.0.1, sends
50 warm-up POSTs, then ``--requests`` POSTs from ``--concurrency`` threads over
keep-alive connections (customers drawn from 2,000 existing customers of the
largest business, so both owner-assignment paths run: continuity and
least-loaded). Reports requests/s, latency percentiles and errors, then counts
the new needs and their ``need_opened`` journal events back in the database to
prove nothing was lost or duplicated. Stops the server. The created needs stay
(they are a few thousand on top of the data set).
Results: benchmarks/results/create-<N>.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (
    RESULTS,
    Server,
    creation_target,
    database_url,
    db_counts,
    django_setup,
    environment,
    run_http,
    table,
)

KINDS = ["question", "complaint", "order", "return", "other"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=12)
    parser.add_argument("--workers", default="2,4", help="comma-separated uvicorn worker counts")
    parser.add_argument("--port", type=int, default=18766)
    parser.add_argument("--label", default="", help="suffix for the result file names")
    parser.add_argument(
        "--nodelay-fix",
        action="store_true",
        help="serve through benchmarks/serve.py with the TCP_NODELAY fix",
    )
    parser.add_argument(
        "--leaky",
        action="store_true",
        help="keep the shipped CONN_MAX_AGE=60 (leaks a connection per request"
        " under ASGI); default: benchmarks.settings_noleak",
    )
    parser.add_argument(
        "--pool",
        action="store_true",
        help="server uses benchmarks.settings_pool (psycopg connection pool)",
    )
    args = parser.parse_args()
    database_url()
    django_setup()

    from django.db import connection

    env = environment()
    env["server_variant"] = {
        "nodelay_fix": args.nodelay_fix,
        "pool": args.pool,
        "conn_max_age": "pool" if args.pool else ("60 (shipped)" if args.leaky else "0"),
    }
    env["settings_module"] = os.environ.get("DJANGO_SETTINGS_MODULE")
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM needs_need")
        total_needs = cur.fetchone()[0]
    business_id, customers, staff, token = creation_target("bench-create")
    headers = {"Authorization": f"Bearer {token}", "Connection": "keep-alive"}
    rng = random.Random(7)

    def payloads(count: int) -> list[tuple[str, str, Any]]:
        return [
            (
                "POST",
                "/api/v1/needs",
                {
                    "customer_id": rng.choice(customers),
                    "kind": rng.choice(KINDS),
                    "summary": f"Benchmark need {i}: pakket niet ontvangen",
                    "goal": "Voor vrijdag in huis",
                },
            )
            for i in range(count)
        ]

    runs: list[dict[str, Any]] = []
    for workers in [int(w) for w in args.workers.split(",") if w.strip()]:
        log = RESULTS / f"server-create-w{workers}{args.label}.log"
        with Server(
            port=args.port,
            workers=workers,
            log=log,
            nodelay_fix=args.nodelay_fix,
            pool=args.pool,
            settings=None if args.leaky else "benchmarks.settings_noleak",
        ):
            run_http("warm-up", args.port, headers, payloads(50), concurrency=4, ok=(201,))
            with connection.cursor() as cur:
                cur.execute("SELECT coalesce(max(id), 0) FROM needs_need")
                before_max = cur.fetchone()[0]
            connection.close()
            load0 = os.getloadavg()
            t = run_http(
                f"POST /needs workers={workers}",
                args.port,
                headers,
                payloads(args.requests),
                concurrency=args.concurrency,
                ok=(201,),
            )
            load1 = os.getloadavg()
        created, events = db_counts(business_id, before_max)
        connection.close()
        s = t.summary()
        s.update(
            workers=workers,
            created_201=s["statuses"].get(201, 0),
            needs_in_db=created,
            need_opened_events=events,
            lost_or_extra=created - s["statuses"].get(201, 0),
            loadavg=[round(load0[0], 2), round(load1[0], 2)],
        )
        runs.append(s)
        print(
            f"  workers={workers} c={args.concurrency}: {s['req_per_s']} req/s  p50 {s['p50_ms']}"
            f"  p95 {s['p95_ms']}  p99 {s['p99_ms']} ms  errors {s['errors']} {s['statuses']}"
            f"  201s {s['created_201']} / in DB {created} / events {events}",
            flush=True,
        )

    out = {
        "environment": env,
        "dataset_needs_before": total_needs,
        "business_id": business_id,
        "staff_id": staff.pk,
        "requests": args.requests,
        "concurrency": args.concurrency,
        "runs": runs,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    stem = f"create-{total_needs}{args.label}"
    (RESULTS / f"{stem}.json").write_text(json.dumps(out, indent=2, default=str))
    cols = [
        "workers",
        "concurrency",
        "n",
        "req_per_s",
        "p50_ms",
        "p95_ms",
        "p99_ms",
        "max_ms",
        "errors",
        "created_201",
        "needs_in_db",
        "need_opened_events",
        "lost_or_extra",
        "loadavg",
    ]
    md = [
        f"# Need creation at {total_needs} needs ({time.strftime('%Y-%m-%d %H:%M')})",
        "",
        f"Environment: `{json.dumps(env)}`",
        "",
        table(runs, cols),
    ]
    (RESULTS / f"{stem}.md").write_text("\n".join(md) + "\n")
    print(f"wrote {RESULTS / stem}.md and .json")


if __name__ == "__main__":
    main()

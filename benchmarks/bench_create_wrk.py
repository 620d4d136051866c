"""Need creation throughput with wrk as the load generator (C, a few % of one core).

    apt-get install wrk
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/klantstuur_bench
    .venv/bin/python benchmarks/bench_create_wrk.py --seconds 20 --connections 8 --workers 2

The Python load generator of ``bench_create.py`` spends about as much CPU per request
as the server does on the same two cores; wrk does not. For each worker count: starts
``klantstuur serve --workers W`` (the shipped server and settings), warms up for 3 s,
then POSTs ``/api/v1/needs`` for ``--seconds`` over ``--connections`` keep-alive
connections (customers drawn from 2,000 customers of the largest business, so both
owner-assignment paths run), and counts the new needs and their ``need_opened``
events back in the database: every 201 must be there, with its event.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (
    HOST,
    RESULTS,
    Server,
    creation_target,
    database_url,
    db_counts,
    django_setup,
    environment,
)

LUA = Path(__file__).resolve().parent / "wrk" / "create_need.lua"


def wrk(port: int, seconds: int, connections: int, env: dict[str, str]) -> dict[str, float]:
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{connections}",
            f"-d{seconds}s",
            "--timeout",
            "30s",
            "-s",
            str(LUA),
            f"http://{HOST}:{port}/",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    m = re.search(r"RESULT (.*)", out)
    if m is None:
        raise SystemExit(out)
    return {k: float(v) for k, v in (kv.split("=") for kv in m.group(1).split())}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=int, default=20)
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--workers", default="2", help="comma-separated uvicorn worker counts")
    ap.add_argument("--port", type=int, default=18767)
    args = ap.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    database_url()
    django_setup()
    from django.db import connection

    env_info = environment()
    business_id, customers, _staff, token = creation_target("bench-create-wrk")
    ids = Path(tempfile.mkstemp(prefix="customers-", suffix=".txt")[1])
    ids.write_text("\n".join(str(c) for c in customers) + "\n")
    wrk_env = dict(os.environ, TOKEN=token, CUSTOMERS=str(ids))

    runs = []
    for workers in [int(w) for w in args.workers.split(",") if w.strip()]:
        log = RESULTS / f"server-create-wrk-w{workers}.log"
        with Server(port=args.port, workers=workers, log=log):
            wrk(args.port, 3, args.connections, wrk_env)  # warm-up: imports, pool, prepares
            with connection.cursor() as cur:
                cur.execute("SELECT coalesce(max(id), 0) FROM needs_need")
                before = cur.fetchone()[0]
            connection.close()
            load0 = os.getloadavg()[0]
            r = wrk(args.port, args.seconds, args.connections, wrk_env)
            load1 = os.getloadavg()[0]
            time.sleep(1)
        in_db, events = db_counts(business_id, before)
        connection.close()
        run = {
            "workers": workers,
            "connections": args.connections,
            "seconds": args.seconds,
            "created_201": int(r["created"]),
            "other_status": int(r["other"]),
            "needs_per_s": round(r["created"] / args.seconds, 1),
            "p50_ms": r["p50_ms"],
            "p95_ms": r["p95_ms"],
            "p99_ms": r["p99_ms"],
            "needs_in_db": in_db,
            "need_opened_events": events,
            "loadavg": [round(load0, 2), round(load1, 2)],
        }
        runs.append(run)
        print(json.dumps(run), flush=True)
    ids.unlink()
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "create-wrk.json").write_text(
        json.dumps({"environment": env_info, "runs": runs}, indent=2, default=str)
    )


if __name__ == "__main__":
    main()

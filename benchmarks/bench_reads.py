"""Read latency: the needs list (API), one need, its timeline, and 'Mijn klanten'.

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/klantstuur_bench
    .venv/bin/python benchmarks/bench_reads.py --requests 300 --concurrency 4

Starts ``klantstuur serve`` on 127.0.0.1 (or uses ``--port`` of a running one with
``--no-server``), makes an API token for the staff member of the largest
business who owns the most needs (the worst case for ``owner=me`` and for
'Mijn klanten'), and measures p50/p95/p99 client-side latency over keep-alive
connections: sequentially, then with ``--concurrency`` threads. Also times the
``needs_owned_by`` selector in-process and writes EXPLAIN (ANALYZE, BUFFERS) of
every SQL query an endpoint runs. Results: benchmarks/results/reads-<N>.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (
    RESULTS,
    Server,
    Timing,
    database_url,
    django_setup,
    environment,
    run_http,
    table,
    time_callable,
)


def pick_staff() -> tuple[Any, dict[str, Any]]:
    from django.db import connection

    from klantstuur.businesses.models import StaffMember

    with connection.cursor() as cur:
        cur.execute("SELECT business_id FROM needs_need GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")
        business_id = cur.fetchone()[0]
        cur.execute(
            """
            SELECT owner_id, count(*) AS owned,
                   count(*) FILTER (WHERE status IN ('open', 'awaiting_customer')) AS active
            FROM needs_need WHERE business_id = %s GROUP BY owner_id ORDER BY owned DESC
            """,
            [business_id],
        )
        owners = cur.fetchall()
        cur.execute("SELECT count(*) FROM needs_need WHERE business_id = %s", [business_id])
        business_needs = cur.fetchone()[0]
    heavy = owners[0]
    median = owners[len(owners) // 2]
    staff = StaffMember.objects.select_related("user", "business").get(pk=heavy[0])
    info = {
        "business_id": business_id,
        "business_needs": business_needs,
        "staff_id": staff.pk,
        "staff_email": staff.user.email,
        "staff_owned": heavy[1],
        "staff_active": heavy[2],
        "median_owner_id": median[0],
        "median_owner_owned": median[1],
        "median_owner_active": median[2],
    }
    return staff, info


def explain_endpoint(path: str, token: str, *, session: bool = False, user: Any = None) -> dict:
    """Run the endpoint in-process, capture its SQL, EXPLAIN ANALYZE the needs queries."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    if session:
        client.force_login(user)
    with CaptureQueriesContext(connection) as ctx:
        if session:
            resp = client.get(path)
        else:
            resp = client.get(path, HTTP_AUTHORIZATION=f"Bearer {token}")
    plans = []
    for q in ctx.captured_queries:
        sql = q["sql"]
        if "needs_" not in sql or not sql.lstrip().upper().startswith("SELECT"):
            continue
        with connection.cursor() as cur:
            cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            plan = "\n".join(r[0] for r in cur.fetchall())
        plans.append({"sql": sql, "plan": plan})
    return {
        "path": path,
        "status": resp.status_code,
        "queries": len(ctx.captured_queries),
        "all_sql": [q["sql"] for q in ctx.captured_queries],
        "plans": plans,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=300, help="requests per endpoint and mode")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers")
    parser.add_argument("--port", type=int, default=18765)
    parser.add_argument("--no-server", action="store_true", help="use a server already running")
    parser.add_argument("--selector-repeat", type=int, default=100)
    parser.add_argument("--label", default="", help="suffix for the result file names")
    parser.add_argument(
        "--nodelay-fix",
        action="store_true",
        help="serve through benchmarks/serve.py with the TCP_NODELAY fix",
    )
    parser.add_argument(
        "--pool",
        action="store_true",
        help="server uses benchmarks.settings_pool (psycopg connection pool)",
    )
    args = parser.parse_args()
    database_url()
    django_setup()

    from django.contrib.auth import SESSION_KEY  # noqa: F401  (session login below)
    from django.db import connection
    from django.test import Client as DjangoClient

    from klantstuur.accounts.services import token_create
    from klantstuur.needs.selectors import needs_for_business, needs_owned_by

    env = environment()
    env["server_variant"] = {"nodelay_fix": args.nodelay_fix, "pool": args.pool}
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM needs_need")
        total_needs = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM needs_journalevent")
        total_events = cur.fetchone()[0]
    staff, who = pick_staff()
    _, token = token_create(user=staff.user, name="bench-reads")
    with connection.cursor() as cur:
        cur.execute(
            "SELECT id FROM needs_need TABLESAMPLE SYSTEM (5) WHERE business_id = %s LIMIT 5000",
            [who["business_id"]],
        )
        need_ids = [r[0] for r in cur.fetchall()]
    rng = random.Random(42)
    rng.shuffle(need_ids)
    print(f"{total_needs} needs, {total_events} events; token for {who}", flush=True)

    # A logged-in console session (same SECRET_KEY as the server).
    dj = DjangoClient()
    dj.force_login(staff.user)
    session_cookie = dj.cookies["sessionid"].value

    n = args.requests
    list_url = "/api/v1/needs"
    endpoints: list[tuple[str, Any]] = [
        ("GET /needs (first page, limit=50)", lambda i: f"{list_url}?limit=50"),
        ("GET /needs?status=open", lambda i: f"{list_url}?status=open&limit=50"),
        ("GET /needs?owner=me", lambda i: f"{list_url}?owner=me&limit=50"),
        ("GET /needs?status=open&owner=me", lambda i: f"{list_url}?status=open&owner=me&limit=50"),
        (
            "GET /needs?owner=<median owner>",
            lambda i: f"{list_url}?owner={who['median_owner_id']}&limit=50",
        ),
        ("GET /needs?offset=5000 (deep page)", lambda i: f"{list_url}?offset=5000&limit=50"),
        ("GET /needs/{id}", lambda i: f"{list_url}/{need_ids[i % len(need_ids)]}"),
        (
            "GET /needs/{id}/timeline",
            lambda i: f"{list_url}/{need_ids[i % len(need_ids)]}/timeline",
        ),
    ]

    # EXPLAIN ANALYZE of every needs query an endpoint runs (in-process, same DB).
    explains = []
    for name, make in endpoints:
        explains.append({"name": name, **explain_endpoint(make(0), token)})
    owned_qs = needs_owned_by(staff=staff)
    with connection.cursor() as cur:
        sql, params = owned_qs.query.sql_with_params()
        cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        owned_plan = "\n".join(r[0] for r in cur.fetchall())
    explains.append(
        {
            "name": "needs_owned_by (selector, all rows)",
            "sql": sql,
            "plans": [{"sql": f"{sql}\n-- params: {params}", "plan": owned_plan}],
        }
    )

    # The selector in-process: the query plus model instantiation.
    selector_timings = [
        time_callable(
            "needs_owned_by: list(all active)",
            lambda: list(needs_owned_by(staff=staff)),
            args.selector_repeat,
        ),
        time_callable(
            "needs_owned_by: first 50",
            lambda: list(needs_owned_by(staff=staff)[:50]),
            args.selector_repeat,
        ),
        time_callable(
            "needs_owned_by: count",
            lambda: needs_owned_by(staff=staff).count(),
            args.selector_repeat,
        ),
        time_callable(
            "needs_for_business: count (whole business)",
            lambda: needs_for_business(business_id=staff.business_id).count(),
            args.selector_repeat,
        ),
    ]
    connection.close()

    results: list[Timing] = []
    console: dict[str, Any] = {"available": False}
    headers = {"Authorization": f"Bearer {token}", "Connection": "keep-alive"}
    log = RESULTS / f"server-reads{args.label}.log"
    server: Any = Server(
        port=args.port, workers=args.workers, log=log, nodelay_fix=args.nodelay_fix, pool=args.pool
    )
    if args.no_server:
        server = None
    try:
        if server:
            server.__enter__()
        env["loadavg_before_http"] = [round(x, 2) for x in __import__("os").getloadavg()]
        for name, make in endpoints:
            # warm-up: connections, caches
            run_http(name, args.port, headers, [("GET", make(i), None) for i in range(20)])
            for conc in (1, args.concurrency):
                reqs = [("GET", make(i), None) for i in range(n)]
                t = run_http(name, args.port, headers, reqs, concurrency=conc)
                results.append(t)
                s = t.summary()
                print(
                    f"  {name:<40} c={conc}  p50 {s['p50_ms']:>7}  p95 {s['p95_ms']:>7}"
                    f"  p99 {s['p99_ms']:>7}  {s['req_per_s']} req/s  errors {s['errors']}",
                    flush=True,
                )
        # The staff console home ('Mijn klanten'), when it exists and renders.
        cookie = {"Cookie": f"sessionid={session_cookie}", "Connection": "keep-alive"}
        probe = run_http("probe", args.port, cookie, [("GET", "/console/", None)])
        status = next(iter(probe.statuses))
        console = {"available": status == 200, "status": status}
        if status == 200:
            run_http("GET /console/", args.port, cookie, [("GET", "/console/", None)] * 20)
            for conc in (1, args.concurrency):
                t = run_http(
                    "GET /console/ (Mijn klanten)",
                    args.port,
                    cookie,
                    [("GET", "/console/", None)] * n,
                    concurrency=conc,
                )
                results.append(t)
                s = t.summary()
                print(
                    f"  {t.name:<40} c={conc}  p50 {s['p50_ms']:>7}  p95 {s['p95_ms']:>7}"
                    f"  p99 {s['p99_ms']:>7}  {s['req_per_s']} req/s  errors {s['errors']}",
                    flush=True,
                )
            explains.append(
                {
                    "name": "GET /console/ (in-process)",
                    **explain_endpoint("/console/", token, session=True, user=staff.user),
                }
            )
        else:
            print(f"  /console/ not measured: status {status}", flush=True)
    finally:
        if server:
            server.__exit__(None, None, None)

    env["loadavg_at_end"] = [round(x, 2) for x in __import__("os").getloadavg()]
    out = {
        "environment": env,
        "dataset": {"needs": total_needs, "journal_events": total_events, **who},
        "server_workers": args.workers,
        "http": [t.summary() for t in results],
        "selector": [t.summary() for t in selector_timings],
        "console": console,
        "explain": explains,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    stem = f"reads-{total_needs}{args.label}"
    (RESULTS / f"{stem}.json").write_text(json.dumps(out, indent=2, default=str))
    cols = [
        "name",
        "concurrency",
        "n",
        "p50_ms",
        "p95_ms",
        "p99_ms",
        "max_ms",
        "req_per_s",
        "errors",
    ]
    md = [
        f"# Reads at {total_needs} needs ({time.strftime('%Y-%m-%d %H:%M')})",
        "",
        f"Environment: `{json.dumps(env)}`",
        "",
        f"Dataset: `{json.dumps(out['dataset'])}`; server workers: {args.workers}",
        "",
        "## HTTP (client-side, keep-alive, loopback)",
        "",
        table([t.summary() for t in results], cols),
        "",
        "## Selector in-process (query + model instantiation)",
        "",
        table([t.summary() for t in selector_timings], cols[:7]),
        "",
        f"Console: `{json.dumps(console)}`",
        "",
        "## EXPLAIN (ANALYZE, BUFFERS)",
    ]
    for e in explains:
        md += ["", f"### {e['name']}", ""]
        if "queries" in e:
            md.append(f"{e['queries']} queries per request (status {e['status']}).")
        for p in e["plans"]:
            md += ["", "```sql", str(p["sql"]), "```", "", "```", p["plan"], "```"]
    (RESULTS / f"{stem}.md").write_text("\n".join(md) + "\n")
    print(f"wrote {RESULTS / stem}.md and .json")


if __name__ == "__main__":
    main()

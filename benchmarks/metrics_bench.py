"""Latency of the metrics API and the insight dashboard at benchmark size.

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/klantstuur_bench_metrics
    .venv/bin/python benchmarks/metrics_bench.py --requests 100

Starts ``klantstuur serve`` on loopback, logs in the manager of the largest
business, and measures p50/p95/p99 client-side latency of GET /api/v1/metrics,
/api/v1/metrics/journeys and the dashboard page over several periods (a week, a
month, a year, two years, one owner, one team), sequentially. ``--write`` also
times the after-commit projection of one event (``project_need``) on random
needs: the cost every event pays to keep the roll-ups current.
Results: benchmarks/results/metrics-<N>.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (
    RESULTS,
    Server,
    database_url,
    django_setup,
    environment,
    run_http,
    table,
    time_callable,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=18775)
    parser.add_argument("--write", type=int, default=50, help="project_need calls to time")
    args = parser.parse_args()
    database_url()
    django_setup()

    from django.db import connection
    from django.test import Client as DjangoClient

    from klantstuur.accounts.services import token_create
    from klantstuur.businesses.models import StaffMember
    from klantstuur.metrics.projection import project_need
    from klantstuur.metrics.selectors import figures, scope_for

    env = environment()
    with connection.cursor() as cur:
        cur.execute(
            "SELECT business_id, count(*), max(day) FROM metrics_needfacts GROUP BY 1 ORDER BY 2 DESC"
        )
        business_id, biggest, last_day = cur.fetchone()
        cur.execute("SELECT count(*) FROM needs_need")
        total_needs = cur.fetchone()[0]
        cur.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = 'needs_journalevent'")
        total_events = cur.fetchone()[0]
        cur.execute(
            "SELECT owner_id FROM metrics_needfacts WHERE business_id = %s GROUP BY 1 ORDER BY count(*) DESC LIMIT 1",
            [business_id],
        )
        owner_id = cur.fetchone()[0]
    manager = StaffMember.objects.filter(business_id=business_id, role="manager").first()
    assert manager is not None
    _, token = token_create(user=manager.user, name="bench-metrics")
    dj = DjangoClient()
    dj.force_login(manager.user)
    cookie = dj.cookies["sessionid"].value
    print(f"{total_needs} needs (largest business {biggest}), ~{total_events} events", flush=True)

    to = last_day.isoformat()
    periods = {
        "7 days": (last_day.replace(day=1) if False else None, 7),
        "28 days": (None, 28),
        "1 year": (None, 365),
        "2 years": (None, 730),
    }
    from datetime import timedelta

    def frm(days: int) -> str:
        return (last_day - timedelta(days=days - 1)).isoformat()

    rows: list[dict[str, Any]] = []
    in_process = []
    for label, (_x, days) in periods.items():
        scope = scope_for(business_id=business_id, today=last_day, start=frm(days), end=to)
        in_process.append(
            time_callable(f"figures() {label}", lambda s=scope: figures(s), 20).summary()
        )
    scope = scope_for(
        business_id=business_id, today=last_day, start=frm(730), end=to, owner_id=owner_id
    )
    in_process.append(
        time_callable("figures() 2 years, one owner", lambda: figures(scope), 20).summary()
    )

    n = args.requests
    headers = {"Authorization": f"Bearer {token}"}
    with Server(port=args.port, workers=args.workers, log=RESULTS / "server-metrics.log"):
        for label, (_x, days) in periods.items():
            q = f"from={frm(days)}&to={to}"
            rows.append(
                run_http(
                    f"GET /metrics {label}",
                    args.port,
                    headers,
                    [("GET", f"/api/v1/metrics?{q}", None)] * n,
                ).summary()
            )
        q = f"from={frm(730)}&to={to}"
        rows.append(
            run_http(
                "GET /metrics 2 years, owner",
                args.port,
                headers,
                [("GET", f"/api/v1/metrics?{q}&owner={owner_id}", None)] * n,
            ).summary()
        )
        rows.append(
            run_http(
                "GET /metrics 2 years, team=agent",
                args.port,
                headers,
                [("GET", f"/api/v1/metrics?{q}&team=agent", None)] * n,
            ).summary()
        )
        rows.append(
            run_http(
                "GET /metrics/journeys contacts, 1 year",
                args.port,
                headers,
                [
                    (
                        "GET",
                        f"/api/v1/metrics/journeys?figure=contacts_per_need&from={frm(365)}&to={to}",
                        None,
                    )
                ]
                * n,
            ).summary()
        )
        cookies = {"Cookie": f"sessionid={cookie}"}
        for label, days in (("28 days", 28), ("2 years", 730)):
            rows.append(
                run_http(
                    f"dashboard {label}",
                    args.port,
                    cookies,
                    [("GET", f"/console/insight/?start={frm(days)}&end={to}", None)] * n,
                ).summary()
            )
        rows.append(
            run_http(
                "drill-down contacts, 2 years",
                args.port,
                cookies,
                [
                    (
                        "GET",
                        f"/console/insight/drill/contacts_per_need/?start={frm(730)}&end={to}",
                        None,
                    )
                ]
                * n,
            ).summary()
        )

    write = []
    if args.write:
        with connection.cursor() as cur:
            cur.execute("SELECT id FROM needs_need TABLESAMPLE SYSTEM (1) LIMIT 2000")
            ids = [r[0] for r in cur.fetchall()]
        rng = random.Random(1)
        write.append(
            time_callable(
                "project_need (one event's reaction)",
                lambda: project_need(rng.choice(ids)),
                args.write,
            ).summary()
        )

    result = {
        "environment": env,
        "needs": total_needs,
        "events": total_events,
        "http": rows,
        "in_process": in_process,
        "write": write,
    }
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"metrics-{total_needs}"
    out.with_suffix(".json").write_text(json.dumps(result, indent=2, default=str))
    cols = ["name", "n", "errors", "p50_ms", "p95_ms", "p99_ms", "max_ms"]
    md = "\n\n".join([table(rows, cols), table(in_process, cols), table(write, cols)])
    out.with_suffix(".md").write_text(md + "\n")
    print(md)


if __name__ == "__main__":
    main()

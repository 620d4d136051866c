"""EXPLAIN ANALYZE of the list queries, as shipped and with candidate indexes.

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/klantstuur_bench
    .venv/bin/python benchmarks/index_experiments.py

Takes the SQL exactly as the selectors build it (captured from the ORM) for three
owners of the largest business (the heaviest, the median, and one who owns no
needs, such as a kitchen colleague using ``owner=me``), explains it, then creates
the candidate indexes below **in the bench database only**, explains again and
drops them. Also compares the exact ``COUNT(*)`` with a capped count. Writes
benchmarks/results/index-experiments-<N>.md.
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import RESULTS, database_url, django_setup

CANDIDATES = {
    # owner=me lists and their counts: ordered like the list, business_id inside
    # so the count is an index-only scan under the selector's tenant filter.
    "need_owner_list": (
        "CREATE INDEX need_owner_list"
        " ON needs_need (owner_id, business_id, created_at DESC, id DESC)"
    ),
    # 'Mijn klanten': only active rows, in exactly the selector's order.
    "need_active_by_owner": (
        "CREATE INDEX need_active_by_owner ON needs_need"
        " (owner_id, waiting_since, promise_due_at, status DESC, created_at, id)"
        " WHERE status IN ('open', 'awaiting_customer')"
    ),
}
COUNT_CAP = 10_000


def captured(fn: Any) -> list[str]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        fn()
    return [q["sql"] for q in ctx.captured_queries]


def explain(sql: str, repeat: int = 5) -> tuple[float, str]:
    """Best execution time of ``repeat`` EXPLAIN ANALYZE runs, and the last plan."""
    from django.db import connection

    best = float("inf")
    plan = ""
    with connection.cursor() as cur:
        for _ in range(repeat):
            cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            plan = "\n".join(r[0] for r in cur.fetchall())
            m = re.search(r"Execution Time: ([\d.]+) ms", plan)
            if m:
                best = min(best, float(m.group(1)))
    return best, plan


def main() -> None:
    database_url()
    django_setup()
    from django.db import connection

    from klantstuur.businesses.models import StaffMember
    from klantstuur.needs.selectors import needs_for_business, needs_owned_by

    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM needs_need")
        total = cur.fetchone()[0]
        cur.execute("SELECT business_id FROM needs_need GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")
        business_id = cur.fetchone()[0]
        cur.execute(
            "SELECT s.id, count(n.id) FROM businesses_staffmember s"
            " LEFT JOIN needs_need n ON n.owner_id = s.id"
            " WHERE s.business_id = %s GROUP BY s.id ORDER BY 2 DESC",
            [business_id],
        )
        owners = cur.fetchall()
    chosen = {
        "heaviest owner": owners[0],
        "median owner": owners[len(owners) // 2],
        "owner of no needs": owners[-1],
    }

    def queries() -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        qs = needs_for_business(business_id=business_id)
        out.append(("list, first page", captured(lambda: list(qs[:50]))[0]))
        out.append(("exact count, whole business", captured(qs.count)[0]))
        out.append(
            (
                f"capped count (LIMIT {COUNT_CAP + 1})",
                captured(lambda: qs.order_by().values("pk")[: COUNT_CAP + 1].count())[0],
            )
        )
        out.append(("list, offset 5000", captured(lambda: list(qs[5000:5050]))[0]))
        qs_open = needs_for_business(business_id=business_id, status="open")
        out.append(("status=open list", captured(lambda: list(qs_open[:50]))[0]))
        out.append(("status=open count", captured(qs_open.count)[0]))
        for label, (sid, owned) in chosen.items():
            q = needs_for_business(business_id=business_id, owner_id=sid)
            out.append(
                (f"owner={label} ({owned} needs) list", captured(lambda q=q: list(q[:50]))[0])
            )
            out.append((f"owner={label} count", captured(q.count)[0]))
            out.append(
                (
                    f"owner={label} capped count",
                    captured(lambda q=q: q.order_by().values("pk")[: COUNT_CAP + 1].count())[0],
                )
            )
            q2 = needs_for_business(business_id=business_id, owner_id=sid, status="open")
            out.append(
                (f"status=open&owner={label} list", captured(lambda q2=q2: list(q2[:50]))[0])
            )
            staff = StaffMember.objects.get(pk=sid)
            out.append(
                (
                    f"needs_owned_by({label}) all rows",
                    captured(lambda staff=staff: list(needs_owned_by(staff=staff)))[0],
                )
            )
            out.append(
                (
                    f"needs_owned_by({label}) first 50",
                    captured(lambda staff=staff: list(needs_owned_by(staff=staff)[:50]))[0],
                )
            )
        return out

    base = queries()
    rows: list[dict[str, Any]] = []
    plans: list[str] = []
    for label, sql in base:
        ms, plan = explain(sql)
        rows.append({"query": label, "as shipped": ms})
        plans.append(f"### {label} (as shipped)\n\n```sql\n{sql}\n```\n\n```\n{plan}\n```\n")
    created: list[str] = []
    try:
        with connection.cursor() as cur:
            for name, ddl in CANDIDATES.items():
                t = time.perf_counter()
                cur.execute(ddl)
                created.append(name)
                print(f"built {name} in {time.perf_counter() - t:.1f} s", flush=True)
            cur.execute("ANALYZE needs_need")
        for row, (label, sql) in zip(rows, base, strict=True):
            ms, plan = explain(sql)
            row["with candidates"] = ms
            if "owner" in label:
                plans.append(f"### {label} (with candidate indexes)\n\n```\n{plan}\n```\n")
    finally:
        with connection.cursor() as cur:
            for name in created:
                cur.execute(f"DROP INDEX IF EXISTS {name}")
            cur.execute("ANALYZE needs_need")
    md = [
        f"# Index experiments at {total} needs ({time.strftime('%Y-%m-%d %H:%M')})",
        "",
        "Server-side execution time (best of 5 `EXPLAIN ANALYZE`, ms), business "
        f"{business_id}; owners: "
        + ", ".join(f"{k}: staff {v[0]} ({v[1]} needs)" for k, v in chosen.items()),
        "",
        "Candidate indexes (created for the run, then dropped):",
        "",
        *[f"- `{ddl}`" for ddl in CANDIDATES.values()],
        "",
        "| query | as shipped (ms) | with candidates (ms) |",
        "|---|---|---|",
        *[
            f"| {r['query']} | {r['as shipped']:.2f} | {r.get('with candidates', float('nan')):.2f} |"
            for r in rows
        ],
        "",
        "## Plans",
        "",
        *plans,
    ]
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"index-experiments-{total}.md"
    path.write_text("\n".join(md) + "\n")
    for r in rows:
        print(f"  {r['query']:<55} {r['as shipped']:>9.2f} {r.get('with candidates', 0):>9.2f}")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()

"""Tracking page and returns at scale, in-process on PostgreSQL (issue #14).

    createdb -h 127.0.0.1 -U postgres ks_bench_i14
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/ks_bench_i14
    .venv/bin/python manage.py migrate
    .venv/bin/python benchmarks/delivery_generate.py 200000     # the orders (set-based)
    .venv/bin/python benchmarks/returns_bench.py --returns 300 --reads 300

On the ``bench-delivery`` business of ``delivery_generate.py``: four return reasons, a
carrier name; then for ``--returns`` random delivered orders of distinct customers, each
customer (a Django test client with a session, in-process: no HTTP server) starts a
return of one line through the portal's form, is sent to the label page and opens it.
Then ``--reads`` views each of the tracking page (an order with a return and a label),
the order list, the label page and the calendar file (``delivery.ics``). Per request: the
time (p50/p95/p99) and the number of SQL queries (most and least). At the end every
return is counted back in the database (``ReturnRequest`` and ``ReturnLine`` rows of this
run, and one return need each), and the plans of the reads that grow with the data
(``returnable``: the return lines of an order) are EXPLAIN ANALYZEd.
Results: benchmarks/results/returns-<orders>.json and .md.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import RESULTS, Timing, database_url, django_setup, environment, table

SLUG = "bench-delivery"


def _setup(business: Any) -> None:
    from klantstuur.delivery.models import DeliverySettings, ReturnReason

    DeliverySettings.objects.update_or_create(
        business=business, defaults={"carrier_name": "PostNL", "carrier_allows_redirect": True}
    )
    for n, code in enumerate(("damaged", "wrong_size", "not_as_described", "changed_mind")):
        ReturnReason.objects.get_or_create(
            business=business,
            code=code,
            defaults={"label_nl": code, "label_en": code, "position": n},
        )


def _targets(business_id: int, n: int, seed: int) -> list[tuple[int, int]]:
    """(order id, customer id) of ``n`` delivered orders without a return, one per customer."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            """
            SELECT DISTINCT ON (o.customer_id) o.id, o.customer_id
            FROM orders_order o
            WHERE o.business_id = %s AND o.status = 'fulfilled'
              AND NOT EXISTS (SELECT 1 FROM delivery_returnrequest r WHERE r.order_id = o.id)
              AND o.customer_id %% 97 = %s
            ORDER BY o.customer_id, o.id DESC
            LIMIT %s
            """,
            [business_id, seed % 97, n],
        )
        return [(a, b) for a, b in cur.fetchall()]


def _client(customer_id: int) -> Any:
    from django.test import Client

    from klantstuur.accounts.services import customer_user
    from klantstuur.customers.models import Customer

    client = Client()
    user = customer_user(customer=Customer.objects.get(pk=customer_id))
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def _timed(timing: Timing, counts: list[int], fn: Any) -> Any:
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    reset_queries()  # the query log is capped (9000): count each request from empty
    with CaptureQueriesContext(connection) as ctx:
        t = time.perf_counter()
        result = fn()
        timing.samples_ms.append((time.perf_counter() - t) * 1000)
    counts.append(len(ctx.captured_queries))
    status = getattr(result, "status_code", 0)
    timing.statuses[status] = timing.statuses.get(status, 0) + 1
    if status >= 400:
        timing.errors += 1
    return result


def _explain(order_id: int) -> str:
    from django.db import connection

    from klantstuur.delivery.models import ReturnLine

    qs = ReturnLine.objects.filter(ret__order_id=order_id).values("line_id")
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cur:
        cur.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql, params)
        return "\n".join(r[0] for r in cur.fetchall())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--returns", type=int, default=300)
    ap.add_argument("--reads", type=int, default=300)
    ap.add_argument("--seed", type=int, default=14)
    args = ap.parse_args()
    database_url()
    django_setup()
    from django.conf import settings

    settings.ALLOWED_HOSTS = ["*"]
    from klantstuur.businesses.models import Business
    from klantstuur.delivery.models import ReturnLine, ReturnRequest
    from klantstuur.orders.models import Order, OrderLine

    business = Business.objects.get(slug=SLUG)
    _setup(business)
    orders = Order.objects.filter(business=business).count()
    before = ReturnRequest.objects.filter(business=business).order_by("-id").first()
    after_id = before.pk if before else 0
    targets = _targets(business.pk, args.returns, args.seed)
    rng = random.Random(args.seed)
    timings = {k: Timing(name=k) for k in ("return POST", "label page", "tracking page")}
    timings |= {k: Timing(name=k) for k in ("order list", "delivery.ics")}
    queries: dict[str, list[int]] = {k: [] for k in timings}
    clients: dict[int, Any] = {}
    started = time.perf_counter()
    for order_id, customer_id in targets:
        web = clients[customer_id] = _client(customer_id)
        line = OrderLine.objects.filter(order_id=order_id).order_by("id").values("id").first()
        assert line is not None
        body = {
            f"qty_{line['id']}": "1",
            "reason_code": rng.choice(["damaged", "wrong_size"]),
            "outcome": "refund",
            "method": "pickup",
        }
        r = _timed(
            timings["return POST"],
            queries["return POST"],
            lambda web=web, order_id=order_id, body=body: web.post(
                f"/portal/orders/{order_id}/return", body
            ),
        )
        assert r.status_code == 302, r.content[:500]
        url = r["Location"]
        _timed(timings["label page"], queries["label page"], lambda web=web, url=url: web.get(url))
    posting_s = time.perf_counter() - started
    for _ in range(args.reads):
        order_id, customer_id = rng.choice(targets)
        web = clients[customer_id]
        for name, url in (
            ("tracking page", f"/portal/orders/{order_id}/"),
            ("order list", "/portal/orders/"),
            ("delivery.ics", f"/portal/orders/{order_id}/delivery.ics"),
        ):
            _timed(timings[name], queries[name], lambda web=web, url=url: web.get(url))
    mine = ReturnRequest.objects.filter(business=business, pk__gt=after_id)
    counted = {
        "returns_posted": len(targets),
        "returns_in_db": mine.count(),
        "return_lines_in_db": ReturnLine.objects.filter(ret__in=mine).count(),
        "return_needs_in_db": mine.filter(need__kind="return").count(),
        "labels_distinct": mine.values("label_code").distinct().count(),
    }
    assert counted["returns_in_db"] == counted["return_lines_in_db"] == len(targets), counted
    assert counted["labels_distinct"] == len(targets), counted
    rows = []
    for name, timing in timings.items():
        s = timing.summary()
        s["queries_max"] = max(queries[name]) if queries[name] else None
        s["queries_min"] = min(queries[name]) if queries[name] else None
        rows.append(s)
    plan = _explain(targets[0][0]) if targets else ""
    result = {
        "orders": orders,
        "returns": ReturnRequest.objects.filter(business=business).count(),
        "posting_s": round(posting_s, 1),
        "counted": counted,
        "timings": rows,
        "plan_returnable": plan,
        "environment": environment(),
    }
    RESULTS.mkdir(exist_ok=True)
    stem = RESULTS / f"returns-{orders}"
    stem.with_suffix(".json").write_text(json.dumps(result, indent=2, default=str))
    cols = ["name", "n", "errors", "p50_ms", "p95_ms", "p99_ms", "queries_min", "queries_max"]
    md = [
        f"# Returns and tracking, {orders} orders",
        "",
        table(rows, cols),
        "",
        f"Counted back: {counted}",
        "",
        "```",
        plan,
        "```",
    ]
    stem.with_suffix(".md").write_text("\n".join(md) + "\n")
    print("\n".join(md))


if __name__ == "__main__":
    main()

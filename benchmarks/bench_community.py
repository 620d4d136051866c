"""Customers among themselves at scale (issue #16): the community list, one question with
its answers, and posting an answer, on a business with many shared questions.

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/ks_bench_i16
    .venv/bin/python benchmarks/bench_community.py --reset --customers 20000 \
        --shared 50000 --open-share 0.2 --answers 3 --requests 300

Builds its own database (``--reset`` drops and makes it again; migrated by Django),
set-based: one business with four agents and ``--customers`` customers; ``--shared``
needs, each shared with the other customers, of which ``--open-share`` are still open
(the rest solved: the list must skip them); ``--answers`` peer answers per question; and
a second business with the same shape at a tenth of the size (its questions must never
show). Then, in-process through the API with a customer's token (Django's test client,
no network), it times ``--requests`` requests of each:

- list: ``GET /api/v1/me/community`` (first page of 50, with its count),
- deep: the same at ``offset=5000``,
- thread: ``GET /api/v1/me/community/{need_id}`` (a question with its answers),
- answer: ``POST /api/v1/me/community/{need_id}/answers`` (one transaction, journaled).

For each it reports p50/p95 and the queries per request (``CaptureQueriesContext``: the
same for every request, or the run fails; a customer's first answer also makes their
community name, one query more). It counts back in the database: the list's
``count`` equals the open shared questions of the business (counted with SQL), no item
of the other business appears, every answer posted is one ``PeerAnswer`` row and one
``peer_answer`` journal event, and the question's ``answers`` counter equals its visible
answers. It EXPLAINs the list query: the shared questions must be read through the
``shared_question_open_list`` index, not a sequential scan.
Results: benchmarks/results/community-<stamp>.{json,md}; docs/performance-community.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import RESULTS, Timing, database_url, django_setup, environment, table
from bench_create_flat import _insert, make_database


def _shape(slug: str, customers: int, shared: int, open_share: float, answers: int) -> int:
    """One business: agents, customers, shared needs, answers. Returns the business id."""
    from django.db import transaction

    from klantstuur.businesses.models import Role, StaffMember
    from klantstuur.businesses.services import business_create, staff_create

    with transaction.atomic():
        business = business_create(slug=slug, name=f"Community {slug}")
        for n in range(4):
            staff_create(
                business=business,
                email=f"agent{n}@{slug}.example",
                name=f"Agent {n}",
                role=Role.AGENT,
                password="benchmark-password-123",
            )
        owners = list(StaffMember.objects.filter(business=business).values_list("pk", flat=True))
        b = business.pk
        _insert(
            "INSERT INTO customers_customer (business_id, name, email, phone, created_at,"
            " updated_at /*XC*/) SELECT %(b)s, 'Klant' || g || ' Achternaam' || g,"
            " 'klant' || g || '@" + slug + ".example', '+31 6 ' || (10000000 + g),"
            " now(), now() /*XV*/ FROM generate_series(1, %(n)s) g",
            {"b": b, "n": customers},
            "customers_customer",
        )
        first = _first_customer(b)
        open_every = max(1, round(1 / open_share)) if open_share > 0 else 0
        _insert(
            "INSERT INTO needs_need (business_id, customer_id, owner_id, kind, summary, status,"
            " created_at, updated_at, solved_at /*XC*/)"
            " SELECT %(b)s, %(c0)s + (g %% %(nc)s), (%(owners)s::bigint[])[1 + g %% 4],"
            " 'question', 'Gedeelde vraag ' || g,"
            " CASE WHEN %(oe)s > 0 AND g %% %(oe)s = 0 THEN 'open' ELSE 'solved' END,"
            " now() - g * interval '1 minute', now() - g * interval '1 minute',"
            " CASE WHEN %(oe)s > 0 AND g %% %(oe)s = 0 THEN NULL"
            " ELSE now() - g * interval '1 minute' END /*XV*/"
            " FROM generate_series(1, %(n)s) g",
            {
                "b": b,
                "c0": first,
                "nc": customers,
                "owners": owners,
                "oe": open_every,
                "n": shared,
            },
            "needs_need",
        )
        _insert(
            "INSERT INTO community_sharedquestion (need_id, business_id, asker_id, display_name,"
            " summary, shared_at, answers, open /*XC*/) SELECT n.id, n.business_id, n.customer_id,"
            " 'Klant', n.summary, n.created_at, %(a)s, n.status IN ('open', 'awaiting_customer')"
            " /*XV*/ FROM needs_need n"
            " WHERE n.business_id = %(b)s",
            {"b": b, "a": answers},
            "community_sharedquestion",
        )
        _insert(
            "INSERT INTO community_peeranswer (business_id, need_id, author_id, display_name,"
            " body, created_at /*XC*/) SELECT %(b)s, q.need_id,"
            " %(c0)s + ((q.need_id + k) %% %(nc)s), 'Buur', 'Antwoord ' || k,"
            " q.shared_at + k * interval '1 second' /*XV*/"
            " FROM community_sharedquestion q, generate_series(1, %(a)s) k"
            " WHERE q.business_id = %(b)s",
            {"b": b, "a": answers, "c0": first, "nc": customers},
            "community_peeranswer",
        )
    return b


def _first_customer(business_id: int) -> int:
    from klantstuur.customers.models import Customer

    return (
        Customer.objects.filter(business_id=business_id)
        .order_by("pk")
        .values_list("pk", flat=True)[0]
    )


def build(args: argparse.Namespace) -> dict[str, int]:
    from django.db import connection

    main = _shape("peers", args.customers, args.shared, args.open_share, args.answers)
    other = _shape(
        "elsewhere", args.customers // 10, args.shared // 10, args.open_share, args.answers
    )
    with connection.cursor() as cur:
        for t in (
            "customers_customer",
            "needs_need",
            "community_sharedquestion",
            "community_peeranswer",
        ):
            cur.execute(f"ANALYZE {t}")
    return {"main": main, "other": other}


def _token(customer: Any) -> str:
    from klantstuur.accounts.services import customer_user, token_create

    return token_create(user=customer_user(customer=customer))[1]


def _timed(name: str, n: int, call: Any) -> tuple[Timing, list[int]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    timing, queries = Timing(name), []
    for i in range(n):
        with CaptureQueriesContext(connection) as ctx:
            t0 = time.perf_counter()
            response = call(i)
            timing.samples_ms.append((time.perf_counter() - t0) * 1000)
        timing.statuses[response.status_code] = timing.statuses.get(response.status_code, 0) + 1
        queries.append(len(ctx.captured_queries))
    return timing, queries


def run(args: argparse.Namespace, ids: dict[str, int]) -> dict[str, Any]:
    from django.db import connection
    from django.test import Client

    from klantstuur.community.models import PeerAnswer, SharedQuestion
    from klantstuur.community.selectors import community_questions
    from klantstuur.customers.models import Customer
    from klantstuur.needs.models import JournalEvent

    reader = Customer.objects.filter(business_id=ids["main"]).order_by("-pk").first()
    assert reader is not None
    auth = {"HTTP_AUTHORIZATION": f"Bearer {_token(reader)}"}
    client = Client()
    open_ids = list(
        community_questions(customer=reader)
        .exclude(asker_id=reader.pk)
        .values_list("need_id", flat=True)[: args.requests]
    )
    api = "/api/v1/me/community"
    results, first_list = {}, None
    for name, call in (
        ("list", lambda i: client.get(api, **auth)),
        ("deep", lambda i: client.get(api, {"offset": 5000}, **auth)),
        ("thread", lambda i: client.get(f"{api}/{open_ids[i % len(open_ids)]}", **auth)),
        (
            "answer",
            lambda i: client.post(
                f"{api}/{open_ids[i % len(open_ids)]}/answers",
                {"body": f"Benchmark-antwoord {i}"},
                content_type="application/json",
                **auth,
            ),
        ),
    ):
        timing, queries = _timed(name, args.requests, call)
        results[name] = {**timing.summary(), "queries": sorted(set(queries))}
        if name == "list":
            first_list = client.get(api, **auth).json()
    assert first_list is not None
    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM community_sharedquestion q JOIN needs_need n ON n.id = q.need_id"
            " WHERE q.business_id = %s AND q.unshared_at IS NULL"
            " AND n.status IN ('open', 'awaiting_customer')",
            [ids["main"]],
        )
        open_shared = cur.fetchone()[0]
        sql, params = community_questions(customer=reader)[:50].query.sql_with_params()
        cur.execute("EXPLAIN " + sql, params)
        plan = "\n".join(r[0] for r in cur.fetchall())
    other_ids = set(
        SharedQuestion.objects.filter(business_id=ids["other"]).values_list("need_id", flat=True)
    )
    posted = PeerAnswer.objects.filter(body__startswith="Benchmark-antwoord").count()
    events = JournalEvent.objects.filter(
        kind="peer_answer", data__body__startswith="Benchmark-antwoord"
    ).count()
    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM community_sharedquestion q WHERE q.need_id = ANY(%s)"
            " AND q.answers <> (SELECT count(*) FROM community_peeranswer a"
            " WHERE a.need_id = q.need_id AND a.hidden_at IS NULL AND a.withdrawn_at IS NULL)",
            [open_ids],
        )
        counters_off = cur.fetchone()[0]
    checks = {
        "list_count": first_list["count"],
        "open_shared_counted_in_sql": open_shared,
        "list_count_equals_sql": first_list["count"] == min(open_shared, 10_000),
        "other_business_items_seen": len({i["need_id"] for i in first_list["items"]} & other_ids),
        "answers_posted": posted,
        "answer_events": events,
        "answers_equal_events": posted == events == args.requests,
        "answer_counters_off": counters_off,
        "list_uses_index": "shared_question_open_list" in plan,
        "seq_scan_on_shared_questions": "Seq Scan on community_sharedquestion" in plan,
    }
    for name, r in results.items():
        # The first answer of a customer also makes their community name (one INSERT more);
        # and any request may record its token's use (one UPDATE, at most once a minute,
        # accounts.services.token_touch): one more query, never a count that grows.
        spread = 3 if name == "answer" else 2
        if len(r["queries"]) > spread or max(r["queries"]) - min(r["queries"]) >= spread:
            raise SystemExit(f"{name}: queries per request vary: {r['queries']}")
    return {"results": results, "checks": checks, "plan": plan}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--reset", action="store_true")
    p.add_argument("--customers", type=int, default=20_000)
    p.add_argument("--shared", type=int, default=50_000)
    p.add_argument("--open-share", type=float, default=0.2)
    p.add_argument("--answers", type=int, default=3)
    p.add_argument("--requests", type=int, default=300)
    args = p.parse_args()
    make_database(database_url(), args.reset)
    django_setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.ALLOWED_HOSTS = ["*"]
    settings.KLANTSTUUR = {
        **settings.KLANTSTUUR,
        "COMMUNITY_LIMITS": {"answers": (10**9, 3600)},
    }
    call_command("migrate", verbosity=0)
    t0 = time.perf_counter()
    ids = build(args)
    built_s = round(time.perf_counter() - t0, 1)
    out = run(args, ids)
    report = {"args": vars(args), "built_s": built_s, "environment": environment(), **out}
    RESULTS.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (RESULTS / f"community-{stamp}.json").write_text(json.dumps(report, indent=2, default=str))
    rows = [{"case": k, **v} for k, v in out["results"].items()]
    md = table(rows, ["case", "n", "statuses", "p50_ms", "p95_ms", "p99_ms", "queries"])
    (RESULTS / f"community-{stamp}.md").write_text(md + "\n")
    print(md)
    print(json.dumps(out["checks"], indent=2))
    print(out["plan"])


if __name__ == "__main__":
    main()

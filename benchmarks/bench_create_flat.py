"""Creation flat (issue #10): opening a need costs the same for a fresh customer, for one
with 100,000 earlier needs, and when the owner already holds 50,000 active needs.

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/klantstuur_flat
    .venv/bin/python benchmarks/bench_create_flat.py --creations 2000 --rounds 20

Builds its own database (dropped and made again with ``--reset``; migrated by Django),
set-based: one business, four frontline colleagues, a "heavy" customer with 100,000
earlier (solved) needs, and a "busy" colleague owning 50,000 active needs of 2,000
customers (so those customers' next needs go to the busy colleague by continuity); the
counters are set by ``needs.load.active_needs_recount``. Then it opens ``--creations``
needs per case in-process through ``needs.services.need_open`` (one transaction each):

- fresh: a new customer each time (no continuity: the least-loaded colleague),
- heavy: the customer with 100,000 needs (continuity: their latest need's owner),
- busy: a customer of the busy colleague (continuity to an owner holding 50,000).

The cases take turns in ``--rounds`` rounds (order rotated each round), so drift in
the machine's speed falls on all three alike. Reports rate, p50/p95 and the ratio to
fresh, per case and per round; counts every created need and its ``need_opened`` event
back in the database; checks the counters still equal the count; and EXPLAINs every
query one creation of each case runs, failing if any reads ``needs_need`` or the
journal by a sequential scan or the continuity lookup misses its index.
Results: benchmarks/results/create-flat-<stamp>.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import RESULTS, Timing, database_url, django_setup, environment, table

HEAVY_NEEDS = 100_000
BUSY_NEEDS = 50_000
BUSY_CUSTOMERS = 2_000
CASES = ("fresh", "light", "heavy", "busy")
LIGHT_CUSTOMERS = 2_000


def make_database(url: str, reset: bool) -> None:
    """Create (or with ``reset``, drop and create) the database the URL names."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists and reset:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def _insert(sql: str, params: dict[str, Any], table_name: str) -> None:
    """INSERT … SELECT generate_series, other columns filled from the model's defaults."""
    from django.db import connection
    from generate import _extras

    with connection.cursor() as cur:
        cur.execute(_extras(connection.connection, table_name, sql), params)


def build() -> dict[str, Any]:
    """The business, colleagues and customers of the three cases (idempotent by slug)."""
    from django.db import connection, transaction

    from klantstuur.businesses.models import Business, Role, StaffMember
    from klantstuur.businesses.services import business_create, staff_create
    from klantstuur.customers.services import customer_create
    from klantstuur.needs.load import active_needs_recount

    found = Business.objects.filter(slug="flat").first()
    if found is not None:
        return _scene(found)
    with transaction.atomic():
        business = business_create(slug="flat", name="Creation flat")
        for key in ("busy", "heavy-owner", "agent-1", "agent-2"):
            staff_create(
                business=business,
                email=f"{key}@flat.example",
                name=key,
                role=Role.AGENT,
                password="benchmark-password-123",
            )
        staff = {s.name: s for s in StaffMember.objects.filter(business=business)}
        heavy = customer_create(business=business, name="Heavy customer")
        b = business.pk
        _customers(b, "busy customer", BUSY_CUSTOMERS)
        _needs(
            f"SELECT {heavy.pk}, {staff['heavy-owner'].pk}, g, 'solved'"
            f" FROM generate_series(1, {HEAVY_NEEDS}) g",
            b,
        )
        busy_ids = _ids(business, "busy customer")
        lo, n = busy_ids[0], len(busy_ids)
        _needs(
            f"SELECT {lo} + (g %% {n}), {staff['busy'].pk}, g, 'open'"
            f" FROM generate_series(1, {BUSY_NEEDS}) g",
            b,
        )
        _customers(b, "light customer", LIGHT_CUSTOMERS)
        light = _ids(business, "light customer")
        _needs(
            f"SELECT {light[0]} + g - 1, {staff['agent-1'].pk}, g, 'solved'"
            f" FROM generate_series(1, {len(light)}) g",
            b,
        )
        active_needs_recount([b])
    with connection.cursor() as cur:
        for t in ("needs_need", "customers_customer", "businesses_staffmember"):
            cur.execute(f"ANALYZE {t}")
    return _scene(business)


def _ids(business: Any, prefix: str) -> list[int]:
    from klantstuur.customers.models import Customer

    found = Customer.objects.filter(business=business, name__startswith=prefix).order_by("pk")
    return list(found.values_list("pk", flat=True))


def _customers(business_id: int, prefix: str, count: int) -> None:
    _insert(
        "INSERT INTO customers_customer (business_id, name, email, created_at, updated_at"
        " /*XC*/) SELECT %(b)s, %(p)s || ' ' || g, NULL, now(), now() /*XV*/"
        " FROM generate_series(1, %(n)s) g",
        {"b": business_id, "p": prefix, "n": count},
        "customers_customer",
    )


def _needs(rows: str, business_id: int) -> None:
    """Needs from ``rows`` (customer_id, owner_id, g, status), g minutes in the past."""
    _insert(
        "INSERT INTO needs_need (business_id, customer_id, owner_id, kind, summary, status,"
        " created_at, updated_at, solved_at /*XC*/)"
        f" SELECT %(b)s, r.c, r.o, 'question', 'Earlier need ' || r.g, r.s,"
        " now() - r.g * interval '1 minute', now() - r.g * interval '1 minute',"
        " CASE WHEN r.s = 'solved' THEN now() - r.g * interval '1 minute' END /*XV*/"
        f" FROM ({rows}) AS r(c, o, g, s)",
        {"b": business_id},
        "needs_need",
    )


def _scene(business: Any) -> dict[str, Any]:
    from klantstuur.businesses.models import StaffMember
    from klantstuur.customers.models import Customer

    heavy = Customer.objects.get(business=business, name="Heavy customer")
    busy = list(
        Customer.objects.filter(business=business, name__startswith="busy customer").order_by("pk")
    )
    light = Customer.objects.filter(business=business, name__startswith="light customer")
    return {
        "business": business,
        "light_customers": list(light.order_by("pk")),
        "agent_1": StaffMember.objects.get(business=business, name="agent-1"),
        "heavy": heavy,
        "busy_customers": busy,
        "busy_staff": StaffMember.objects.get(business=business, name="busy"),
        "heavy_owner": StaffMember.objects.get(business=business, name="heavy-owner"),
    }


def fresh_customers(scene: dict[str, Any], count: int) -> list[Any]:
    """New customers without any need (made before the timing, not timed)."""
    from klantstuur.customers.models import Customer

    stamp = f"fresh {time.time_ns()}"
    _customers(scene["business"].pk, stamp, count)
    return list(
        Customer.objects.filter(business=scene["business"], name__startswith=stamp).order_by("pk")
    )


def check_owner(case: str, need: Any, scene: dict[str, Any]) -> None:
    """Each case took the path it is meant to measure."""
    if case == "heavy":
        assert need.owner_id == scene["heavy_owner"].pk, need.owner_id
    elif case == "light":
        assert need.owner_id == scene["agent_1"].pk, need.owner_id
    elif case == "busy":
        assert need.owner_id == scene["busy_staff"].pk, need.owner_id
    else:
        assert need.owner_id != scene["busy_staff"].pk


def measure(scene: dict[str, Any], creations: int, rounds: int) -> dict[str, Any]:
    from klantstuur.needs.services import need_open

    per_round = creations // rounds
    fresh = fresh_customers(scene, per_round * rounds)
    supply = {
        "fresh": iter(fresh),
        "light": iter(scene["light_customers"] * (1 + creations // LIGHT_CUSTOMERS)),
        "heavy": iter([scene["heavy"]] * (per_round * rounds)),
        "busy": iter(scene["busy_customers"] * (1 + creations // BUSY_CUSTOMERS)),
    }
    timings = {c: Timing(name=c) for c in CASES}
    created: dict[str, list[int]] = {c: [] for c in CASES}
    by_round: list[dict[str, float]] = []
    for r in range(rounds):
        order = CASES[r % len(CASES) :] + CASES[: r % len(CASES)]
        rates: dict[str, float] = {}
        for case in order:
            samples: list[float] = []
            for _ in range(per_round):
                customer = next(supply[case])
                t = time.perf_counter()
                need = need_open(customer=customer, kind="question", summary="Flat?")
                samples.append((time.perf_counter() - t) * 1000)
                check_owner(case, need, scene)
                created[case].append(need.pk)
            timings[case].samples_ms += samples
            timings[case].wall_s += sum(samples) / 1000
            rates[case] = round(len(samples) / (sum(samples) / 1000), 1)
        by_round.append(rates)
    return {"timings": timings, "created": created, "by_round": by_round}


def count_back(created: dict[str, list[int]]) -> dict[str, dict[str, int]]:
    """Every created need is there with exactly one need_opened event."""
    from klantstuur.needs.models import JournalEvent, Need

    out = {}
    for case, ids in created.items():
        needs = Need.objects.filter(pk__in=ids).count()
        events = JournalEvent.objects.filter(need_id__in=ids, kind="need_opened").count()
        out[case] = {"returned": len(ids), "needs_in_db": needs, "need_opened_events": events}
        assert len(set(ids)) == len(ids) == needs == events, (case, out[case])
    return out


PLAN_FORBIDDEN = re.compile(r"Seq Scan on (needs_need|needs_journalevent)\b")


def explain_one(scene: dict[str, Any], customer: Any) -> list[dict[str, Any]]:
    """EXPLAIN every statement one creation runs (rolled back), with the index it uses."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from klantstuur.needs.services import need_open

    with transaction.atomic():
        with CaptureQueriesContext(connection) as ctx:
            need_open(customer=customer, kind="question", summary="Explained")
        plans = []
        with connection.cursor() as cur:
            for q in ctx.captured_queries:
                sql = q["sql"]
                if not re.match(r"\s*(SELECT|UPDATE|INSERT|DELETE)", sql, re.I):
                    continue
                cur.execute("EXPLAIN " + sql)
                plan = "\n".join(r[0] for r in cur.fetchall())
                plans.append({"sql": sql[:300], "plan": plan})
        transaction.set_rollback(True)
    return plans


def check_plans(case: str, plans: list[dict[str, Any]]) -> None:
    for p in plans:
        assert not PLAN_FORBIDDEN.search(p["plan"]), (case, p)
    continuity = [p for p in plans if 'ORDER BY n."created_at" DESC' in p["sql"]]
    assert continuity, f"{case}: the continuity lookup did not run"
    assert "need_customer_latest" in continuity[0]["plan"], continuity[0]["plan"]


def report(result: dict[str, Any], env: dict[str, Any], counted: Any, args: Any) -> Path:
    summaries = {c: result["timings"][c].summary() for c in CASES}
    fresh_rate = summaries["fresh"]["req_per_s"]
    light_rate = summaries["light"]["req_per_s"]
    rows = []
    for c in CASES:
        s = summaries[c]
        rows.append(
            {
                "case": c,
                "n": s["n"],
                "per_s": s["req_per_s"],
                "p50_ms": s["p50_ms"],
                "p95_ms": s["p95_ms"],
                "ratio_to_fresh": round(s["req_per_s"] / fresh_rate, 3),
                "ratio_to_light": round(s["req_per_s"] / light_rate, 3),
                **counted[c],
            }
        )
    round_rows = [
        {
            "round": i + 1,
            **r,
            **{f"{c}/fresh": round(r[c] / r["fresh"], 3) for c in ("heavy", "busy")},
            **{f"{c}/light": round(r[c] / r["light"], 3) for c in ("heavy", "busy")},
        }
        for i, r in enumerate(result["by_round"])
    ]
    # Per-round ratios, their median and range: the cases took turns in short rounds,
    # so the machine's drift falls on each alike; the spread says how much it was.
    spread = {}
    for key in [k for k in round_rows[0] if "/" in k]:
        values = sorted(r[key] for r in round_rows)
        spread[key] = {
            "median": round(statistics.median(values), 3),
            "min": values[0],
            "max": values[-1],
        }
    RESULTS.mkdir(parents=True, exist_ok=True)
    stem = RESULTS / f"create-flat-{time.strftime('%Y%m%d-%H%M%S')}{args.label}"
    out = {
        "environment": env,
        "cases": rows,
        "spread": spread,
        "rounds": round_rows,
        "plans": result["plans"],
    }
    stem.with_suffix(".json").write_text(json.dumps(out, indent=2, default=str))
    md = [
        f"# Creation flat ({time.strftime('%Y-%m-%d %H:%M')}, load {env['loadavg_at_start']})",
        "",
        table(rows, list(rows[0])),
        "",
        table([{"ratio": k, **v} for k, v in spread.items()], ["ratio", "median", "min", "max"]),
        "",
        table(round_rows, list(round_rows[0])),
    ]
    stem.with_suffix(".md").write_text("\n".join(md) + "\n")
    print("\n".join(md[2:]))
    return stem


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--creations", type=int, default=2000, help="per case")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--reset", action="store_true", help="drop and rebuild the database")
    parser.add_argument("--label", default="")
    args = parser.parse_args()
    url = database_url()
    make_database(url, args.reset)
    django_setup()
    from django.core.management import call_command

    from klantstuur.needs.load import active_needs_recount
    from klantstuur.needs.notifications import notifications_suppressed

    call_command("migrate", verbosity=0)
    t = time.perf_counter()
    scene = build()
    print(f"scene ready in {time.perf_counter() - t:.1f} s", flush=True)
    env = environment()
    with notifications_suppressed():
        plans = {
            "fresh": explain_one(scene, fresh_customers(scene, 1)[0]),
            "light": explain_one(scene, scene["light_customers"][0]),
            "heavy": explain_one(scene, scene["heavy"]),
            "busy": explain_one(scene, scene["busy_customers"][0]),
        }
        for case, case_plans in plans.items():
            if case != "fresh":
                check_plans(case, case_plans)
        result = measure(scene, args.creations, args.rounds)
    result["plans"] = plans
    counted = count_back(result["created"])
    assert active_needs_recount([scene["business"].pk]) == 0, "counters drifted"
    stem = report(result, env, counted, args)
    print(f"wrote {stem}.md and .json")


if __name__ == "__main__":
    main()

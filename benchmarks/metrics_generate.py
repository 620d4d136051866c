"""Build the metric projections for a benchmark database, set-based (docs/performance-metrics.md).

    createdb -h 127.0.0.1 -U postgres klantstuur_bench_metrics
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/klantstuur_bench_metrics
    .venv/bin/python manage.py migrate
    .venv/bin/python benchmarks/generate.py 1000000 --reset          # needs + ~2.5 events each
    .venv/bin/python benchmarks/metrics_generate.py --journal-extra 7  # to ~10 M events

What it adds:

* ``--journal-extra K`` more journal events per need (customer and staff messages,
  alternating, minutes apart), so the journal reaches the issue's 10 M events at
  1 M needs; one ``INSERT … SELECT … generate_series`` per business;
* one ``metrics_needfacts`` row per need, derived from the need row (contacts,
  handoffs, reopens, status, times) with deterministic synthetic ratings, promises
  and experience indexes — the same columns the live projection writes;
* ``metrics_dailyrollup`` and ``metrics_responserollup`` by ``GROUP BY`` over the
  facts, with synthetic survey counts — the same sums the reactions keep.

The live path (one reaction per event) is measured separately by
``metrics_bench.py --write``; this script only makes the steady state.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import psycopg

TZ = "Europe/Amsterdam"

FACTS = f"""
INSERT INTO metrics_needfacts (
  need_id, business_id, customer_id, owner_id, team, kind, status, created_at, day,
  solved_at, resolution_minutes, contacts, handoffs, reopens, reopened, need_fcr,
  contacts_closed, contacts_first_time, promises, promises_kept, late_minutes,
  ratings_count, ratings_sum, rating_min, experience_index, effort, root_cause_id,
  responses, updated_at)
SELECT n.id, n.business_id, n.customer_id, n.owner_id, s.role, n.kind, n.status, n.created_at,
  (n.created_at AT TIME ZONE '{TZ}')::date,
  CASE WHEN n.status = 'solved' THEN n.solved_at END,
  CASE WHEN n.status = 'solved' THEN greatest(floor(extract(epoch FROM n.solved_at - n.created_at) / 60), 0)::int END,
  n.contacts, n.handoffs, n.reopens, n.reopens > 0,
  n.status = 'solved' AND n.contacts = 1 AND n.reopens = 0,
  n.contacts, greatest(n.contacts - (n.id %% 3 = 0)::int, 0),
  (n.id %% 4 = 0)::int, (n.id %% 4 = 0 AND n.id %% 20 <> 0)::int,
  CASE WHEN n.id %% 20 = 0 THEN 45 ELSE 0 END,
  (n.id %% 5 = 0)::int, CASE WHEN n.id %% 5 = 0 THEN 5 - (n.id / 5) %% 5 ELSE 0 END,
  CASE WHEN n.id %% 5 = 0 THEN 5 - (n.id / 5) %% 5 END,
  power(0.85, greatest(n.contacts - 1, 0)) * power(0.9, n.handoffs) * power(0.7, n.reopens)
    * CASE WHEN n.id %% 20 = 0 THEN 0.6 ELSE 1 END
    * CASE WHEN n.id %% 5 = 0 THEN (ARRAY[1.0, 0.95, 0.75, 0.45, 0.2])[(n.id / 5) %% 5 + 1] ELSE 1 END,
  greatest(n.contacts - 1, 0) + n.handoffs + n.reopens + CASE WHEN n.id %% 20 = 0 THEN 0.75 ELSE 0 END,
  NULL, '[]'::jsonb, now()
FROM needs_need n JOIN businesses_staffmember s ON s.id = n.owner_id
WHERE n.business_id = %s
"""

DAILY = """
INSERT INTO metrics_dailyrollup (
  business_id, day, owner_id, team, needs, contacts, handoffs, reopens, reopened, solved,
  need_fcr, resolution_minutes_sum, contacts_closed, contacts_first_time, promises,
  promises_kept, late_minutes, ratings_count, ratings_sum, ei_count, ei_sum, effort_sum,
  csat_n, csat_satisfied, ces_n, ces_sum, nps_n, nps_promoters, nps_detractors)
SELECT business_id, day, owner_id, min(team), count(*), sum(contacts), sum(handoffs),
  sum(reopens), count(*) FILTER (WHERE reopened), count(resolution_minutes),
  count(*) FILTER (WHERE need_fcr), coalesce(sum(resolution_minutes), 0), sum(contacts_closed),
  sum(contacts_first_time), sum(promises), sum(promises_kept), sum(late_minutes),
  sum(ratings_count), sum(ratings_sum), count(experience_index), coalesce(sum(experience_index), 0),
  sum(effort),
  count(*) FILTER (WHERE need_id %% 10 = 1), count(*) FILTER (WHERE need_id %% 10 = 1 AND need_id %% 7 <> 0),
  count(*) FILTER (WHERE need_id %% 10 = 2), coalesce(sum(5 + need_id %% 3) FILTER (WHERE need_id %% 10 = 2), 0),
  count(*) FILTER (WHERE need_id %% 10 = 3), count(*) FILTER (WHERE need_id %% 10 = 3 AND need_id %% 2 = 0),
  count(*) FILTER (WHERE need_id %% 10 = 3 AND need_id %% 9 = 0)
FROM metrics_needfacts WHERE business_id = %s
GROUP BY business_id, day, owner_id
"""

RESPONSES = f"""
INSERT INTO metrics_responserollup (
  business_id, grain, day, owner_id, team, hour_of_week, contacts, answered, seconds_sum)
SELECT business_id, 'd', day, owner_id, min(team),
  ((extract(isodow FROM created_at AT TIME ZONE '{TZ}') - 1) * 24
    + extract(hour FROM created_at AT TIME ZONE '{TZ}'))::int AS how,
  sum(contacts), sum(contacts_first_time), sum(contacts_first_time * (600 + (need_id %% 50) * 60))
FROM metrics_needfacts WHERE business_id = %s
GROUP BY business_id, day, owner_id, how
"""

BUSINESS_MONTHS = """
INSERT INTO metrics_responserollup (
  business_id, grain, day, owner_id, team, hour_of_week, contacts, answered, seconds_sum)
SELECT business_id, 'M', day, 0, '', hour_of_week, sum(contacts), sum(answered), sum(seconds_sum)
FROM metrics_responserollup WHERE business_id = %s AND grain = 'm'
GROUP BY business_id, day, hour_of_week
"""

MONTHS = """
INSERT INTO metrics_responserollup (
  business_id, grain, day, owner_id, team, hour_of_week, contacts, answered, seconds_sum)
SELECT business_id, 'm', date_trunc('month', day)::date AS m, owner_id, min(team), hour_of_week,
  sum(contacts), sum(answered), sum(seconds_sum)
FROM metrics_responserollup WHERE business_id = %s AND grain = 'd'
GROUP BY business_id, m, owner_id, hour_of_week
"""

JOURNAL = """
INSERT INTO needs_journalevent (
  business_id, customer_id, need_id, at, kind, actor_staff_id, actor_customer_id,
  visible_to_customer, data)
SELECT n.business_id, n.customer_id, n.id, n.created_at + (g * interval '7 minutes'),
  CASE WHEN g %% 2 = 1 THEN 'customer_message' ELSE 'staff_message' END,
  CASE WHEN g %% 2 = 0 THEN n.owner_id END,
  CASE WHEN g %% 2 = 1 THEN n.customer_id END,
  true, jsonb_build_object('body', 'bench message ' || g)
FROM needs_need n CROSS JOIN generate_series(1, %s) AS g
WHERE n.business_id = %s
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--journal-extra", type=int, default=0, help="extra events per need")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    args = parser.parse_args()
    if not args.database_url.startswith("postgres"):
        sys.exit("set DATABASE_URL to the benchmark database")
    with psycopg.connect(args.database_url, autocommit=True) as conn:
        businesses = [r[0] for r in conn.execute("SELECT id FROM businesses_business ORDER BY id")]
        if args.journal_extra:
            t = time.monotonic()
            conn.execute("SET session_replication_role = replica")
            for b in businesses:
                conn.execute(JOURNAL, (args.journal_extra, b))
            conn.execute("SET session_replication_role = DEFAULT")
            conn.execute("VACUUM (ANALYZE) needs_journalevent")
            print(f"journal +{args.journal_extra}/need: {time.monotonic() - t:.0f} s", flush=True)
        t = time.monotonic()
        for table in ("metrics_responserollup", "metrics_dailyrollup", "metrics_needfacts"):
            conn.execute(f"TRUNCATE {table}")
        for b in businesses:
            conn.execute(FACTS, (b,))
        conn.execute("VACUUM (ANALYZE) metrics_needfacts")
        print(f"facts: {time.monotonic() - t:.0f} s", flush=True)
        t = time.monotonic()
        for b in businesses:
            conn.execute(DAILY, (b,))
            conn.execute(RESPONSES, (b,))
            conn.execute(MONTHS, (b,))
            conn.execute(BUSINESS_MONTHS, (b,))
        conn.execute("VACUUM (ANALYZE) metrics_dailyrollup, metrics_responserollup")
        print(f"rollups: {time.monotonic() - t:.0f} s", flush=True)
        for table in (
            "needs_need", "needs_journalevent", "metrics_needfacts",
            "metrics_dailyrollup", "metrics_responserollup",
        ):  # fmt: skip
            n = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            print(f"{table}: {n}")


if __name__ == "__main__":
    main()

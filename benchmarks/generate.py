"""Fill a PostgreSQL benchmark database with N needs, set-based (no ORM loops).

    createdb -h 127.0.0.1 -U postgres klantstuur_bench
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/klantstuur_bench
    .venv/bin/python manage.py migrate
    .venv/bin/python benchmarks/generate.py 1000000 --reset

What it makes (all numbers scale with N):

* ``--businesses`` businesses (default 3) holding 50 % / 30 % / 20 % of the needs
  (the largest business is the worst case for per-business lists and counts);
* ``--staff`` staff per business (default 20): 12 agents, 3 hosts, 2 leads,
  1 manager (frontline, they own needs) plus 1 kitchen and 1 runner;
  every staff login is ``staff<B>-<i>@bench.example`` with password ``bench-password``;
* N/5 customers, split like the needs;
* N needs over the last two years, ``created_at`` rising with the id;
  owners skewed (``floor(18 * random()^1.8)``: the first agents own far more);
  the newest 3 % are mostly active (55 % open, 25 % awaiting the customer,
  15 % solved, 5 % cancelled), older ones 93.8 % solved, 6 % cancelled and a
  0.2 % tail of forgotten open needs;
* 2–3 journal events per need (opened, a staff message, then a customer
  message / proposal / confirmation / cancellation according to the status).

The rows respect every CHECK constraint of the models (awaiting needs have
``proposed_at`` and ``autoconfirm_at``; solved ones ``solved_at``; internal notes
hidden; one actor per event). Foreign keys hold by construction; the load runs
with ``session_replication_role = replica`` so PostgreSQL does not queue ~4 M
deferred FK trigger events, and the secondary indexes of the two big tables are
dropped during the load and rebuilt afterwards (sorted builds are much faster).
Finishes with ``VACUUM (ANALYZE)`` of the loaded tables, i.e. the steady state
autovacuum would reach in production.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import psycopg
import psycopg.sql

SPAN_DAYS = 730
PASSWORD = "bench-password"
BIG_TABLES = ("needs_need", "needs_journalevent")
OUR_TABLES = (
    "needs_journalevent",
    "needs_remedy",
    "needs_handoff",
    "needs_need",
    "accounts_apitoken",
    "accounts_idempotencyrecord",
    "customers_customer",
    "businesses_staffmember",
    "django_session",
    "django_tasks_database_dbtaskresult",
    "accounts_user",
    "businesses_business",
)
# Frontline roles first: owner index 0..17 picks among them.
ROLES = ["agent"] * 12 + ["host"] * 3 + ["lead"] * 2 + ["manager", "kitchen", "runner"]
FRONTLINE = 18
SHARES = [0.5, 0.3, 0.2]


def _password_hash() -> str:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "klantstuur.settings")
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    import django

    django.setup()
    from django.contrib.auth.hashers import make_password

    return make_password(PASSWORD)


def _shares(businesses: int) -> list[float]:
    if businesses <= len(SHARES):
        s = SHARES[:businesses]
    else:
        s = SHARES + [0.1] * (businesses - len(SHARES))
    total = sum(s)
    return [x / total for x in s]


def _extras(conn: psycopg.Connection, table: str, sql: str) -> str:
    """Fill columns this script does not name from the model's defaults.

    Other engineers add fields while the schema is young; a NOT NULL column with a
    Django default gets that default as a constant, a nullable one stays NULL, and
    anything else stops the load with a clear message.
    """
    from django.apps import apps
    from django.db import connection as dj
    from django.db.models import NOT_PROVIDED

    model = next(m for m in apps.get_models() if m._meta.db_table == table)
    head = sql.split("/*XC*/")[0]
    named = {c.strip().strip('"') for c in head[head.rindex("(") + 1 :].split(",")}
    cols: list[str] = []
    vals: list[str] = []
    in_db = {
        r[0]
        for r in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = %s", (table,)
        )
    }
    for f in model._meta.concrete_fields:
        if f.column in named or f.column not in in_db or f.primary_key:
            continue
        if f.has_default():
            value = f.get_db_prep_save(f.get_default(), connection=dj)
        elif f.null or f.db_default is not NOT_PROVIDED:
            continue
        elif getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            cols.append(f'"{f.column}"')
            vals.append("now()")
            continue
        else:
            raise SystemExit(f"{table}.{f.column} is NOT NULL without a default: add it here")
        cols.append(f'"{f.column}"')
        vals.append(psycopg.sql.Literal(value).as_string(conn).replace("%", "%%"))
    extra_c = "".join(", " + c for c in cols)
    extra_v = "".join(", " + v for v in vals)
    return sql.replace("/*XC*/", extra_c).replace("/*XV*/", extra_v)


def _check_indexes(conn: psycopg.Connection) -> None:
    """Every index the models declare must exist (an interrupted load must not hide it)."""
    from klantstuur.needs.models import JournalEvent, Need

    have = {r[0] for r in conn.execute("SELECT indexname FROM pg_indexes")}
    missing = [i.name for m in (Need, JournalEvent) for i in m._meta.indexes if i.name not in have]
    if missing:
        raise SystemExit(
            f"indexes missing in this database: {missing}; recreate it "
            "(dropdb, createdb, manage.py migrate) and run again"
        )


def step(
    conn: psycopg.Connection, label: str, sql: str, params: object = None, table: str = ""
) -> None:
    if table:
        sql = _extras(conn, table, sql)
    t = time.perf_counter()
    cur = conn.execute(sql, params if params is not None else {})  # type: ignore[arg-type]
    rows = cur.rowcount
    print(f"  {label:<40} {rows:>10} rows  {time.perf_counter() - t:7.1f} s", flush=True)


def generate(url: str, n: int, businesses: int, staff: int, reset: bool) -> None:
    if staff != len(ROLES):
        raise SystemExit(f"--staff must be {len(ROLES)} for now (the role mix is fixed)")
    pw_hash = _password_hash()
    shares = _shares(businesses)
    n_customers = max(businesses, n // 5)
    started = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        existing = conn.execute("SELECT count(*) FROM needs_need").fetchone()[0]  # type: ignore[index]
        if existing and not reset:
            raise SystemExit(
                f"{existing} needs already present: pass --reset to wipe the bench data"
            )
        conn.execute("SET maintenance_work_mem = '512MB'")
        conn.execute("SET work_mem = '256MB'")
        conn.execute("SET session_replication_role = replica")
        print(f"generating {n} needs, {n_customers} customers, {businesses}×{staff} staff")
        step(conn, "truncate", "TRUNCATE " + ", ".join(OUR_TABLES) + " RESTART IDENTITY CASCADE")

        # Secondary indexes of the big tables: drop now, rebuild after the load.
        index_defs = conn.execute(
            """
            SELECT i.indexname, i.indexdef FROM pg_indexes i
            WHERE i.tablename = ANY(%s) AND i.schemaname = 'public'
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)
            """,
            (list(BIG_TABLES),),
        ).fetchall()
        _check_indexes(conn)

        conn.execute("CREATE TEMP TABLE bench_biz (b int, lo_c bigint, n_c bigint, cum float8)")
        cum = 0.0
        lo = 1
        for b, share in enumerate(shares, start=1):
            n_c = max(1, round(n_customers * share)) if b < businesses else n_customers - lo + 1
            cum += share
            conn.execute(
                "INSERT INTO bench_biz VALUES (%s, %s, %s, %s)",
                (b, lo, n_c, 1.0 if b == businesses else cum),
            )
            lo += n_c

        # One transaction: if anything fails, the dropped indexes come back too.
        with conn.transaction():
            for name, _ in index_defs:
                conn.execute(f'DROP INDEX "{name}"')
            step(
                conn,
                "businesses",
                """
                INSERT INTO businesses_business
                  (id, slug, name, time_zone, language, handoff_expiry_minutes, autoconfirm_days /*XC*/)
                SELECT b, 'bench-' || b, 'Bench business ' || b, 'Europe/Amsterdam', 'nl', 120, 7 /*XV*/
                FROM generate_series(1, %s) b
                """,
                (businesses,),
                table="businesses_business",
            )
            step(
                conn,
                "users (staff logins)",
                """
                INSERT INTO accounts_user (id, password, is_superuser, username, first_name,
                  last_name, email, is_staff, is_active, date_joined, language /*XC*/)
                SELECT (b - 1) * %(s)s + i, %(pw)s, false,
                       'staff' || b || '-' || i || '@bench.example', 'Staff ' || b || '-' || i, '',
                       'staff' || b || '-' || i || '@bench.example', false, true, now(), 'nl' /*XV*/
                FROM generate_series(1, %(b)s) b, generate_series(1, %(s)s) i
                """,
                {"s": staff, "b": businesses, "pw": pw_hash},
                table="accounts_user",
            )
            step(
                conn,
                "staff",
                """
                INSERT INTO businesses_staffmember
                  (id, name, role, authority_cents, on_duty, business_id, user_id /*XC*/)
                SELECT (b - 1) * %(s)s + i, 'Staff ' || b || '-' || i, (%(roles)s::text[])[i],
                       CASE WHEN i > 15 THEN 50000 ELSE 5000 END, i %% 7 <> 0, b,
                       (b - 1) * %(s)s + i /*XV*/
                FROM generate_series(1, %(b)s) b, generate_series(1, %(s)s) i
                """,
                {"s": staff, "b": businesses, "roles": ROLES},
                table="businesses_staffmember",
            )
            step(
                conn,
                "customers",
                """
                INSERT INTO customers_customer
                  (id, name, email, phone, language, created_at, updated_at, business_id, user_id /*XC*/)
                SELECT c, 'Klant ' || c, 'klant' || c || '@bench.example',
                       '+3161' || lpad((c %% 10000000)::text, 7, '0'),
                       CASE WHEN c %% 5 = 0 THEN 'en' ELSE 'nl' END,
                       now() - interval '800 days', now(), z.b, NULL /*XV*/
                FROM bench_biz z, generate_series(z.lo_c, z.lo_c + z.n_c - 1) c
                """,
                table="customers_customer",
            )
            step(
                conn,
                "needs",
                """
                WITH base AS MATERIALIZED (
                  SELECT g,
                         now() - (%(span)s * interval '1 day') * (1 - g::float8 / %(n)s)
                               - random() * interval '30 minutes' AS created,
                         random() AS r_biz, random() AS r_cust, random() AS r_owner,
                         random() AS r_status, random() AS r_misc, random() AS r_kind,
                         g > %(n)s * 0.97 AS recent
                  FROM generate_series(1, %(n)s) g
                ), placed AS (
                  SELECT base.*,
                         (SELECT z.b FROM bench_biz z WHERE base.r_biz <= z.cum
                          ORDER BY z.b LIMIT 1) AS b
                  FROM base
                ), shaped AS (
                  SELECT p.*, z.lo_c + floor(p.r_cust * z.n_c)::bigint AS customer_id,
                         (p.b - 1) * %(s)s + 1
                           + floor(%(front)s * power(p.r_owner, 1.8))::bigint AS owner_id,
                         CASE WHEN p.recent THEN
                                CASE WHEN p.r_status < 0.55 THEN 'open'
                                     WHEN p.r_status < 0.80 THEN 'awaiting_customer'
                                     WHEN p.r_status < 0.95 THEN 'solved'
                                     ELSE 'cancelled' END
                              ELSE
                                CASE WHEN p.r_status < 0.002 THEN 'open'
                                     WHEN p.r_status < 0.94 THEN 'solved'
                                     ELSE 'cancelled' END
                         END AS status,
                         (ARRAY['question','complaint','order','order','return','other'])
                           [1 + floor(p.r_kind * 6)::int] AS kind
                  FROM placed p JOIN bench_biz z ON z.b = p.b
                )
                INSERT INTO needs_need
                  (id, kind, summary, goal, status, created_at, updated_at, waiting_since,
                   promise_due_at, promise_text, resolution_summary, proposed_at,
                   autoconfirm_at, solved_at, contacts, handoffs, reopens, experience_index,
                   business_id, customer_id, owner_id /*XC*/)
                SELECT g, kind,
                       CASE kind WHEN 'order' THEN 'Bestelling ' || g || ' komt niet aan'
                                 WHEN 'complaint' THEN 'Verkeerd gerecht aan tafel ' || (g %% 40)
                                 WHEN 'return' THEN 'Retour van bestelling ' || g
                                 WHEN 'question' THEN 'Vraag over levertijd'
                                 ELSE 'Adres wijzigen' END,
                       CASE WHEN r_misc < 0.4 THEN 'Wil het voor het weekend in huis hebben'
                            ELSE '' END,
                       status, created,
                       created + CASE WHEN status IN ('solved', 'cancelled')
                                      THEN r_misc * interval '5 days'
                                      ELSE r_misc * interval '2 hours' END,
                       CASE WHEN status = 'open' AND r_misc < 0.5
                            THEN created + r_misc * interval '1 hour' END,
                       CASE WHEN kind = 'order' THEN created + interval '2 days'
                                                     + r_misc * interval '1 day' END,
                       CASE WHEN kind = 'order' THEN 'Bezorgd tussen 18:00 en 20:00' ELSE '' END,
                       CASE WHEN status IN ('awaiting_customer', 'solved')
                            THEN 'Opgelost: nieuw pakket verstuurd' ELSE '' END,
                       CASE WHEN status IN ('awaiting_customer', 'solved')
                            THEN created + r_misc * interval '2 days' END,
                       CASE WHEN status IN ('awaiting_customer', 'solved')
                            THEN created + r_misc * interval '2 days' + interval '7 days' END,
                       CASE WHEN status = 'solved'
                            THEN created + r_misc * interval '2 days' + interval '1 hour' END,
                       1 + floor(r_misc * 4)::int,
                       CASE WHEN r_misc > 0.9 THEN 1 ELSE 0 END,
                       CASE WHEN r_misc > 0.97 THEN 1 ELSE 0 END,
                       CASE WHEN status = 'solved' THEN round((0.4 + 0.6 * r_kind)::numeric, 3)
                       END,
                       b, customer_id, owner_id /*XV*/
                FROM shaped
                """,
                {"n": n, "span": SPAN_DAYS, "s": staff, "front": FRONTLINE},
                table="needs_need",
            )
            step(
                conn,
                "journal: need_opened",
                """
                INSERT INTO needs_journalevent (at, kind, visible_to_customer, data,
                  actor_customer_id, actor_staff_id, business_id, customer_id, need_id /*XC*/)
                SELECT n.created_at, 'need_opened', true,
                       jsonb_build_object('kind', n.kind, 'summary', n.summary, 'goal', n.goal,
                         'owner', jsonb_build_object('id', n.owner_id,
                                                     'name', 'Staff ' || n.owner_id),
                         'proactive', false),
                       n.customer_id, NULL, n.business_id, n.customer_id, n.id /*XV*/
                FROM needs_need n
                """,
                table="needs_journalevent",
            )
            step(
                conn,
                "journal: staff_message",
                """
                INSERT INTO needs_journalevent (at, kind, visible_to_customer, data,
                  actor_customer_id, actor_staff_id, business_id, customer_id, need_id /*XC*/)
                SELECT n.created_at + interval '20 minutes', 'staff_message', true,
                       jsonb_build_object('body', 'Dank voor uw bericht, ik zoek het voor u uit.'),
                       NULL, n.owner_id, n.business_id, n.customer_id, n.id /*XV*/
                FROM needs_need n
                """,
                table="needs_journalevent",
            )
            step(
                conn,
                "journal: third event (by status)",
                """
                INSERT INTO needs_journalevent (at, kind, visible_to_customer, data,
                  actor_customer_id, actor_staff_id, business_id, customer_id, need_id /*XC*/)
                SELECT coalesce(n.solved_at, n.proposed_at, n.waiting_since,
                                n.created_at + interval '1 hour'),
                       CASE n.status WHEN 'solved' THEN 'resolution_confirmed'
                                     WHEN 'awaiting_customer' THEN 'resolution_proposed'
                                     WHEN 'cancelled' THEN 'need_cancelled'
                                     ELSE 'customer_message' END,
                       true,
                       CASE n.status WHEN 'open' THEN jsonb_build_object('body', 'Nog nieuws?')
                                     WHEN 'awaiting_customer' THEN jsonb_build_object(
                                       'summary', n.resolution_summary,
                                       'autoconfirm_at', n.autoconfirm_at)
                                     ELSE '{}'::jsonb END,
                       CASE WHEN n.status = 'awaiting_customer' THEN NULL ELSE n.customer_id END,
                       CASE WHEN n.status = 'awaiting_customer' THEN n.owner_id END,
                       n.business_id, n.customer_id, n.id /*XV*/
                FROM needs_need n
                WHERE n.status <> 'open' OR n.waiting_since IS NOT NULL OR n.id %% 3 = 0
                """,
                table="needs_journalevent",
            )
            for table in (
                "businesses_business",
                "accounts_user",
                "businesses_staffmember",
                "customers_customer",
                "needs_need",
            ):
                conn.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
            for name, ddl in index_defs:
                step(conn, f"index {name}", ddl)
            # Each colleague's active load (needs.load), set from the needs in one UPDATE.
            step(
                conn,
                "active load counters",
                """
                UPDATE businesses_staffmember s SET active_needs = coalesce(l.n, 0)
                FROM businesses_staffmember s2 LEFT JOIN (
                  SELECT owner_id, count(*) AS n FROM needs_need
                  WHERE status IN ('open', 'awaiting_customer') GROUP BY owner_id
                ) l ON l.owner_id = s2.id
                WHERE s.id = s2.id
                """,
            )
        _check_indexes(conn)
        conn.execute("SET session_replication_role = origin")
        for table in (
            "businesses_business",
            "accounts_user",
            "businesses_staffmember",
            "customers_customer",
            *BIG_TABLES,
        ):
            step(conn, f"vacuum analyze {table}", f"VACUUM (ANALYZE) {table}")
        rows = conn.execute(
            "SELECT business_id, status, count(*) FROM needs_need GROUP BY 1, 2 ORDER BY 1, 2"
        ).fetchall()
        events = conn.execute("SELECT count(*) FROM needs_journalevent").fetchone()[0]  # type: ignore[index]
        size = conn.execute(
            "SELECT pg_size_pretty(pg_database_size(current_database()))"
        ).fetchone()[0]  # type: ignore[index]
    print("needs per business and status:")
    for b, status, count in rows:
        print(f"  business {b}  {status:<18} {count:>9}")
    print(f"journal events: {events} ({events / max(n, 1):.2f} per need); database size {size}")
    print(f"done in {time.perf_counter() - started:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("needs", type=int, help="number of needs, e.g. 100000 or 1000000")
    parser.add_argument("--businesses", type=int, default=3)
    parser.add_argument("--staff", type=int, default=len(ROLES), help="staff per business")
    parser.add_argument("--reset", action="store_true", help="wipe existing bench data first")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    args = parser.parse_args()
    if not args.database_url.startswith("postgres"):
        raise SystemExit("set DATABASE_URL=postgres://…/klantstuur_bench (PostgreSQL only)")
    os.environ["DATABASE_URL"] = args.database_url
    generate(args.database_url, args.needs, args.businesses, args.staff, args.reset)


if __name__ == "__main__":
    main()

"""Fill a PostgreSQL benchmark database with N shop orders, set-based (no ORM loops).

    createdb -h 127.0.0.1 -U postgres klantstuur_bench_delivery2
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/klantstuur_bench_delivery2
    .venv/bin/python manage.py migrate
    .venv/bin/python benchmarks/delivery_generate.py 1000000

Business ``bench-delivery`` (time zone Europe/Amsterdam) with an agent who owns every
need (``agent@bench-delivery.example``), a carrier account (``carrier@…``), windows
08-12 / 12-17 / 18-21 and one catalog item. Then, in chunks of 100 000, all in SQL:

* N/10 customers;
* N needs of kind ``order`` (solved once delivered, else open; both with an owner);
* N orders over the last two years (``created_at`` rising with the id), 1–3 lines each;
* one delivery per order, its window two days after the order (business time);
  past windows delivered (2 % still in transit), the newest ones scheduled;
* checkpoints ``order_received``, ``handed_to_carrier``, ``delivered`` as applicable, each
  with its journal event (the OneToOne the model demands), plus a ``need_opened`` event;
* the ``SlotLoad`` counts that match the bookings.

Every CHECK and UNIQUE constraint holds (solved needs have ``solved_at``; one actor per
event; one delivery per order; each checkpoint its own event). The load runs with
``session_replication_role = replica`` (FKs hold by construction) and ends with
``VACUUM (ANALYZE)``. Re-running with a larger N adds the difference.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "klantstuur.settings")

import django

django.setup()

from datetime import time as dtime  # noqa: E402

from django.db import connection, transaction  # noqa: E402

from klantstuur.businesses.models import Business, Role  # noqa: E402
from klantstuur.businesses.services import business_create, staff_create  # noqa: E402
from klantstuur.catalog.models import CatalogItem  # noqa: E402
from klantstuur.delivery.models import DeliverySettings, DeliveryWindow  # noqa: E402

SLUG = "bench-delivery"
PASSWORD = "bench-pass-123"
CHUNK = 100_000
SPAN_DAYS = 730


def setup() -> tuple[int, int, int, int, int]:
    biz = Business.objects.filter(slug=SLUG).first()
    if biz is None:
        biz = business_create(slug=SLUG, name="Bench shop", time_zone="Europe/Amsterdam")
        staff_create(
            business=biz,
            email=f"agent@{SLUG}.example",
            name="Agent",
            role=Role.AGENT,
            password=PASSWORD,
            authority_cents=5000,
        )
        staff_create(
            business=biz,
            email=f"carrier@{SLUG}.example",
            name="Carrier",
            role=Role.CARRIER,
            password=PASSWORD,
        )
        DeliverySettings.objects.create(business=biz, horizon_days=14)
        for a, b in ((8, 12), (12, 17), (18, 21)):
            DeliveryWindow.objects.create(
                business=biz, starts=dtime(a), ends=dtime(b), capacity=10**8
            )
        CatalogItem.objects.create(business=biz, name="Remblokken", price_cents=1495)
    agent = biz.staff.get(role=Role.AGENT).pk
    window = DeliveryWindow.objects.get(business=biz, starts=dtime(18)).pk
    item = CatalogItem.objects.get(business=biz).pk
    return biz.pk, agent, window, item, biz.staff.get(role=Role.CARRIER).pk


def base(cur: object, table: str) -> int:
    cur.execute(f"SELECT coalesce(max(id), 0) + 1 FROM {table}")  # type: ignore[attr-defined]
    return int(cur.fetchone()[0])  # type: ignore[attr-defined]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("orders", type=int)
    args = ap.parse_args()
    n = args.orders
    biz, agent, window, item, _carrier = setup()
    started = time.monotonic()
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM orders_order WHERE business_id = %s", [biz])
        have = int(cur.fetchone()[0])
        customers = max(n // 10, 10)
        cur.execute("SELECT count(*) FROM customers_customer WHERE business_id = %s", [biz])
        have_customers = int(cur.fetchone()[0])
        if have_customers < customers:
            # Ids stay contiguous (a fresh bench database): customer = cmin + g mod C.
            cb = base(cur, "customers_customer") - have_customers
            cur.execute(
                """INSERT INTO customers_customer (id, name, email, phone, language, created_at,
                       updated_at, business_id, notify_by_email)
                   SELECT %(cb)s + g, 'Customer ' || g, 'c' || g || '@bench-delivery.example',
                          '', 'nl', now(), now(), %(biz)s, true
                   FROM generate_series(%(h)s, %(c)s - 1) g""",
                {"cb": cb, "biz": biz, "c": customers, "h": have_customers},
            )
        cur.execute("SELECT min(id) FROM customers_customer WHERE business_id = %s", [biz])
        cmin = int(cur.fetchone()[0])
    i = have
    while i < n:
        k = min(CHUNK, n - i)
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute("SET LOCAL session_replication_role = replica")
            p = {
                "biz": biz,
                "agent": agent,
                "window": window,
                "item": item,
                "cmin": cmin,
                "customers": customers,
                "n": n,
                "from": i,
                "to": i + k - 1,
                "span": SPAN_DAYS,
                "nb": base(cur, "needs_need"),
                "ob": base(cur, "orders_order"),
                "lb": base(cur, "orders_orderline"),
                "jb": base(cur, "needs_journalevent"),
                "kb": base(cur, "orders_checkpoint"),
                "db": base(cur, "delivery_delivery"),
            }
            # One row per order: its times and its fate, reused by every insert below.
            cur.execute(
                """CREATE TEMP TABLE gen ON COMMIT DROP AS
                   SELECT g - %(from)s AS r, g,
                          %(cmin)s + (g::bigint * 7919) %% %(customers)s AS customer,
                          now() - make_interval(secs => (%(n)s - g)::float8
                                                 * %(span)s * 86400 / %(n)s) AS created
                   FROM generate_series(%(from)s, %(to)s) g""",
                p,
            )
            cur.execute(
                """ALTER TABLE gen ADD COLUMN wday date, ADD COLUMN ws timestamptz,
                   ADD COLUMN we timestamptz, ADD COLUMN state text;
                   UPDATE gen SET wday = (created AT TIME ZONE 'Europe/Amsterdam')::date + 2;
                   UPDATE gen SET ws = (wday + time '18:00') AT TIME ZONE 'Europe/Amsterdam',
                                  we = (wday + time '21:00') AT TIME ZONE 'Europe/Amsterdam';
                   UPDATE gen SET state = CASE WHEN ws > now() THEN 'scheduled'
                                               WHEN g %% 50 = 0 THEN 'in_transit'
                                               ELSE 'delivered' END""",
                p,
            )
            cur.execute(
                """INSERT INTO needs_need (id, kind, summary, goal, status, created_at, updated_at,
                       promise_due_at, promise_text, resolution_summary, solved_at, contacts,
                       handoffs, reopens, business_id, customer_id, owner_id)
                   SELECT %(nb)s + r, 'order', 'Order: 1× Remblokken', '',
                          CASE WHEN state = 'delivered' THEN 'solved' ELSE 'open' END,
                          created, created, we, to_char(wday, 'YYYY-MM-DD') || ' 18:00-21:00',
                          '', CASE WHEN state = 'delivered' THEN we END, 0, 0, 0,
                          %(biz)s, customer, %(agent)s
                   FROM gen""",
                p,
            )
            cur.execute(
                """INSERT INTO orders_order (id, channel, status, last_checkpoint, promised_at,
                       promise_text, external_ref, created_at, updated_at, total_cents,
                       business_id, customer_id, need_id)
                   SELECT %(ob)s + r, 'shop',
                          CASE WHEN state = 'delivered' THEN 'fulfilled' ELSE 'placed' END,
                          CASE state WHEN 'delivered' THEN 'delivered'
                                     WHEN 'in_transit' THEN 'handed_to_carrier'
                                     ELSE 'order_received' END,
                          we, to_char(wday, 'YYYY-MM-DD') || ' 18:00-21:00', '', created, created,
                          1495 * (1 + g %% 3), %(biz)s, customer, %(nb)s + r
                   FROM gen""",
                p,
            )
            cur.execute(
                """INSERT INTO orders_orderline (id, quantity, note, allergies, course, status,
                       price_cents, created_at, fired_at, business_id, item_id, order_id)
                   SELECT %(lb)s + r * 3 + j, 1, '', '', '', 'received', 1495, created, created,
                          %(biz)s, %(item)s, %(ob)s + r
                   FROM gen, generate_series(0, 2) j WHERE j <= g %% 3""",
                p,
            )
            cur.execute(
                """INSERT INTO delivery_delivery (id, requested_date, requested_place,
                       promised_date, place_kind, promised_place, window_start, window_end,
                       cutoff_at, status, last_carrier_at, version, problem_reason,
                       late_alerted_version, missed_alerted_version, created_at, updated_at,
                       business_id, customer_id, order_id, promised_window_id,
                       requested_window_id)
                   SELECT %(db)s + r, wday, '{"kind": "home"}', wday, 'home', '{"kind": "home"}',
                          ws, we, ws - interval '6 hours', state,
                          CASE WHEN state <> 'scheduled' THEN ws END, 1, '',
                          CASE WHEN state = 'delivered' THEN 0 ELSE 1 END,
                          CASE WHEN state = 'delivered' THEN 0 ELSE 1 END,
                          created, created, %(biz)s, customer, %(ob)s + r, %(window)s, %(window)s
                   FROM gen""",
                p,
            )
            # Journal: need_opened (slot 0) and one event per checkpoint (slots 1..3).
            cur.execute(
                """INSERT INTO needs_journalevent (id, at, kind, visible_to_customer, data,
                       actor_staff_id, business_id, customer_id, need_id)
                   SELECT %(jb)s + r * 4, created, 'need_opened', true,
                          jsonb_build_object('owner', jsonb_build_object('id', %(agent)s,
                                                                        'name', 'Agent')),
                          NULL, %(biz)s, customer, %(nb)s + r
                   FROM gen""",
                p,
            )
            cur.execute(
                """CREATE TEMP TABLE cps ON COMMIT DROP AS
                   SELECT r, customer, j,
                          (ARRAY['order_received', 'handed_to_carrier', 'delivered'])[j] AS code,
                          (ARRAY['Order received', 'Handed to the carrier', 'Delivered'])[j]
                              AS label,
                          CASE j WHEN 1 THEN created WHEN 2 THEN ws - interval '3 hours'
                                 ELSE ws + interval '1 hour' END AS at
                   FROM gen, generate_series(1, 3) j
                   WHERE j = 1 OR (j = 2 AND state <> 'scheduled') OR (j = 3 AND state = 'delivered')""",
                p,
            )
            cur.execute(
                """INSERT INTO needs_journalevent (id, at, kind, visible_to_customer, data,
                       actor_staff_id, business_id, customer_id, need_id)
                   SELECT %(jb)s + r * 4 + j, at, 'checkpoint', true,
                          jsonb_build_object('order_id', %(ob)s + r, 'code', code,
                                             'label', label, 'line_id', NULL, 'location', '',
                                             'note', '', 'reason', '', 'source', 'api'),
                          CASE WHEN j > 1 THEN %(agent)s END, %(biz)s, customer, %(nb)s + r
                   FROM cps""",
                p,
            )
            cur.execute(
                """INSERT INTO orders_checkpoint (id, code, at, location, note, event_id, order_id)
                   SELECT %(kb)s + r * 3 + j - 1, code, at, '', '', %(jb)s + r * 4 + j,
                          %(ob)s + r
                   FROM cps""",
                p,
            )
        i += k
        print(f"{i}/{n} orders  ({time.monotonic() - started:.0f} s)", flush=True)
    with connection.cursor() as cur:
        # The slot counts that match the bookings, and the sequences after the explicit ids.
        cur.execute(
            """INSERT INTO delivery_slotload (key, date, booked, business_id)
               SELECT 'w' || promised_window_id, promised_date, count(*), %s
               FROM delivery_delivery WHERE business_id = %s AND status <> 'cancelled'
               GROUP BY promised_window_id, promised_date
               ON CONFLICT (key, date) DO UPDATE SET booked = EXCLUDED.booked""",
            [biz, biz],
        )
        for table in (
            "customers_customer",
            "needs_need",
            "orders_order",
            "orders_orderline",
            "needs_journalevent",
            "orders_checkpoint",
            "delivery_delivery",
        ):
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
    connection.close()
    with connection.cursor() as cur:
        for table in (
            "needs_need",
            "orders_order",
            "orders_orderline",
            "needs_journalevent",
            "orders_checkpoint",
            "delivery_delivery",
            "customers_customer",
            "delivery_slotload",
        ):
            cur.execute(f"VACUUM (ANALYZE) {table}")
    print(f"done in {time.monotonic() - started:.0f} s", flush=True)


if __name__ == "__main__":
    main()

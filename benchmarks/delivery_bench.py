"""Delivery benchmark: tracking page and GET /api/v1/me/orders/{id} p95, carrier ingest rate.

    createdb -h 127.0.0.1 -U postgres klantstuur_bench_delivery
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/klantstuur_bench_delivery \
        .venv/bin/python benchmarks/delivery_bench.py --orders 1000000

Seeds N shop orders with a delivery each (bulk inserts, a few minutes per million),
then measures in-process through Django's test client (the full middleware and
ninja stack, no network): 300 tracking pages and 300 API reads of random orders
of random customers, and carrier events posted in batches of 500, counted back.
"""

import argparse
import os
import random
import statistics
import sys
import time as clock
from datetime import time, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "klantstuur.settings")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings  # noqa: E402
from django.utils import timezone  # noqa: E402

from klantstuur.accounts.services import customer_user, token_create  # noqa: E402
from klantstuur.businesses.models import Business, Role  # noqa: E402
from klantstuur.businesses.services import business_create, staff_create  # noqa: E402
from klantstuur.catalog.models import CatalogItem  # noqa: E402
from klantstuur.customers.models import Customer  # noqa: E402
from klantstuur.delivery.models import CarrierEvent, Delivery, DeliveryWindow  # noqa: E402
from klantstuur.needs.models import Need  # noqa: E402
from klantstuur.orders.models import Order, OrderLine  # noqa: E402

CHUNK = 10_000


def seed(n: int) -> Business:
    call_command("migrate", verbosity=0)
    found = Business.objects.filter(slug="bench").first()
    if found and Order.objects.filter(business=found).count() >= n:
        return found
    biz = found or business_create(slug="bench", name="Bench shop")
    if not found:
        staff_create(
            business=biz,
            email="agent@bench.example",
            name="Agent",
            role=Role.AGENT,
            password="bench-pass-123",
        )
        staff_create(
            business=biz,
            email="carrier@bench.example",
            name="Carrier",
            role=Role.CARRIER,
            password="bench-pass-123",
        )
        DeliveryWindow.objects.create(business=biz, starts=time(18), ends=time(21), capacity=10**9)
        CatalogItem.objects.create(business=biz, name="Remblokken", price_cents=1495)
        Customer.objects.bulk_create(
            [
                Customer(business=biz, name=f"C{i}", email=f"c{i}@bench.example")
                for i in range(max(n // 10, 10))
            ],
            batch_size=CHUNK,
        )
    owner = biz.staff.get(role=Role.AGENT)
    window = DeliveryWindow.objects.get(business=biz)
    item = CatalogItem.objects.get(business=biz)
    customers = list(Customer.objects.filter(business=biz).values_list("pk", flat=True))
    now = timezone.now()
    done = Order.objects.filter(business=biz).count()
    while done < n:
        k = min(CHUNK, n - done)
        cids = [random.choice(customers) for _ in range(k)]
        needs = Need.objects.bulk_create(
            [
                Need(
                    business=biz,
                    customer_id=c,
                    kind="order",
                    summary="Bench order",
                    owner=owner,
                    created_at=now,
                    updated_at=now,
                )
                for c in cids
            ]
        )
        orders = Order.objects.bulk_create(
            [
                Order(
                    business=biz,
                    need=nd,
                    customer_id=c,
                    channel="shop",
                    total_cents=1495,
                    created_at=now,
                    updated_at=now,
                )
                for nd, c in zip(needs, cids, strict=True)
            ]
        )
        OrderLine.objects.bulk_create(
            [OrderLine(order=o, business=biz, item=item, price_cents=1495) for o in orders]
        )
        day = timezone.localdate() + timedelta(days=1)
        start = now + timedelta(days=1)
        Delivery.objects.bulk_create(
            [
                Delivery(
                    order=o,
                    business=biz,
                    customer_id=o.customer_id,
                    requested_date=day,
                    requested_window=window,
                    promised_date=day,
                    promised_window=window,
                    place_kind="home",
                    promised_place={"kind": "home"},
                    window_start=start,
                    window_end=start + timedelta(hours=3),
                    cutoff_at=start - timedelta(hours=6),
                )
                for o in orders
            ]
        )
        done += k
        print(f"seeded {done}/{n}", flush=True)
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    return biz


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[18] * 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--orders", type=int, default=100_000)
    ap.add_argument("--reads", type=int, default=300)
    ap.add_argument("--events", type=int, default=20_000)
    args = ap.parse_args()
    biz = seed(args.orders)
    ids = list(
        Order.objects.filter(business=biz)
        .order_by("?")
        .values_list("pk", "customer_id")[: args.reads]
    )
    page: list[float] = []
    api: list[float] = []
    with override_settings(ALLOWED_HOSTS=["*"], DEBUG=False):
        for oid, cid in ids:
            customer = Customer.objects.get(pk=cid)
            user = customer_user(customer=customer)
            web = Client()
            web.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
            _, key = token_create(user=user)
            t = clock.perf_counter()
            r = web.get(f"/portal/orders/{oid}/")
            page.append(clock.perf_counter() - t)
            assert r.status_code == 200, r.status_code
            t = clock.perf_counter()
            r = Client().get(f"/api/v1/me/orders/{oid}", HTTP_AUTHORIZATION=f"Bearer {key}")
            api.append(clock.perf_counter() - t)
            assert r.status_code == 200, r.status_code
        print(f"tracking page p95 {p95(page):.1f} ms (median {statistics.median(page) * 1000:.1f})")
        print(
            f"GET /api/v1/me/orders/{{id}} p95 {p95(api):.1f} ms (median {statistics.median(api) * 1000:.1f})"
        )
        carrier = biz.staff.get(role=Role.CARRIER)
        _, key = token_create(user=carrier.user)
        before = CarrierEvent.objects.filter(business=biz).count()
        targets = [oid for oid, _c in ids]
        run = f"{clock.time():.0f}"
        events = [
            {
                "order_id": targets[i % len(targets)],
                "status": "in_transit",
                "event_id": f"{run}-{i}",
            }
            for i in range(args.events)
        ]
        client = Client()
        t = clock.perf_counter()
        for i in range(0, len(events), 500):
            r = client.post(
                "/api/v1/carrier/events/batch",
                {"events": events[i : i + 500]},
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Bearer {key}",
            )
            assert r.status_code == 200 and not r.json()["errors"], r.content[:300]
        spent = clock.perf_counter() - t
        counted = CarrierEvent.objects.filter(business=biz).count() - before
        print(
            f"carrier events: {args.events} in {spent:.1f} s = {args.events / spent:.0f}/s; counted back {counted}"
        )
        assert counted == args.events


if __name__ == "__main__":
    main()

"""Outgoing webhooks under load (issue #12): 10,000 journal events fanned out to 3
endpoints, sent by ``klantstuur worker`` processes to a receiver on loopback.

    createdb -h 127.0.0.1 -U postgres ks_bench_i12
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/ks_bench_i12
    .venv/bin/python benchmarks/webhooks_bench.py --events 10000 --workers 2

The events are real journal rows written the way services write them: needs opened by
``need_open`` (one event each), then staff messages on those needs written in
transactions of 100 events (``journal.record_events``), as fast as this process can.
The workers run from the start, so sending overlaps writing. Measured: the seconds from
the last event's commit until the receiver holds every message. Counted back: the
receiver's distinct ``webhook-id``s per endpoint (each signature verified, repeats and
events of a need out of order counted) and the deliveries in the database.
"""

from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import os

os.environ["KLANTSTUUR_WEBHOOKS_ALLOW_PRIVATE"] = "1"
from _common import RESULTS, ROOT, database_url, django_setup, environment
from _journal import start_worker, stop, worker_env

ENDPOINTS = 3


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _stats(port: int) -> dict[str, Any]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/stats", timeout=5) as r:
        return dict(json.loads(r.read()))


def _scene(n_needs: int) -> tuple[Any, list[Any], Any]:
    from django.core.management import call_command

    from klantstuur.businesses.services import business_create, staff_create
    from klantstuur.customers.services import customer_create
    from klantstuur.needs import consumers

    call_command("migrate", verbosity=0)
    stamp = str(int(time.time()))
    business = business_create(slug=f"hooks-{stamp}", name="Webhook bench")
    staff = staff_create(
        business=business,
        email=f"agent-{stamp}@bench.example",
        name="Agent",
        role="agent",
        authority_cents=0,
        password="bench-password-123",
    )
    customers = [
        customer_create(business=business, name=f"Klant {i}", email=f"k{i}-{stamp}@bench.example")
        for i in range(max(1, n_needs // 10))
    ]
    consumers.skip_to_head()  # earlier runs' journal counts as handled
    return business, customers, staff


def _write(customers: list[Any], staff: Any, events: int, needs: int) -> tuple[float, float]:
    """The events; returns the times of the first and the last commit."""
    from django.db import transaction

    from klantstuur.needs import services
    from klantstuur.needs.journal import journal_entry, record_events
    from klantstuur.needs.models import EventKind

    started = time.time()
    opened = [
        services.need_open(
            customer=customers[i % len(customers)], kind="question", summary=f"Vraag {i}"
        )
        for i in range(needs)
    ]
    left = events - needs
    i = 0
    while left > 0:
        size = min(100, left)
        with transaction.atomic():
            record_events(
                [
                    journal_entry(
                        need=opened[(i + j) % needs],
                        kind=EventKind.STAFF_MESSAGE,
                        actor_staff=staff,
                        data={"body": f"bericht {i + j}"},
                    )
                    for j in range(size)
                ]
            )
        i += size
        left -= size
    return started, time.time()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--needs", type=int, default=1_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=300)
    args = parser.parse_args()
    database_url()
    django_setup()
    from klantstuur.integrations import services
    from klantstuur.integrations.models import DeliveryStatus, WebhookDelivery

    business, customers, staff = _scene(args.needs)
    port = _free_port()
    made = [
        services.endpoint_create(
            business=business,
            url=f"http://127.0.0.1:{port}/e{i}",
            events=["need_opened", "staff_message"],
            actor_staff=staff,
        )
        for i in range(ENDPOINTS)
    ]
    secrets = ",".join(m.secret for m in made)
    logs = RESULTS / "webhooks"
    receiver = subprocess.Popen(
        [sys.executable, str(Path(__file__).parent / "webhook_receiver.py"), str(port), secrets],
        cwd=ROOT,
        start_new_session=True,
    )
    workers = []
    try:
        for _ in range(50):
            try:
                _stats(port)
                break
            except OSError:
                time.sleep(0.1)
        env = worker_env({"KLANTSTUUR_WEBHOOKS_ALLOW_PRIVATE": "1"})
        workers = [start_worker(logs / f"worker-{n}.log", env) for n in range(args.workers)]
        first, last = _write(customers, staff, args.events, args.needs)
        expected = args.events * ENDPOINTS
        deadline = last + args.timeout
        while True:
            stats = _stats(port)
            distinct = sum(p["distinct"] for p in stats["paths"].values())
            if distinct >= expected or time.time() > deadline:
                break
            time.sleep(0.2)
        done = stats["last_at"]
    finally:
        for w in workers:
            stop(w)
        stop(receiver)
    ids = [m.endpoint.pk for m in made]
    delivered = WebhookDelivery.objects.filter(
        endpoint_id__in=ids, status=DeliveryStatus.DELIVERED
    ).count()
    queued = WebhookDelivery.objects.filter(endpoint_id__in=ids).count()
    result = {
        "events": args.events,
        "needs": args.needs,
        "endpoints": ENDPOINTS,
        "workers": args.workers,
        "writing_seconds": round(last - first, 1),
        "seconds_after_last_event": round(done - last, 1),
        "seconds_total": round(done - first, 1),
        "expected_messages": expected,
        "received": {p: s for p, s in sorted(stats["paths"].items())},
        "distinct_received": distinct,
        "repeated": sum(p["repeated"] for p in stats["paths"].values()),
        "bad_signature": stats["bad_signature"],
        "out_of_order": stats["out_of_order"],
        "deliveries_queued": queued,
        "deliveries_delivered": delivered,
        "environment": environment(),
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "webhooks.json").write_text(json.dumps(result, indent=2))
    print(json.dumps({k: v for k, v in result.items() if k != "environment"}, indent=2))


if __name__ == "__main__":
    main()

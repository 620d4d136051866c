"""Sending what is due: claimed with a lease, posted concurrently, every attempt kept.

A worker claims a batch of due deliveries (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so
workers share them) and leases them for a while: the claim commits at once and no
transaction stays open while the network is slow. It then posts them, several at a
time, and records each answer in one short transaction. A worker killed in between
leaves its leases to run out; the deliveries are sent again, with the same
``webhook-id`` (at least once; receivers drop what they have seen).

In order per need: a delivery is due only when no earlier pending delivery of the same
endpoint and need exists (``ordering_key``), so a failing one holds back the ones
after it until it is delivered or given up.

Retries: exponential back-off with jitter, for 24 hours from queueing; then the
delivery fails, the endpoint is disabled and its managers (or its customer) are told.
"""

import logging
import random
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.db import transaction
from django.db.models import Count, Exists, F, Min, OuterRef, Q
from django.utils import timezone, translation
from standardwebhooks.webhooks import Webhook

from . import addresses
from .models import DeliveryStatus, EndpointStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from .services import endpoint_disable

logger = logging.getLogger("klantstuur.webhooks")


def _setting(name: str, default: float) -> float:
    return float(settings.KLANTSTUUR.get(name, default))


def timeout() -> float:
    return _setting("WEBHOOK_TIMEOUT_SECONDS", 5)


def give_up_after() -> timedelta:
    return timedelta(hours=_setting("WEBHOOK_GIVE_UP_HOURS", 24))


def backoff(attempts: int, *, rng: random.Random | None = None) -> timedelta:
    """After the n-th failed attempt: base·2^(n-1), at most the cap, of which a random
    half (equal jitter) so a crowd of failures does not come back at one instant."""
    base = _setting("WEBHOOK_RETRY_BASE_SECONDS", 10)
    cap = _setting("WEBHOOK_RETRY_MAX_SECONDS", 3600)
    delay = min(cap, base * 2 ** max(attempts - 1, 0))
    return timedelta(seconds=delay / 2 + (rng or random).uniform(0, delay / 2))


@dataclass
class Result:
    delivery: WebhookDelivery
    at: datetime
    status_code: int | None = None
    duration_ms: int = 0
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def due(now: datetime) -> Any:
    """Pending deliveries that may go now: due, not leased, endpoint active, and the
    first pending one of their endpoint and need."""
    earlier = WebhookDelivery.objects.filter(
        endpoint_id=OuterRef("endpoint_id"),
        ordering_key=OuterRef("ordering_key"),
        status=DeliveryStatus.PENDING,
        id__lt=OuterRef("id"),
    )
    return (
        WebhookDelivery.objects.filter(
            status=DeliveryStatus.PENDING,
            next_attempt_at__lte=now,
            endpoint__status=EndpointStatus.ACTIVE,
        )
        .filter(Q(leased_until__isnull=True) | Q(leased_until__lt=now))
        .exclude(Exists(earlier))
        .order_by("next_attempt_at", "id")
    )


def claim(*, now: datetime, limit: int, lease: timedelta) -> list[WebhookDelivery]:
    """Lease up to ``limit`` due deliveries for ``lease`` (committed at once)."""
    with transaction.atomic():
        rows = list(
            due(now)
            .select_related("endpoint")
            .select_for_update(skip_locked=True, of=("self",))[:limit]
        )
        if rows:
            WebhookDelivery.objects.filter(pk__in=[d.pk for d in rows]).update(
                leased_until=now + lease
            )
    return rows


def headers_for(delivery: WebhookDelivery, now: datetime) -> dict[str, str]:
    """Standard Webhooks headers; during a secret's rotation signed with both secrets."""
    signatures = [
        Webhook(secret).sign(delivery.webhook_id, now, delivery.body)
        for secret in delivery.endpoint.signing_secrets(now)
    ]
    return {
        "webhook-id": delivery.webhook_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": " ".join(signatures),
        "content-type": "application/json",
        "user-agent": "Klantstuur-Webhooks/1",
    }


def send(client: httpx.Client, delivery: WebhookDelivery) -> Result:
    now = timezone.now()
    result = Result(delivery=delivery, at=now)
    url = delivery.endpoint.url
    parts = urlsplit(url)
    with translation.override("en"):  # the log is read in any language; it keeps English
        refused = addresses.address_refused(parts.hostname or "", parts.port)
    if refused:
        result.error = refused
        return result
    started = time.monotonic()
    try:
        response = client.post(
            url,
            content=delivery.body.encode(),
            headers=headers_for(delivery, now),
            timeout=httpx.Timeout(timeout()),
        )
        result.status_code = response.status_code
    except httpx.TimeoutException:
        result.error = "time-out"
    except httpx.HTTPError as exc:
        result.error = f"{type(exc).__name__}: {exc}"[:300]
    result.duration_ms = round((time.monotonic() - started) * 1000)
    return result


def record(results: list[Result], *, now: datetime) -> None:
    """Each attempt kept; delivered ones done; failed ones due again later, or given up
    (the endpoint disabled) once 24 hours have passed since they were queued."""
    given_up: set[int] = set()
    delivered: dict[int | None, list[int]] = defaultdict(list)
    failed = []
    # An endpoint removed while its messages were on their way took them along.
    still = set(
        WebhookDelivery.objects.filter(pk__in=[r.delivery.pk for r in results]).values_list(
            "pk", flat=True
        )
    )
    results = [r for r in results if r.delivery.pk in still]
    for r in results:
        d = r.delivery
        if r.ok:
            delivered[r.status_code].append(d.pk)
            continue
        d.attempts += 1
        d.last_status_code = r.status_code
        d.leased_until = None
        if now - d.queued_at >= give_up_after():
            d.status = DeliveryStatus.FAILED
            given_up.add(d.endpoint_id)
        else:
            d.next_attempt_at = now + backoff(d.attempts)
        failed.append(d)
    with transaction.atomic():
        WebhookAttempt.objects.bulk_create(
            [
                WebhookAttempt(
                    delivery=r.delivery,
                    at=r.at,
                    status_code=r.status_code,
                    duration_ms=r.duration_ms,
                    error=r.error,
                )
                for r in results
            ]
        )
        # The usual case in one statement per status code: delivered.
        for code, ids in delivered.items():
            WebhookDelivery.objects.filter(pk__in=ids).update(
                status=DeliveryStatus.DELIVERED,
                delivered_at=now,
                attempts=F("attempts") + 1,
                last_status_code=code,
                leased_until=None,
            )
        WebhookDelivery.objects.bulk_update(
            failed, ["attempts", "last_status_code", "leased_until", "status", "next_attempt_at"]
        )
        for endpoint_id in given_up:
            endpoint_disable(endpoint_id=endpoint_id, reason="failed for 24 hours")


_client: httpx.Client | None = None


def client() -> httpx.Client:
    """One pooled client per process: connections to an endpoint are kept and reused."""
    global _client
    if _client is None:
        _client = httpx.Client(
            timeout=httpx.Timeout(timeout()),
            follow_redirects=False,
            limits=httpx.Limits(max_connections=64, max_keepalive_connections=32),
        )
    return _client


def deliver_due(*, limit: int | None = None, concurrency: int | None = None) -> int:
    """One round: claim what is due, send it, record it; the number of attempts made."""
    now = timezone.now()
    limit = limit or int(_setting("WEBHOOK_BATCH", 200))
    concurrency = concurrency or int(_setting("WEBHOOK_CONCURRENCY", 16))
    # Long enough for the whole batch at its slowest (every attempt timing out).
    lease = timedelta(seconds=-(-limit // concurrency) * timeout() + 5)
    batch = claim(now=now, limit=limit, lease=lease)
    if not batch:
        return 0
    workers = max(1, min(len(batch), concurrency))
    http = client()
    if workers == 1:
        results = [send(http, d) for d in batch]
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(lambda d: send(http, d), batch))
    record(results, now=timezone.now())
    return len(results)


def deliver_all(*, max_rounds: int = 100) -> int:
    """Rounds until nothing more is due now (tests, the demo)."""
    done = 0
    for _ in range(max_rounds):
        sent = deliver_due()
        if not sent:
            break
        done += sent
    return done


def report() -> dict[str, Any]:
    """For ``/healthz?verbose=1``: what waits, and since when."""
    pending = WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING).aggregate(
        n=Count("id"), oldest=Min("queued_at")
    )
    oldest = pending["oldest"]
    return {
        "pending": pending["n"],
        "oldest_pending_seconds": round((timezone.now() - oldest).total_seconds(), 1)
        if oldest
        else 0.0,
        "disabled_endpoints": WebhookEndpoint.objects.filter(
            status=EndpointStatus.DISABLED
        ).count(),
    }

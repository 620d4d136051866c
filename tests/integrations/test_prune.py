"""The delivery log forgets what was sent or given up long ago, never what is pending."""

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from klantstuur.core import sweeps
from klantstuur.integrations import services
from klantstuur.integrations.models import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from tests.conftest import World

pytestmark = pytest.mark.django_db


def _endpoint(world: World) -> WebhookEndpoint:
    return WebhookEndpoint.objects.create(
        business=world.x, url="https://hooks.example.net/in", events=["need_opened"]
    )


def _delivery(endpoint: WebhookEndpoint, status: str, days_ago: float) -> WebhookDelivery:
    at = timezone.now() - timedelta(days=days_ago)
    d = WebhookDelivery.objects.create(
        endpoint=endpoint,
        event_type="need_opened",
        webhook_id=f"msg_{status}_{days_ago}",
        ordering_key="need:1",
        body="{}",
        status=status,
        next_attempt_at=at,
        queued_at=at,
    )
    WebhookAttempt.objects.create(delivery=d, at=at, status_code=200)
    return d


def test_old_sent_and_given_up_go_with_their_attempts_pending_stays(
    world: World, settings: Any
) -> None:
    settings.KLANTSTUUR = {**settings.KLANTSTUUR, "WEBHOOK_LOG_DAYS": 30}
    endpoint = _endpoint(world)
    kept = [
        _delivery(endpoint, DeliveryStatus.DELIVERED, 29),
        _delivery(endpoint, DeliveryStatus.FAILED, 29),
        _delivery(endpoint, DeliveryStatus.PENDING, 45),
    ]
    _delivery(endpoint, DeliveryStatus.DELIVERED, 31)
    _delivery(endpoint, DeliveryStatus.FAILED, 60)

    assert sweeps.run_all()["webhook_log_pruned"] == 2
    assert sorted(WebhookDelivery.objects.values_list("pk", flat=True)) == [d.pk for d in kept]
    assert sorted(WebhookAttempt.objects.values_list("delivery_id", flat=True)) == [
        d.pk for d in kept
    ]
    assert services.deliveries_prune(timezone.now()) == 0


def test_a_sweep_forgets_at_most_one_batch(world: World, monkeypatch: Any) -> None:
    monkeypatch.setattr(services, "PRUNE_BATCH", 3)
    endpoint = _endpoint(world)
    for n in range(5):
        _delivery(endpoint, DeliveryStatus.DELIVERED, 40 + n)
    assert services.deliveries_prune(timezone.now()) == 3
    # The oldest went first.
    assert sorted(WebhookDelivery.objects.values_list("webhook_id", flat=True)) == [
        "msg_delivered_40",
        "msg_delivered_41",
    ]
    assert services.deliveries_prune(timezone.now()) == 2

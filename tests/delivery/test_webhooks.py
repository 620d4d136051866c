# ruff: noqa: F811  (pytest fixtures shared from tests/delivery/test_api.py)
"""Carrier webhooks by the Standard Webhooks scheme: signed, fresh, once."""

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook

from klantstuur.delivery.models import CarrierEvent, DeliverySettings
from klantstuur.orders.models import Checkpoint
from tests.conftest import World
from tests.delivery.test_api import API, _order, shop  # noqa: F401
from tests.helpers import assert_error

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


@pytest.fixture
def hook(world: World, shop: dict[str, Any]) -> Webhook:
    DeliverySettings.objects.filter(business=world.x).update(webhook_secret=SECRET)
    return Webhook(SECRET)


def send(
    client: Any,
    hook: Webhook,
    body: dict[str, Any],
    msg_id: str = "msg_1",
    sign: bool = True,
    when: datetime | None = None,
) -> Any:
    data = json.dumps(body)
    when = when or datetime.now(tz=UTC)
    headers = {"HTTP_WEBHOOK_ID": msg_id, "HTTP_WEBHOOK_TIMESTAMP": str(int(when.timestamp()))}
    if sign:
        headers["HTTP_WEBHOOK_SIGNATURE"] = hook.sign(msg_id, when, data)
    return client.post(
        f"{API}/webhooks/carrier/x", data, content_type="application/json", **headers
    )


def test_a_signed_webhook_records_a_checkpoint_once(
    world: World, api: Any, shop: dict[str, Any], hook: Webhook, client: Any
) -> None:
    order = _order(api, world, shop)
    body = {"type": "carrier.event", "data": {"order_id": order.pk, "status": "in_transit"}}
    r = send(client, hook, body)
    assert r.status_code == 201, r.content
    assert CarrierEvent.objects.get().source == "webhook"
    assert_error(send(client, hook, body), 409, "webhook-id")  # replayed
    assert CarrierEvent.objects.count() == 1


def test_unsigned_stale_or_bad_webhooks_change_nothing(
    world: World, api: Any, shop: dict[str, Any], hook: Webhook, client: Any
) -> None:
    order = _order(api, world, shop)
    before = Checkpoint.objects.count()
    body = {"data": {"order_id": order.pk, "status": "in_transit"}}
    assert_error(send(client, hook, body, sign=False), 401, "webhook-signature")
    assert_error(send(client, hook, body, when=datetime(2020, 1, 1, tzinfo=UTC)), 401)
    assert_error(send(client, Webhook("whsec_" + "QUJD" * 8), body, msg_id="m2"), 401)
    assert_error(
        send(client, hook, {"data": {"order_id": order.pk, "status": "nope"}}, msg_id="m3"),
        422,
        "status",
    )
    assert_error(
        send(client, hook, {"data": {"order_id": 99999, "status": "in_transit"}}, msg_id="m4"), 404
    )
    assert_error(
        client.post(f"{API}/webhooks/carrier/y", "{}", content_type="application/json"), 404
    )
    assert Checkpoint.objects.count() == before and CarrierEvent.objects.count() == 0

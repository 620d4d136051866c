"""Outgoing webhooks against a real HTTP receiver on loopback."""

import json
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from klantstuur.integrations import sender, services
from klantstuur.integrations.models import (
    DeliveryStatus,
    EndpointStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from klantstuur.needs import consumers
from klantstuur.needs import services as needs
from tests.conftest import World
from tests.helpers import API, open_need

from .receiver import Receiver, receiving


@pytest.fixture
def receiver() -> Any:
    with receiving() as r:
        yield r


@pytest.fixture
def fast(settings: Any) -> None:
    settings.KLANTSTUUR = {
        **settings.KLANTSTUUR,
        "WEBHOOK_TIMEOUT_SECONDS": 0.5,
        "WEBHOOK_RETRY_BASE_SECONDS": 60,  # retries wait; due_now() lets time pass
    }


def subscribe(api: Any, world: World, url: str, events: list[str]) -> dict[str, Any]:
    r = api(world.manager).post(f"{API}/webhook-endpoints", {"url": url, "events": events})
    assert r.status_code == 201, r.content
    return dict(r.json())


def deliver() -> int:
    """The worker's round: the journal's reactions (the outbox filled), then what is due."""
    consumers.drain()
    return sender.deliver_all()


def due_now() -> None:
    """Time passes: every pending delivery is due again."""
    WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING).update(
        next_attempt_at=timezone.now()
    )


def test_it_signs_by_standard_webhooks_with_the_api_shapes(
    world: World, api: Any, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    made = subscribe(api, world, receiver.url, ["need_opened", "staff_message"])
    assert made["secret"].startswith("whsec_") and made["events"] == [
        "need_opened",
        "staff_message",
    ]
    listed = api(world.manager).get(f"{API}/webhook-endpoints").json()
    assert listed["count"] == 1 and "secret" not in listed["items"][0]  # shown once
    with django_capture_on_commit_callbacks(execute=True):
        need = open_need(world.customer_a)
    assert deliver() == 1
    (got,) = receiver.received
    payload = Webhook(made["secret"]).verify(got.body, got.headers)
    assert got.headers["webhook-id"] == f"msg_{payload['data']['id']}"
    assert payload["type"] == "need_opened"
    assert (
        payload["data"]["need_id"] == need.pk and payload["data"]["customer_id"] == need.customer_id
    )
    assert payload["data"]["data"]["owner"] == {"id": world.owner.pk, "name": "Olga Owner"}
    # The same event as the API's timeline shows it (ids, times with offset, actor, data).
    timeline = api(world.owner).get(f"{API}/needs/{need.pk}/timeline").json()["items"][0]
    assert {k: payload["data"][k] for k in timeline} == timeline
    assert payload["timestamp"] == timeline["at"] and payload["timestamp"].endswith("Z")
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + "A" * 43 + "=").verify(got.body, got.headers)
    log = api(world.manager).get(f"{API}/webhook-endpoints/{made['id']}/deliveries").json()
    assert log["count"] == 1
    (entry,) = log["items"]
    assert entry["status"] == "delivered" and entry["type"] == "need_opened"
    assert [a["status_code"] for a in entry["attempts"]] == [204]


def test_a_500_is_retried_with_the_same_webhook_id(
    world: World, api: Any, receiver: Receiver, fast: None
) -> None:
    made = subscribe(api, world, receiver.url, ["need_opened"])
    receiver.script = [(500, 0.0), (503, 0.0)]
    open_need(world.customer_a)
    assert deliver() == 1  # the failure is due again later, not now
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == 1
    assert delivery.next_attempt_at >= timezone.now() - timedelta(seconds=1)
    due_now()
    deliver()
    due_now()
    deliver()
    assert len(set(receiver.ids())) == 1 and len(receiver.ids()) == 3
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.attempts == 3
    codes = list(
        WebhookAttempt.objects.filter(delivery=delivery)
        .order_by("at", "id")
        .values_list("status_code", flat=True)
    )
    assert codes == [500, 503, 204]
    for got in receiver.received:
        Webhook(made["secret"]).verify(got.body, got.headers)


def test_a_slow_receiver_is_timed_out_and_retried(
    world: World, api: Any, receiver: Receiver, fast: None
) -> None:
    subscribe(api, world, receiver.url, ["need_opened"])
    receiver.script = [(204, 1.5)]
    open_need(world.customer_a)
    deliver()
    attempt = WebhookAttempt.objects.get()
    assert attempt.status_code is None and attempt.error == "time-out"
    assert 400 <= attempt.duration_ms < 1400
    due_now()
    deliver()
    assert WebhookDelivery.objects.get().status == DeliveryStatus.DELIVERED
    assert len(receiver.ids()) == 2 and len(set(receiver.ids())) == 1


def test_order_is_kept_per_need_while_others_go_on(
    world: World, api: Any, receiver: Receiver, fast: None, settings: Any
) -> None:
    settings.KLANTSTUUR["WEBHOOK_CONCURRENCY"] = 1  # one at a time: the receiver's order is ours
    subscribe(api, world, receiver.url, ["need_opened", "staff_message"])
    first = open_need(world.customer_a)
    other = open_need(world.customer_b)
    for i in range(3):
        needs.message_post_by_staff(staff=first.owner, need=first, body=f"m{i}", internal=False)
    receiver.script = [(500, 0.0)]  # the first need's first event fails once
    deliver()
    bodies = [r.json for r in receiver.received]
    # The failed one holds its need's later events back; the other need's goes on.
    assert [(b["type"], b["data"]["need_id"]) for b in bodies] == [
        ("need_opened", first.pk),
        ("need_opened", other.pk),
    ]
    due_now()
    deliver()
    of_first = [r.json for r in receiver.received if r.json["data"]["need_id"] == first.pk]
    assert [b["type"] for b in of_first] == ["need_opened"] * 2 + ["staff_message"] * 3
    assert [b["data"]["data"]["body"] for b in of_first[2:]] == ["m0", "m1", "m2"]


def test_after_24_hours_the_endpoint_is_disabled_and_managers_told(
    world: World, api: Any, receiver: Receiver, fast: None, django_capture_on_commit_callbacks: Any
) -> None:
    made = subscribe(api, world, receiver.url, ["need_opened"])
    receiver.script = [(500, 0.0)] * 10
    open_need(world.customer_a)
    deliver()
    WebhookDelivery.objects.update(queued_at=timezone.now() - timedelta(hours=24, seconds=1))
    mail.outbox.clear()
    due_now()
    with django_capture_on_commit_callbacks(execute=True):
        deliver()
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.status == EndpointStatus.DISABLED
    assert WebhookDelivery.objects.get().status == DeliveryStatus.FAILED
    assert [m.to for m in mail.outbox] == [["manager@x.example"]]
    assert receiver.url in mail.outbox[0].body
    # A disabled endpoint stops: nothing new is queued, nothing is sent.
    before = len(receiver.received)
    open_need(world.customer_b)
    assert deliver() == 0 and len(receiver.received) == before
    assert WebhookDelivery.objects.count() == 1
    listed = api(world.manager).get(f"{API}/webhook-endpoints").json()["items"][0]
    assert listed["status"] == "disabled" and listed["disabled_reason"]
    # Switched on again and sent again by hand: it arrives.
    api(world.manager).post(f"{API}/webhook-endpoints/{made['id']}/enable")
    d = WebhookDelivery.objects.get()
    r = api(world.manager).post(f"{API}/webhook-endpoints/{made['id']}/deliveries/{d.pk}/resend")
    assert r.status_code == 202 and r.json()["status"] == "pending"
    receiver.script = []
    deliver()
    d.refresh_from_db()
    assert d.status == DeliveryStatus.DELIVERED


def test_a_rotated_secret_signs_beside_the_old_one_for_the_overlap(
    world: World, api: Any, receiver: Receiver
) -> None:
    made = subscribe(api, world, receiver.url, ["need_opened"])
    r = api(world.manager).post(f"{API}/webhook-endpoints/{made['id']}/rotate-secret")
    new = r.json()["secret"]
    assert new.startswith("whsec_") and new != made["secret"]
    open_need(world.customer_a)
    deliver()
    (got,) = receiver.received
    assert len(got.headers["webhook-signature"].split(" ")) == 2
    Webhook(made["secret"]).verify(got.body, got.headers)
    Webhook(new).verify(got.body, got.headers)
    WebhookEndpoint.objects.update(previous_secret_until=timezone.now())
    open_need(world.customer_b)
    deliver()
    last = receiver.received[-1]
    Webhook(new).verify(last.body, last.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(made["secret"]).verify(last.body, last.headers)


def test_a_ping_arrives(world: World, api: Any, receiver: Receiver) -> None:
    made = subscribe(api, world, receiver.url, ["need_opened"])
    r = api(world.manager).post(f"{API}/webhook-endpoints/{made['id']}/ping")
    assert r.status_code == 202
    deliver()
    (got,) = receiver.received
    body = Webhook(made["secret"]).verify(got.body, got.headers)
    assert body["type"] == "webhook.ping" and body["data"]["endpoint_id"] == made["id"]


def test_a_customers_webhook_carries_only_their_own_records(
    world: World, api: Any, receiver: Receiver
) -> None:
    me = api(world.customer_a)
    r = me.post(
        f"{API}/me/webhook-endpoints",
        {"url": receiver.url, "events": ["need_opened", "staff_message"]},
    )
    assert r.status_code == 201, r.content
    # What staff see alone is not for a customer's endpoint.
    hidden = me.post(
        f"{API}/me/webhook-endpoints", {"url": receiver.url, "events": ["internal_note"]}
    )
    assert hidden.status_code == 422 and hidden.json()["errors"][0]["field"] == "events"
    secret = r.json()["secret"]
    mine = open_need(world.customer_a)
    open_need(world.customer_b)
    needs.message_post_by_staff(staff=mine.owner, need=mine, body="secret note", internal=True)
    needs.message_post_by_staff(staff=mine.owner, need=mine, body="hello", internal=False)
    deliver()
    bodies = [Webhook(secret).verify(got.body, got.headers) for got in receiver.received]
    assert [(b["type"], b["data"]["customer_id"]) for b in bodies] == [
        ("need_opened", world.customer_a.pk),
        ("staff_message", world.customer_a.pk),
    ]
    assert b"secret note" not in b"".join(got.body for got in receiver.received)
    listed = me.get(f"{API}/me/webhook-endpoints").json()
    assert listed["count"] == 1
    assert api(world.customer_b).get(f"{API}/me/webhook-endpoints").json()["count"] == 0
    # The business's managers do not see a customer's endpoint among theirs.
    assert api(world.manager).get(f"{API}/webhook-endpoints").json()["count"] == 0


def test_another_business_manager_cannot_see_or_touch_them(world: World, api: Any) -> None:
    from klantstuur.businesses.services import staff_create

    made = subscribe(api, world, "https://hooks.example.com/x", ["need_opened"])
    y_manager = staff_create(
        business=world.y, email="boss@y.example", name="Yvo", role="manager", password="x-12345678"
    )
    them = api(y_manager)
    assert them.get(f"{API}/webhook-endpoints").json()["count"] == 0
    for method, path in [
        ("get", f"/webhook-endpoints/{made['id']}/deliveries"),
        ("delete", f"/webhook-endpoints/{made['id']}"),
        ("post", f"/webhook-endpoints/{made['id']}/rotate-secret"),
        ("post", f"/webhook-endpoints/{made['id']}/ping"),
        ("post", f"/webhook-endpoints/{made['id']}/enable"),
    ]:
        r = getattr(them, method)(API + path)
        assert r.status_code == 404, (path, r.content)
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.secret == made["secret"] and WebhookDelivery.objects.count() == 0


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://hooks.example.com/x", "http"),
        ("file:///etc/passwd", "http"),
        ("http://127.0.0.1:8000/x", "private"),
        ("http://10.1.2.3/x", "private"),
        ("http://[::1]/x", "private"),
        ("http://169.254.169.254/latest", "private"),
    ],
)
def test_only_public_http_urls_in_production(
    world: World, api: Any, settings: Any, url: str, reason: str
) -> None:
    settings.KLANTSTUUR = {**settings.KLANTSTUUR, "WEBHOOKS_ALLOW_PRIVATE": False}
    r = api(world.manager).post(f"{API}/webhook-endpoints", {"url": url, "events": ["need_opened"]})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "url", r.content
    assert WebhookEndpoint.objects.count() == 0


def test_a_private_address_is_refused_at_send_time_too(
    world: World, receiver: Receiver, settings: Any
) -> None:
    made = services.endpoint_create(
        business=world.x, url=receiver.url, events=["need_opened"], actor_staff=world.manager
    )
    settings.KLANTSTUUR = {**settings.KLANTSTUUR, "WEBHOOKS_ALLOW_PRIVATE": False}
    open_need(world.customer_a)
    deliver()
    assert receiver.received == []
    attempt = WebhookAttempt.objects.get()
    assert attempt.status_code is None and "private" in attempt.error
    assert made.endpoint.pk == WebhookDelivery.objects.get().endpoint_id


def test_unknown_event_kinds_are_refused(world: World, api: Any) -> None:
    r = api(world.manager).post(
        f"{API}/webhook-endpoints", {"url": "https://h.example", "events": ["nope"]}
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "events"
    r = api(world.manager).post(
        f"{API}/webhook-endpoints", {"url": "https://h.example", "events": []}
    )
    assert r.status_code == 422
    assert WebhookEndpoint.objects.count() == 0


def test_the_body_is_json_with_the_type_and_its_bytes_are_kept(
    world: World, api: Any, receiver: Receiver
) -> None:
    subscribe(api, world, receiver.url, ["need_opened"])
    open_need(world.customer_a, summary="Fiets kwijt — “snel”")
    deliver()
    (got,) = receiver.received
    assert got.headers["content-type"] == "application/json"
    assert got.body == WebhookDelivery.objects.get().body.encode()
    assert json.loads(got.body)["data"]["data"]["summary"] == "Fiets kwijt — “snel”"


def test_an_endpoint_removed_while_sending_takes_its_messages_along(
    world: World, api: Any, receiver: Receiver
) -> None:
    made = subscribe(api, world, receiver.url, ["need_opened"])
    open_need(world.customer_a)
    consumers.drain()
    batch = sender.claim(now=timezone.now(), limit=10, lease=timedelta(seconds=30))
    results = [sender.send(sender.client(), d) for d in batch]
    assert api(world.manager).delete(f"{API}/webhook-endpoints/{made['id']}").status_code == 204
    sender.record(results, now=timezone.now())  # nothing left to record, and no error
    assert WebhookDelivery.objects.count() == 0 and WebhookAttempt.objects.count() == 0


def test_erasure_takes_the_customer_s_webhooks_and_messages_along(
    world: World, api: Any, receiver: Receiver
) -> None:
    from klantstuur.needs.models import Need
    from klantstuur.privacy.erasure import erasures_carry_out

    subscribe(api, world, receiver.url, ["need_opened"])
    api(world.customer_a).post(
        f"{API}/me/webhook-endpoints", {"url": receiver.url, "events": ["need_opened"]}
    )
    open_need(world.customer_a)
    open_need(world.customer_b)
    deliver()
    assert WebhookDelivery.objects.count() == 3
    assert api(world.customer_a).post(f"{API}/me/erasure").status_code == 202
    Need.objects.filter(customer=world.customer_a).update(status="solved", solved_at=timezone.now())
    assert erasures_carry_out(timezone.now()) == 1
    # Only Bram's message is left; Anna's own endpoint is gone.
    left = WebhookDelivery.objects.select_related("event")
    assert [d.event.customer_id for d in left] == [world.customer_b.pk]  # type: ignore[union-attr]
    assert WebhookEndpoint.objects.filter(customer__isnull=False).count() == 0

"""The console's webhook page and the portal's "Mijn koppelingen"."""

from typing import Any

from klantstuur.accounts.models import ApiToken
from klantstuur.businesses.services import staff_create
from klantstuur.integrations import sender
from klantstuur.integrations.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from klantstuur.needs import consumers
from tests.conftest import World
from tests.helpers import open_need

from .receiver import receiving

HOOKS = "/console/webhooks/"
MINE = "/portal/connections/"


def test_a_manager_subscribes_and_sees_the_secret_once(world: World, login: Any) -> None:
    browser = login(world.manager)
    r = browser.post(HOOKS, {"url": "https://hooks.example.com/in", "events": ["need_opened"]})
    assert r.status_code == 201
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.secret.encode() in r.content and endpoint.created_by == world.manager
    again = browser.get(HOOKS)
    assert (
        b"hooks.example.com/in" in again.content and endpoint.secret.encode() not in again.content
    )


def test_a_bad_url_is_shown_beside_its_field(world: World, login: Any, settings: Any) -> None:
    settings.KLANTSTUUR = {**settings.KLANTSTUUR, "WEBHOOKS_ALLOW_PRIVATE": False}
    r = login(world.manager).post(HOOKS, {"url": "http://127.0.0.1/x", "events": ["need_opened"]})
    assert r.status_code == 422 and b"field-error" in r.content
    assert WebhookEndpoint.objects.count() == 0


def test_the_log_shows_attempts_and_sends_again(
    world: World, login: Any, django_assert_max_num_queries: Any
) -> None:
    with receiving() as receiver:
        browser = login(world.manager)
        browser.post(HOOKS, {"url": receiver.url, "events": ["need_opened"]})
        endpoint = WebhookEndpoint.objects.get()
        for i in range(5):
            open_need(world.customer_a, summary=f"n{i}")
        consumers.drain()
        sender.deliver_all()
        with django_assert_max_num_queries(12):
            page = browser.get(f"{HOOKS}{endpoint.pk}/")
        assert page.status_code == 200 and page.content.count(b"204 \xc2\xb7") == 5
        d = WebhookDelivery.objects.order_by("id").first()
        assert d is not None
        r = browser.post(f"{HOOKS}{endpoint.pk}/deliveries/{d.pk}/resend")
        assert r.status_code == 302
        d.refresh_from_db()
        assert d.status == DeliveryStatus.PENDING
        sender.deliver_all()
        assert receiver.ids().count(d.webhook_id) == 2
        browser.post(f"{HOOKS}{endpoint.pk}/ping")
        sender.deliver_all()
        assert receiver.received[-1].json["type"] == "webhook.ping"
        r = browser.post(f"{HOOKS}{endpoint.pk}/rotate")
        endpoint.refresh_from_db()
        assert r.status_code == 200 and endpoint.secret.encode() in r.content


def test_another_business_s_manager_gets_404_and_changes_nothing(world: World, login: Any) -> None:
    login(world.manager).post(
        HOOKS, {"url": "https://hooks.example.com/in", "events": ["need_opened"]}
    )
    endpoint = WebhookEndpoint.objects.get()
    boss = staff_create(
        business=world.y, email="boss@y.example", name="Yvo", role="manager", password="x-12345678"
    )
    them = login(boss)
    assert b"hooks.example.com" not in them.get(HOOKS).content
    for method, suffix in [
        ("get", "/"),
        ("post", "/rotate"),
        ("post", "/ping"),
        ("post", "/delete"),
    ]:
        r = getattr(them, method)(f"{HOOKS}{endpoint.pk}{suffix}")
        assert r.status_code == 404, suffix
    fresh = WebhookEndpoint.objects.get()
    assert fresh.secret == endpoint.secret and WebhookDelivery.objects.count() == 0


def test_a_customer_makes_and_revokes_a_key_in_the_portal(
    world: World, login: Any, django_assert_max_num_queries: Any
) -> None:
    browser = login(world.customer_a)
    with django_assert_max_num_queries(8):
        assert browser.get(MINE).status_code == 200
    r = browser.post(f"{MINE}tokens", {"name": "Mijn assistent", "scope": "read"})
    assert r.status_code == 201
    token = ApiToken.objects.get(name="Mijn assistent")
    assert token.scope == "read" and token.prefix.encode() in r.content
    key = r.content.split(b'id="new-token">')[1].split(b"<")[0].decode()
    assert ApiToken.hash_key(key) == token.key_hash
    listed = browser.get(MINE)
    assert b"Mijn assistent" in listed.content and key.encode() not in listed.content
    # Another customer cannot revoke it.
    assert login(world.customer_b).post(f"{MINE}tokens/{token.pk}/revoke").status_code == 404
    assert ApiToken.objects.filter(pk=token.pk).exists()
    assert browser.post(f"{MINE}tokens/{token.pk}/revoke").status_code == 302
    assert not ApiToken.objects.filter(pk=token.pk).exists()


def test_a_customer_adds_a_webhook_for_their_own_records(world: World, login: Any) -> None:
    browser = login(world.customer_a)
    r = browser.post(
        f"{MINE}webhooks", {"url": "https://me.example/hook", "events": ["staff_message"]}
    )
    assert r.status_code == 201
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.customer == world.customer_a and endpoint.secret.encode() in r.content
    # Staff-only kinds are not on a customer's list.
    r = browser.post(
        f"{MINE}webhooks", {"url": "https://me.example/h2", "events": ["internal_note"]}
    )
    assert r.status_code == 422 and WebhookEndpoint.objects.count() == 1
    assert login(world.customer_b).post(f"{MINE}webhooks/{endpoint.pk}/delete").status_code == 404
    assert browser.post(f"{MINE}webhooks/{endpoint.pk}/delete").status_code == 302
    assert WebhookEndpoint.objects.count() == 0

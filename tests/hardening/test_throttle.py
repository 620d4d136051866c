"""Issue #15: guessing is throttled. 30 wrong staff passwords, then the right one waits;
30 magic-link requests for one address send 3 e-mails; bad API tokens get 429. Each
with Retry-After and a clear message."""

from typing import Any

import pytest
from django.core import mail
from django.test import Client

from klantstuur.core import throttle
from tests.conftest import PASSWORD, World

API = "/api/v1"


@pytest.fixture(autouse=True)
def _english(settings: Any) -> None:
    settings.LANGUAGE_CODE = "en"


def _login(client: Client, email: str, password: str) -> Any:
    return client.post("/console/login/", {"username": email, "password": password})


def test_wrong_staff_passwords_lock_the_address_even_for_the_right_one(world: World) -> None:
    client = Client()
    email = world.owner.user.email
    for _ in range(5):
        assert _login(client, email, "wrong").status_code == 200  # the form again
    r = _login(client, email, PASSWORD)
    assert r.status_code == 429
    assert 1 <= int(r["Retry-After"]) <= 15 * 60
    assert b"Too many attempts" in r.content
    assert b"Please try again in" in r.content
    assert "_auth_user_id" not in client.session
    # Another colleague on the same machine still logs in (per-address limit).
    assert _login(Client(), world.colleague.user.email, PASSWORD).status_code == 302


def test_wrong_passwords_from_one_client_for_many_addresses_are_limited(world: World) -> None:
    client = Client()
    for i in range(30):
        assert _login(client, f"guess{i}@x.example", "wrong").status_code == 200
    assert _login(client, world.manager.user.email, PASSWORD).status_code == 429
    other = Client(REMOTE_ADDR="192.0.2.7")
    assert _login(other, world.manager.user.email, PASSWORD).status_code == 302


def test_a_right_password_is_never_slowed_by_its_own_successes(world: World) -> None:
    for _ in range(12):
        assert _login(Client(), world.owner.user.email, PASSWORD).status_code == 302


def test_magic_links_for_one_address_are_limited(world: World) -> None:
    client = Client()
    body = {"business": world.x.slug, "email": world.customer_a.email, "next": ""}
    statuses = [client.post("/portal/login/", body).status_code for _ in range(30)]
    assert statuses == [200] * 3 + [429] * 27
    assert len(mail.outbox) == 3
    r = client.post("/portal/login/", body)
    assert b"Too many attempts" in r.content
    assert int(r["Retry-After"]) >= 1


def test_magic_links_from_one_client_are_limited_across_addresses(world: World) -> None:
    client = Client()
    statuses = [
        client.post(
            "/portal/login/", {"business": world.x.slug, "email": f"n{i}@example.com"}
        ).status_code
        for i in range(25)
    ]
    assert statuses == [200] * 20 + [429] * 5


def test_bad_api_tokens_are_limited_per_client(world: World, api: Any) -> None:
    bad = Client()
    for i in range(30):
        r = bad.get(f"{API}/needs", HTTP_AUTHORIZATION=f"Bearer guess-{i}")
        assert r.status_code == 401
    r = bad.get(f"{API}/needs", HTTP_AUTHORIZATION="Bearer guess-31")
    assert r.status_code == 429
    assert r.json()["detail"].startswith("Too many attempts. Please try again in ")
    assert int(r["Retry-After"]) == r.json()["retry_after"]
    # A good token from another client is not slowed; good tokens never count.
    good = api(world.owner)
    good.client = Client(REMOTE_ADDR="192.0.2.8")
    assert good.get(f"{API}/needs").status_code == 200


def test_the_helper_other_features_call(db: Any, settings: Any) -> None:
    settings.KLANTSTUUR = {**settings.KLANTSTUUR, "THROTTLE": {"mail-sender": "2/h"}}
    assert throttle.hit("mail-sender", "A@Example.com") is None
    assert throttle.hit("mail-sender", "a@example.com") is None
    seconds = throttle.hit("mail-sender", "a@example.com")
    assert seconds is not None and 1 <= seconds <= 3600
    assert throttle.hit("mail-sender", "b@example.com") is None
    with pytest.raises(throttle.Throttled) as refused:
        throttle.check_hit("mail-sender", "a@example.com")
    assert refused.value.status == 429

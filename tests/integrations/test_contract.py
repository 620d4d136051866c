"""The traps an integrator met, closed (issue #12)."""

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from klantstuur.accounts.models import ApiToken, IdempotencyRecord
from klantstuur.api import v1
from klantstuur.customers.models import Customer
from klantstuur.feedback.services import root_cause_create
from klantstuur.needs.models import Need
from tests.conftest import World
from tests.helpers import API, assert_error, snapshot


def test_root_causes_lists_the_business_s_active_causes(world: World, api: Any) -> None:
    root_cause_create(staff=world.manager, name="Wrong table")
    root_cause_create(staff=world.manager, name="Late kitchen")
    r = api(world.owner).get(f"{API}/root-causes")
    assert r.status_code == 200
    assert [c["name"] for c in r.json()["items"]] == ["Late kitchen", "Wrong table"]
    assert r.json()["count"] == 2
    assert api(world.stranger).get(f"{API}/root-causes").json() == {
        "items": [],
        "count": 0,
        "count_exact": True,
    }


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"]
)
def test_a_body_that_is_not_json_is_refused_with_415(
    world: World, api: Any, content_type: str
) -> None:
    me = api(world.customer_a)
    before = snapshot()
    r = me.client.post(
        f"{API}/me/needs",
        '{"kind": "question", "summary": "x"}',
        content_type=content_type,
        **me._headers({"Idempotency-Key": "ct"}),
    )
    assert_error(r, 415, "Content-Type")
    assert snapshot() == before and IdempotencyRecord.objects.count() == 0


@pytest.mark.parametrize(
    "content_type", ["application/json; charset=utf-8", "application/merge-patch+json"]
)
def test_json_with_parameters_or_a_json_suffix_is_read(
    world: World, api: Any, content_type: str
) -> None:
    me = api(world.customer_a)
    r = me.client.post(
        f"{API}/me/needs",
        '{"kind": "question", "summary": "x"}',
        content_type=content_type,
        **me._headers(),
    )
    assert r.status_code == 201, r.content


def test_a_key_whose_request_died_is_free_again_at_once(
    world: World, api: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = api(world.owner)
    body = {"customer_id": world.customer_a.pk, "kind": "question", "summary": "Crash?"}

    def killed(**kwargs: Any) -> Any:
        raise KeyboardInterrupt  # the process dies mid-request: no answer, nothing kept

    with monkeypatch.context() as m:
        m.setattr(v1.services, "need_open", killed)
        with pytest.raises(KeyboardInterrupt):
            client.post(f"{API}/needs", body, headers={"Idempotency-Key": "crash"})
    # The claim was part of the request's transaction: it went with it (issue #15).
    assert not IdempotencyRecord.objects.exists()
    r = client.post(f"{API}/needs", body, headers={"Idempotency-Key": "crash"})
    assert r.status_code == 201, r.content
    assert Need.objects.filter(summary="Crash?").count() == 1
    again = client.post(f"{API}/needs", body, headers={"Idempotency-Key": "crash"})
    assert (again.status_code, again.content) == (201, r.content)
    assert Need.objects.filter(summary="Crash?").count() == 1


def test_a_pending_claim_left_by_the_earlier_scheme_is_free_after_the_time_out(
    world: World, api: Any
) -> None:
    client = api(world.owner)
    body = {"customer_id": world.customer_a.pk, "kind": "question", "summary": "Crash?"}
    IdempotencyRecord.objects.create(
        user=world.owner.user,
        key="crash",
        method="POST",
        path=f"{API}/needs",
        status_code=0,
        body=b"",
    )
    # While the request could still be running, a retry is told so.
    assert_error(client.post(f"{API}/needs", body, headers={"Idempotency-Key": "crash"}), 409)
    # After the request time-out nobody can be working on it: the key is free.
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(seconds=61))
    r = client.post(f"{API}/needs", body, headers={"Idempotency-Key": "crash"})
    assert r.status_code == 201, r.content
    again = client.post(f"{API}/needs", body, headers={"Idempotency-Key": "crash"})
    assert (again.status_code, again.content) == (201, r.content)
    assert Need.objects.filter(summary="Crash?").count() == 1


def test_me_carries_its_times_with_their_offset(world: World, api: Any) -> None:
    body = api(world.customer_a).get(f"{API}/me").json()
    when = parse_datetime(body["created_at"])
    assert when is not None and when.tzinfo is not None, body["created_at"]
    assert abs(when - world.customer_a.created_at) < timedelta(milliseconds=1)


def test_api_text_is_in_the_caller_s_language_else_the_business_s(world: World, api: Any) -> None:
    Customer.objects.filter(pk=world.customer_b.pk).update(language="en")
    paths = [f"{API}/me/needs/999999", f"{API}/me/needs/999999/timeline"]
    for path in paths:
        r = api(world.customer_a).get(path)  # Anna: Dutch, the business's default
        assert (
            r.json()["detail"] == "Deze klantvraag bestaat niet." and r["Content-Language"] == "nl"
        )
        r = api(world.customer_b).get(path)  # Bram chose English
        assert r.json()["detail"] == "No such need." and r["Content-Language"] == "en"
    # Staff without a choice of their own: the business's default.
    assert api(world.owner).get(f"{API}/needs/999999").json()["detail"] == (
        "Deze klantvraag bestaat niet."
    )
    # A request that asks for a language gets it.
    me = api(world.customer_a)
    r = me.client.get(paths[0], HTTP_ACCEPT_LANGUAGE="en", **me._headers())
    assert r.json()["detail"] == "No such need."


def test_every_operation_documents_its_error_answers() -> None:
    schema = Client().get(f"{API}/openapi.json").json()
    assert schema["components"]["schemas"]["Error"]["required"] == ["detail"]
    operations = 0
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            operations += 1
            codes = set(operation["responses"])
            expected = {"401", "403", "404", "409", "422", "429"}
            if method in ("post", "put", "patch", "delete"):
                expected.add("415")
            assert expected <= codes, (method, path, codes)
    assert operations > 80


def test_a_customer_makes_names_and_revokes_own_tokens(world: World, api: Any) -> None:
    me = api(world.customer_a)
    r = me.post(f"{API}/me/tokens", {"name": "Mijn assistent", "scope": "read"})
    assert r.status_code == 201, r.content
    made = r.json()
    key = made["token"]
    assert made["scope"] == "read" and made["name"] == "Mijn assistent"
    stored = ApiToken.objects.get(pk=made["id"])
    assert stored.key_hash == ApiToken.hash_key(key) and key not in stored.key_hash
    assert stored.last_used_at is None
    reader = Client()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    assert reader.get(f"{API}/me/needs", **auth).status_code == 200
    stored.refresh_from_db()
    assert stored.last_used_at is not None
    listed = me.get(f"{API}/me/tokens").json()
    mine = next(t for t in listed["items"] if t["id"] == made["id"])
    assert "token" not in mine and mine["last_used_at"] is not None
    # Another customer cannot see or revoke it.
    other = api(world.customer_b)
    assert made["id"] not in [t["id"] for t in other.get(f"{API}/me/tokens").json()["items"]]
    assert_error(other.delete(f"{API}/me/tokens/{made['id']}"), 404)
    assert ApiToken.objects.filter(pk=made["id"]).exists()
    assert me.delete(f"{API}/me/tokens/{made['id']}").status_code == 204
    assert reader.get(f"{API}/me/needs", **auth).status_code == 401


def test_a_read_token_is_refused_every_write(world: World, api: Any) -> None:
    me = api(world.customer_a)
    key = me.post(f"{API}/me/tokens", {"name": "r", "scope": "read"}).json()["token"]
    reader = Client()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    before = snapshot()
    for method, path, body in [
        ("post", "/me/needs", {"kind": "question", "summary": "x"}),
        ("patch", "/me", {"name": "Mallory"}),
        ("post", "/me/tokens", {"name": "w", "scope": "write"}),
        ("post", "/me/webhook-endpoints", {"url": "https://h.example", "events": ["need_opened"]}),
    ]:
        r = getattr(reader, method)(API + path, body, content_type="application/json", **auth)
        assert_error(r, 403, "Authorization")
    assert snapshot() == before
    assert ApiToken.objects.filter(user__customer=world.customer_a).count() == 2


def test_token_names_and_scopes_are_checked(world: World, api: Any) -> None:
    me = api(world.customer_a)
    assert_error(me.post(f"{API}/me/tokens", {"name": "x", "scope": "admin"}), 422, "scope")
    assert_error(me.post(f"{API}/me/tokens", {"name": "", "scope": "read"}), 422, "name")

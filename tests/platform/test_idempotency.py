"""Idempotency-Key: a retried write returns the first answer and changes nothing."""

from typing import Any

from klantstuur.accounts.models import IdempotencyRecord
from klantstuur.needs.models import Need
from tests.helpers import API, assert_error, open_need, snapshot


def _open(world: Any) -> dict[str, Any]:
    return {"customer_id": world.customer_a.pk, "kind": "question", "summary": "Where?"}


def test_it_replays_a_retried_post(world: Any, api: Any) -> None:
    client = api(world.owner)
    first = client.post(f"{API}/needs", _open(world), headers={"Idempotency-Key": "k-1"})
    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first
    after_first = snapshot()
    second = client.post(f"{API}/needs", _open(world), headers={"Idempotency-Key": "k-1"})
    assert second.status_code == 201
    assert second.content == first.content
    assert second["Idempotent-Replayed"] == "true"
    assert second["Content-Type"] == first["Content-Type"]
    assert snapshot() == after_first
    assert Need.objects.count() == 1


def test_it_refuses_the_same_key_with_a_different_body(world: Any, api: Any) -> None:
    client = api(world.owner)
    first = client.post(f"{API}/needs", _open(world), headers={"Idempotency-Key": "k-2"})
    assert first.status_code == 201
    after_first = snapshot()
    other = {**_open(world), "summary": "Something else"}
    second = client.post(f"{API}/needs", other, headers={"Idempotency-Key": "k-2"})
    assert_error(second, 422, "Idempotency-Key")
    assert snapshot() == after_first
    third = client.post(f"{API}/needs", _open(world), headers={"Idempotency-Key": "k-2"})
    assert (third.status_code, third.content) == (201, first.content)


def test_it_replays_a_refusal_too(world: Any, api: Any) -> None:
    need = open_need(world.customer_a)
    client = api(world.owner)
    body = {"kind": "refund", "amount_cents": 9999}
    first = client.post(f"{API}/needs/{need.pk}/remedies", body, headers={"Idempotency-Key": "r"})
    assert_error(first, 403)
    second = client.post(f"{API}/needs/{need.pk}/remedies", body, headers={"Idempotency-Key": "r"})
    assert (second.status_code, second.content) == (403, first.content)
    assert second["Idempotent-Replayed"] == "true"


def test_it_counts_a_retried_customer_message_once(world: Any, api: Any) -> None:
    need = open_need(world.customer_a)
    client = api(world.customer_a)
    url = f"{API}/me/needs/{need.pk}/messages"
    for _ in range(3):
        r = client.post(url, {"body": "Hello?"}, headers={"Idempotency-Key": "m-1"})
        assert r.status_code == 201
    need.refresh_from_db()
    assert need.contacts == 2
    assert IdempotencyRecord.objects.count() == 1


def test_it_replays_a_patch(world: Any, api: Any) -> None:
    client = api(world.customer_a)
    first = client.patch(f"{API}/me", {"name": "Anna 2"}, headers={"Idempotency-Key": "p"})
    assert first.status_code == 200
    after_first = snapshot()
    second = client.patch(f"{API}/me", {"name": "Anna 2"}, headers={"Idempotency-Key": "p"})
    assert (second.status_code, second.content) == (200, first.content)
    assert snapshot() == after_first
    third = client.patch(f"{API}/me", {"name": "Anna 3"}, headers={"Idempotency-Key": "p"})
    assert_error(third, 422, "Idempotency-Key")
    assert snapshot() == after_first


def test_it_refuses_the_same_key_on_another_path(world: Any, api: Any) -> None:
    need = open_need(world.customer_a)
    client = api(world.owner)
    assert (
        client.post(f"{API}/needs", _open(world), headers={"Idempotency-Key": "k"}).status_code
        == 201
    )
    before = snapshot(need)
    r = client.post(
        f"{API}/needs/{need.pk}/messages", {"body": "x"}, headers={"Idempotency-Key": "k"}
    )
    assert_error(r, 422, "Idempotency-Key")
    assert snapshot(need) == before


def test_it_keeps_keys_per_user(world: Any, api: Any) -> None:
    first = api(world.owner).post(f"{API}/needs", _open(world), headers={"Idempotency-Key": "same"})
    second = api(world.colleague).post(
        f"{API}/needs", _open(world), headers={"Idempotency-Key": "same"}
    )
    assert (first.status_code, second.status_code) == (201, 201)
    assert "Idempotent-Replayed" not in second
    assert first.json()["id"] != second.json()["id"]
    assert Need.objects.count() == 2
    # Another token of the same user shares the keys: it is the same caller.
    third = api(world.owner).post(f"{API}/needs", _open(world), headers={"Idempotency-Key": "same"})
    assert third.content == first.content
    assert Need.objects.count() == 2


def test_it_ignores_the_key_on_reads_and_without_a_token(world: Any, api: Any) -> None:
    r = api(world.owner).get(f"{API}/needs")
    assert r.status_code == 200
    r = api(None).post(f"{API}/needs", _open(world), headers={"Idempotency-Key": "anon"})
    assert_error(r, 401)
    assert IdempotencyRecord.objects.count() == 0
    assert Need.objects.count() == 0


def test_it_refuses_an_overlong_key(world: Any, api: Any) -> None:
    before = snapshot()
    r = api(world.owner).post(f"{API}/needs", _open(world), headers={"Idempotency-Key": "k" * 201})
    assert_error(r, 400, "Idempotency-Key")
    assert snapshot() == before
    assert IdempotencyRecord.objects.count() == 0


def test_it_says_so_while_the_first_request_is_still_running(world: Any, api: Any) -> None:
    client = api(world.owner)
    IdempotencyRecord.objects.create(
        user=world.owner.user,
        key="busy",
        method="POST",
        path=f"{API}/needs",
        status_code=0,
        body=b"",
    )
    before = snapshot()
    r = client.post(f"{API}/needs", _open(world), headers={"Idempotency-Key": "busy"})
    assert_error(r, 409)
    assert snapshot() == before

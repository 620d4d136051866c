"""Idempotency-Key under faults (issue #15, found by benchmarks/fault.py): the claim, the
write and the kept answer commit together, so a request that dies half-way leaves nothing
behind and its retry makes the write exactly once — at once, not after a time-out.

A test URL (below) opens a need and then fails, or waits until the test lets it go, as a
request does whose process is killed after its write and before its answer is kept.
"""

import json
import threading
import time
from typing import Any

import pytest
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path

from klantstuur.accounts.models import IdempotencyRecord
from klantstuur.customers.models import Customer
from klantstuur.needs.models import Need
from klantstuur.needs.services import need_open
from klantstuur.urls import handler404, handler500, urlpatterns  # noqa: F401

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.urls("tests.platform.test_idempotency_faults"),
]

URL = "/api/v1/test-write-then/"
MODE: dict[str, Any] = {}
WROTE = threading.Event()
GO_ON = threading.Event()


def write_then(request: HttpRequest) -> HttpResponse:
    data = json.loads(request.body)
    customer = Customer.objects.get(pk=data["customer_id"])
    need = need_open(customer=customer, kind="question", summary=data["summary"])
    if MODE.get("fail"):
        raise RuntimeError("a bug after the write")
    if MODE.get("wait"):
        MODE["backend_pid"] = connection.connection.info.backend_pid
        WROTE.set()
        GO_ON.wait(30)
    return JsonResponse({"id": need.pk}, status=201)


urlpatterns = [path(URL.lstrip("/"), write_then), *urlpatterns]


@pytest.fixture(autouse=True)
def _fresh_mode() -> Any:
    MODE.clear()
    WROTE.clear()
    GO_ON.clear()
    yield
    GO_ON.set()


def _client(api: Any, world: Any) -> Any:
    client = api(world.owner)
    client.client.raise_request_exception = False
    return client


def test_a_write_that_fails_after_writing_keeps_nothing_and_its_retry_writes_once(
    world: Any, api: Any
) -> None:
    client = _client(api, world)
    body = {"customer_id": world.customer_a.pk, "summary": "failed after the write"}
    MODE["fail"] = True
    first = client.post(URL, body, headers={"Idempotency-Key": "f-1"})
    assert first.status_code == 500
    assert not Need.objects.filter(summary=body["summary"]).exists()
    assert not IdempotencyRecord.objects.filter(key="f-1").exists()
    MODE["fail"] = False
    retry = client.post(URL, body, headers={"Idempotency-Key": "f-1"})
    assert retry.status_code == 201
    again = client.post(URL, body, headers={"Idempotency-Key": "f-1"})
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.content == retry.content
    assert list(Need.objects.filter(summary=body["summary"]).values_list("pk", flat=True)) == [
        retry.json()["id"]
    ]


def test_a_request_killed_after_its_write_leaves_no_claim_and_its_retry_writes_once(
    world: Any, api: Any
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("a backend that dies with its process is PostgreSQL's (SQLite: one file)")
    client = _client(api, world)
    body = {"customer_id": world.customer_a.pk, "summary": "killed after the write"}
    key = {"Idempotency-Key": "k-1"}
    answers: dict[str, int] = {}

    def first() -> None:
        try:
            answers["first"] = _client(api, world).post(URL, body, headers=key).status_code
        finally:
            connection.close()

    MODE["wait"] = True
    thread = threading.Thread(target=first)
    thread.start()
    try:
        assert WROTE.wait(30), "the first request did not reach its write"
        MODE["wait"] = False
        # While it runs, a retry is told so at once (it does not wait for the first).
        started = time.monotonic()
        busy = client.post(URL, body, headers=key)
        assert busy.status_code == 409 and time.monotonic() - started < 5
        assert "still being processed" in busy.json()["detail"]
        # Its process dies: PostgreSQL ends the backend and rolls its transaction back.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [MODE["backend_pid"]])
            for _ in range(100):
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [MODE["backend_pid"]]
                )
                if cursor.fetchone()[0] == 0:
                    break
                time.sleep(0.05)
        retry = client.post(URL, body, headers=key)
        assert retry.status_code == 201
    finally:
        GO_ON.set()
        thread.join(30)
    assert not thread.is_alive()
    assert answers["first"] == 503  # its connection was gone when it tried to commit
    replay = client.post(URL, body, headers=key)
    assert replay.status_code == 201 and replay.content == retry.content
    assert list(Need.objects.filter(summary=body["summary"]).values_list("pk", flat=True)) == [
        retry.json()["id"]
    ]

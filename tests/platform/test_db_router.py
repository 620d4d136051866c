"""The replica router's rule (klantstuur/core/db_router.py), without a replica: which
alias a read would take, and the read-your-writes pin. With real clusters:
test_replica.py."""

import time
from typing import Any

import pytest
from django.conf import settings
from django.db import connections
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory

from klantstuur.accounts.models import User
from klantstuur.core import db_router
from klantstuur.core.db_router import ReplicaMiddleware, ReplicaRouter
from klantstuur.customers.models import Customer

router = ReplicaRouter()


def _reads_in(request: HttpRequest) -> tuple[str, HttpResponse]:
    """Where the view of ``request`` reads a customer, and the response."""
    seen: list[str] = []

    def view(_request: HttpRequest) -> HttpResponse:
        seen.append(router.db_for_read(Customer))
        return HttpResponse("ok")

    response = ReplicaMiddleware(view)(request)
    return seen[0], response


def test_without_a_replica_url_nothing_routes() -> None:
    if "replica" not in settings.DATABASES:
        assert getattr(settings, "DATABASE_ROUTERS", []) == []
        assert "klantstuur.core.db_router.ReplicaMiddleware" not in settings.MIDDLEWARE


def test_reads_outside_a_request_stay_on_the_primary() -> None:
    assert router.db_for_read(Customer) == "default"  # worker, sweeps, commands


def test_a_safe_request_reads_the_replica_but_not_logins_nor_in_a_transaction(
    monkeypatch: Any,
) -> None:
    with db_router.replica_reads():
        assert router.db_for_read(Customer) == "replica"
        assert router.db_for_read(User) == "default"
        monkeypatch.setattr(connections["default"], "in_atomic_block", True)
        assert router.db_for_read(Customer) == "default"
    assert router.db_for_write(Customer) == "default"
    assert router.allow_migrate("replica", "customers") is False
    assert router.allow_migrate("default", "customers") is True


def test_a_write_pins_the_client_to_the_primary_for_the_window(settings: Any) -> None:
    settings.REPLICA_PIN_SECONDS = 5
    factory = RequestFactory()
    assert _reads_in(factory.get("/api/v1/needs"))[0] == "replica"
    alias, response = _reads_in(factory.post("/api/v1/needs"))
    assert alias == "default"  # a request that writes reads the primary throughout
    cookie = response.cookies[db_router.PIN_COOKIE]
    assert cookie["max-age"] == 5 and cookie["httponly"]
    after = factory.get("/api/v1/needs")
    after.COOKIES[db_router.PIN_COOKIE] = cookie.value
    assert _reads_in(after)[0] == "default"
    later = time.time() + 6
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(db_router.time, "time", lambda: later)
        assert _reads_in(after)[0] == "replica"  # the window has passed


def test_a_forged_pin_is_ignored() -> None:
    request = RequestFactory().get("/api/v1/needs")
    request.COOKIES[db_router.PIN_COOKIE] = f"{time.time() + 60:.3f}"  # unsigned
    assert _reads_in(request)[0] == "replica"

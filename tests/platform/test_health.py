"""GET /healthz."""

from typing import Any

from django.db import OperationalError, connection
from django.test import Client


def test_it_answers_ok_when_the_database_answers(db: Any) -> None:
    r = Client().get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok"}


def test_it_answers_503_when_the_database_does_not(db: Any, monkeypatch: Any) -> None:
    def broken() -> Any:
        raise OperationalError("connection refused")

    with monkeypatch.context() as patch:
        patch.setattr(connection, "cursor", broken)
        r = Client().get("/healthz")
    assert r.status_code == 503
    assert r.json()["status"] != "ok"
    assert r["Content-Type"] == "application/json"


def test_it_needs_no_login(db: Any) -> None:
    assert Client().get("/healthz", HTTP_AUTHORIZATION="Bearer junk").status_code == 200

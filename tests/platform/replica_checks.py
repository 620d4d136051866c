"""Run by test_replica.py in a subprocess: DATABASE_URL at a primary, DATABASE_REPLICA_URL
at its hot standby (clusters of the test's own). Migrates, then proves through the API:

1. a list read goes to the standby (and the standby is one: ``pg_is_in_recovery()``);
2. while the standby lags (replay paused), a client that just wrote reads its write
   back from the primary, and a client that did not write does not see it yet;
3. after the pin window the writer reads from the standby again.

``python -m tests.platform.replica_checks``; prints "replica checks passed".
"""

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import django

django.setup()

import dj_database_url  # noqa: E402
import psycopg  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connections, transaction  # noqa: E402
from django.test import Client  # noqa: E402

from klantstuur.core import db_router  # noqa: E402

# The suite's own ways of making actors (tests/conftest.py keeps them importable).
from tests.conftest import (  # noqa: E402
    Role,
    business_create,
    customer_create,
    staff_create,
    token_create,
)

API = "/api/v1"


def _conninfo(url: str) -> str:
    db: Any = dj_database_url.parse(url)
    return f"host={db['HOST']} port={db['PORT']} user={db['USER']} dbname={db['NAME']}"


PRIMARY = _conninfo(os.environ["DATABASE_URL"])
STANDBY = _conninfo(os.environ["DATABASE_REPLICA_URL"])


def _wait_replayed(timeout: float = 30) -> None:
    with psycopg.connect(PRIMARY, autocommit=True) as primary:
        lsn = primary.execute("SELECT pg_current_wal_lsn()").fetchone()
    deadline = time.monotonic() + timeout
    with psycopg.connect(STANDBY, autocommit=True) as standby:
        while time.monotonic() < deadline:
            row = standby.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", lsn).fetchone()
            if row and row[0]:
                return
            time.sleep(0.1)
    raise TimeoutError("the standby did not catch up")


def _replay(paused: bool) -> None:
    with psycopg.connect(STANDBY, autocommit=True) as standby:
        standby.execute(
            "SELECT pg_wal_replay_pause()" if paused else "SELECT pg_wal_replay_resume()"
        )


@contextmanager
def _needs_read_on() -> Iterator[set[str]]:
    """The aliases that ran a query on the needs table inside the block."""
    seen: set[str] = set()

    def recorder(alias: str) -> Callable[..., Any]:
        def wrapper(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
            if "needs_need" in sql:
                seen.add(alias)
            return execute(sql, params, many, context)

        return wrapper

    with (
        connections["default"].execute_wrapper(recorder("default")),
        connections["replica"].execute_wrapper(recorder("replica")),
    ):
        yield seen


def _listed(client: Client, key: str) -> tuple[set[int], set[str]]:
    with _needs_read_on() as seen:
        r = client.get(f"{API}/needs", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert r.status_code == 200, r.content
    return {item["id"] for item in r.json()["items"]}, seen


def main() -> None:
    call_command("migrate", verbosity=0)
    business = business_create(slug="r", name="Replica B.V.")
    owner = staff_create(
        business=business,
        email="o@r.example",
        name="Olga",
        role=Role.HOST,
        authority_cents=2500,
        password="x-password-123",
    )
    customer = customer_create(business=business, name="Anna", email="a@r.example")
    _, key = token_create(user=owner.user)
    _wait_replayed()

    with connections["replica"].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery(), inet_server_port()")
        row = cursor.fetchone()
    assert row == (True, int(dj_database_url.parse(os.environ["DATABASE_REPLICA_URL"])["PORT"])), (
        row
    )
    reader, writer = Client(), Client()
    ids, seen = _listed(reader, key)
    assert (ids, seen) == (set(), {"replica"}), ("a list reads the standby", ids, seen)

    _replay(paused=True)  # the standby lags from here on
    try:
        r = writer.post(
            f"{API}/needs",
            {"customer_id": customer.pk, "kind": "question", "summary": "Where is my bike?"},
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {key}",
        )
        assert r.status_code == 201, r.content
        new = r.json()["id"]
        assert db_router.PIN_COOKIE in writer.cookies
        ids, seen = _listed(writer, key)
        assert (ids, seen) == ({new}, {"default"}), ("the writer reads its write", ids, seen)
        ids, seen = _listed(reader, key)
        assert (ids, seen) == (set(), {"replica"}), ("the standby lags for others", ids, seen)
    finally:
        _replay(paused=False)
    _wait_replayed()
    time.sleep(settings.REPLICA_PIN_SECONDS + 0.3)
    ids, seen = _listed(writer, key)
    assert (ids, seen) == ({new}, {"replica"}), ("after the pin, the standby again", ids, seen)

    # A service's reads inside a transaction, and logins, stay on the primary.
    with db_router.replica_reads():
        router = db_router.ReplicaRouter()
        assert router.db_for_read(type(customer)) == "replica"
        assert router.db_for_read(type(owner.user)) == "default"
        with transaction.atomic():
            assert router.db_for_read(type(customer)) == "default"
    print("replica checks passed")


if __name__ == "__main__":
    main()

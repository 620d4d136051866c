"""What PgBouncer in transaction mode needs of the app, checked through it.

Runs in test_pgbouncer.py's subprocess, with DATABASE_URL at PgBouncer and
KLANTSTUUR_DB_POOLER=pgbouncer; skipped everywhere else."""

import os
from typing import Any

import dj_database_url
import pytest
from django.conf import settings
from django.db import connection

from klantstuur.live import broker
from tests.conftest import World

pytestmark = pytest.mark.skipif(
    settings.DB_POOLER != "pgbouncer", reason="runs through PgBouncer (test_pgbouncer.py)"
)


@pytest.mark.django_db
def test_through_the_pooler_no_statement_is_prepared(world: World) -> None:
    assert settings.DB_POOLER == "pgbouncer"
    assert connection.settings_dict["DISABLE_SERVER_SIDE_CURSORS"] is True
    customers = type(world.customer_a).objects
    # The test runs in one transaction, so on one server connection all along:
    # psycopg would have prepared this statement after its second use.
    for _ in range(5):
        assert customers.filter(pk=world.customer_a.pk).exists()
    assert connection.connection.prepare_threshold is None
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements")
        assert cursor.fetchone()[0] == 0


@pytest.mark.django_db
def test_through_the_pooler_iterating_needs_no_server_side_cursor(
    world: World, monkeypatch: Any
) -> None:
    """``.iterator()`` would DECLARE a named cursor that outlives its transaction."""
    names: list[str | None] = []
    create = connection.create_cursor

    def spy(name: str | None = None) -> Any:
        names.append(name)
        return create(name)

    monkeypatch.setattr(connection, "create_cursor", spy)
    customers = type(world.customer_a).objects
    assert len(list(customers.order_by("pk").iterator(chunk_size=1))) == customers.count()
    assert names and all(name is None for name in names)


def test_through_the_pooler_the_listener_connects_directly() -> None:
    direct: Any = dj_database_url.parse(os.environ["DATABASE_LISTEN_URL"])
    pooled: Any = dj_database_url.parse(os.environ["DATABASE_URL"])
    assert direct["PORT"] != pooled["PORT"]
    assert f"port={direct['PORT']}" in broker._conninfo()

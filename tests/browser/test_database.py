"""Browser tests share the database with a server in threads: on SQLite a file database
(WAL), never the in-memory shared cache whose table locks fail a concurrent read at once
(tests/conftest.py, ``django_db_modify_db_settings``)."""

from typing import Any

import pytest


@pytest.mark.django_db
def test_a_run_with_browser_tests_uses_a_file_database_on_sqlite(settings: Any) -> None:
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL has no shared-cache table locks")
    assert connection.settings_dict["NAME"].endswith("test.sqlite3")
    mode = connection.cursor().execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"

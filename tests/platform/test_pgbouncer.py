"""The project through PgBouncer in transaction mode (Debian's 1.18, no prepared
statements in that mode): a slice of the suite runs in a subprocess with
DATABASE_URL at a PgBouncer of this test's own, the live listener connected
directly (DATABASE_LISTEN_URL). docs/operations.md, "PgBouncer"."""

import contextlib
import os
import signal
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.db import connection

from tests.platform.servers import (
    as_postgres,
    find_binary,
    give_to_postgres,
    port_open,
    project,
    run,
    spare_port,
    wait_for,
    work_dir,
)

PGBOUNCER = find_binary("pgbouncer")

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PgBouncer: PostgreSQL"),
    pytest.mark.skipif(PGBOUNCER is None, reason="no pgbouncer binary (Debian: pgbouncer)"),
]

# Each name picks tests of the ordinary suite by keyword; each must run and pass.
SLICE = {
    "opens_a_need_with_an_owner_at_once": "need creation (API)",
    "moves_ownership_when_the_offered_colleague_accepts": "handoff (API)",
    "lets_exactly_one_answer_to_an_offer_win": "row locks under concurrent answers",
    "every_accepted_event_is_stored_once": "carrier batch ingest",
    "notifications_cross_processes_through_postgres": "LISTEN/NOTIFY (listener direct)",
    "bump_is_notified_after_commit_through_postgres": "pg_notify after commit",
    "through_the_pooler": "no prepared statements, no server-side cursors",
}


@pytest.fixture
def pgbouncer() -> Iterator[dict[str, Any]]:
    """PgBouncer in transaction mode on a spare port, in front of the suite's server."""
    server = connection.settings_dict
    host, port = server["HOST"] or "127.0.0.1", server["PORT"] or "5432"
    user = server["USER"] or "postgres"
    home = work_dir("ks-pgbouncer-")
    listen = spare_port()
    target = f"host={host} port={port} user={user}"
    if server["PASSWORD"]:
        target += f" password={server['PASSWORD']}"
    (home / "users.txt").write_text(f'"{user}" ""\n')
    (home / "pgbouncer.ini").write_text(
        "[databases]\n"
        f"* = {target}\n"
        "[pgbouncer]\n"
        f"listen_addr = 127.0.0.1\nlisten_port = {listen}\nunix_socket_dir =\n"
        f"auth_type = trust\nauth_file = {home}/users.txt\nadmin_users = {user}\n"
        "pool_mode = transaction\ndefault_pool_size = 20\nmax_client_conn = 200\n"
        f"logfile = {home}/pgbouncer.log\npidfile = {home}/pgbouncer.pid\n"
        "ignore_startup_parameters = extra_float_digits\n"
    )
    for path in home.iterdir():
        give_to_postgres(path, mode=0o600)
    name = f"test_{server['NAME']}_pgb{os.getpid()}"[:63]
    try:
        run(as_postgres([str(PGBOUNCER), "-d", str(home / "pgbouncer.ini")]))
        wait_for(lambda: port_open(listen), 10, "pgbouncer to listen")
        yield {
            "port": listen,
            "user": user,
            "host": host,
            "direct_port": port,
            "name": name,
            "home": home,
            "base": server["NAME"],
        }
    finally:
        pidfile = home / "pgbouncer.pid"
        with contextlib.suppress(Exception):
            os.kill(int(pidfile.read_text()), signal.SIGTERM)
            wait_for(lambda: not port_open(listen), 10, "pgbouncer to stop")
        with psycopg.connect(_direct(server, "postgres"), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        run(["rm", "-rf", str(home)])


def _direct(server: Any, dbname: str) -> str:
    parts = {
        "host": server["HOST"] or "127.0.0.1",
        "port": server["PORT"] or "5432",
        "user": server["USER"] or "postgres",
        "password": server["PASSWORD"],
        "dbname": dbname,
    }
    return " ".join(f"{k}={v}" for k, v in parts.items() if v)


def _prepared_statements_collide(bouncer: dict[str, Any]) -> bool:
    """The control: psycopg's named statements through this pooler break at once."""
    conninfo = f"host=127.0.0.1 port={bouncer['port']} user={bouncer['user']} dbname=postgres"
    with (
        psycopg.connect(conninfo, autocommit=True, prepare_threshold=0) as a,
        psycopg.connect(conninfo, autocommit=True, prepare_threshold=0) as b,
    ):
        try:
            for n in range(4):
                for conn in (a, b):
                    conn.execute("SELECT %s::int + 1", [n]).fetchone()
        except psycopg.errors.DuplicatePreparedStatement:
            return True
        except psycopg.errors.InvalidSqlStatementName:  # "… does not exist"
            return True
    return False


def _transactions_through(bouncer: dict[str, Any]) -> int:
    """Transactions PgBouncer passed to the test database (its admin console's SHOW STATS)."""
    out = run(
        [
            "psql",
            "-h",
            "127.0.0.1",
            "-p",
            str(bouncer["port"]),
            "-U",
            bouncer["user"],
            "-d",
            "pgbouncer",
            "-AtF",
            "\t",
            "-c",
            "SHOW STATS",
        ]
    )
    for line in out.splitlines():
        fields = line.split("\t")
        if fields[0] == bouncer["name"]:
            return int(fields[1])  # total_xact_count
    return 0


def test_a_slice_of_the_suite_passes_through_pgbouncer_in_transaction_mode(
    pgbouncer: dict[str, Any],
) -> None:
    assert _prepared_statements_collide(pgbouncer), "the control: named statements should break"
    report = Path(pgbouncer["home"]) / "report.xml"
    via = f"postgres://{pgbouncer['user']}@127.0.0.1:{pgbouncer['port']}/{pgbouncer['base']}"
    direct = f"postgres://{pgbouncer['user']}@{pgbouncer['host']}:{pgbouncer['direct_port']}/{pgbouncer['base']}"
    done = project(
        [
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-q",
            "--reuse-db",
            "-o",
            "addopts=",
            "--junitxml",
            str(report),
            "-k",
            " or ".join(SLICE),
            "tests",
        ],
        env={
            "DATABASE_URL": via,
            "DATABASE_LISTEN_URL": direct,
            "KLANTSTUUR_DB_POOLER": "pgbouncer",
            # Created and migrated through PgBouncer; dropped directly afterwards
            # (PgBouncer keeps its server connections to it open).
            "KLANTSTUUR_TEST_DB_NAME": pgbouncer["name"],
        },
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    passed = [
        case.get("name", "")
        for case in ET.parse(report).iter("testcase")  # noqa: S314 - our own report
        if not any(child.tag in ("failure", "error", "skipped") for child in case)
    ]
    for keyword, what in SLICE.items():
        assert any(keyword in name for name in passed), f"nothing passed for {what} ({keyword})"
    assert len(passed) >= len(SLICE) + 2
    assert _transactions_through(pgbouncer) > 50, "the suite did not go through PgBouncer"

"""Reads from a hot standby, read-your-writes from the primary: on clusters of this
test's own (a primary and a streaming standby on spare ports, run as ``postgres``),
never the machine's main cluster. docs/operations.md, "Read replica"."""

import contextlib
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from tests.platform.servers import (
    as_postgres,
    postgres_bin,
    project,
    run,
    spare_port,
    wait_for,
    work_dir,
)

BIN = postgres_bin()

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="streaming replica: PostgreSQL"),
    pytest.mark.skipif(
        BIN is None,
        reason="no PostgreSQL server binaries (initdb, pg_ctl, pg_basebackup)",
    ),
]
# Fast and throwaway: these clusters live for one test.
SETTINGS = """
listen_addresses = '127.0.0.1'
port = {port}
unix_socket_directories = '{home}'
wal_level = replica
max_wal_senders = 4
hot_standby = on
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = 32MB
max_connections = 40
"""


def _pg(tool: str, *args: str, timeout: float = 60) -> str:
    assert BIN is not None
    return run(as_postgres([str(BIN / tool), *args]), timeout=timeout)


def _streaming(primary_port: int) -> bool:
    with psycopg.connect(f"host=127.0.0.1 port={primary_port} user=postgres dbname=postgres") as c:
        row = c.execute("SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")
        return row.fetchone() == (1,)


@pytest.fixture
def clusters() -> Iterator[dict[str, int]]:
    """A primary and its hot standby, stopped and deleted afterwards whatever happens."""
    home = work_dir("ks-replica-")
    primary, standby = home / "primary", home / "standby"
    ports = {"primary": spare_port(), "standby": spare_port()}
    started: list[Path] = []
    try:
        _pg(
            "initdb",
            "-D",
            str(primary),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        )
        with open(primary / "postgresql.conf", "a") as conf:
            conf.write(SETTINGS.format(port=ports["primary"], home=home))
        with open(primary / "pg_hba.conf", "a") as hba:
            hba.write("host replication postgres 127.0.0.1/32 trust\n")
        _pg("pg_ctl", "-D", str(primary), "-l", str(home / "primary.log"), "-w", "start")
        started.append(primary)
        _pg(
            "pg_basebackup",
            "-h",
            "127.0.0.1",
            "-p",
            str(ports["primary"]),
            "-U",
            "postgres",
            "-D",
            str(standby),
            "-R",
            "-X",
            "stream",
            "--checkpoint=fast",
            "--no-sync",
        )
        with open(standby / "postgresql.conf", "a") as conf:
            conf.write(f"port = {ports['standby']}\n")  # the last setting wins
        _pg("pg_ctl", "-D", str(standby), "-l", str(home / "standby.log"), "-w", "start")
        started.append(standby)
        wait_for(lambda: _streaming(ports["primary"]), 30, "the standby to stream")
        yield ports
    finally:
        for data in reversed(started):
            with contextlib.suppress(Exception):
                _pg("pg_ctl", "-D", str(data), "-m", "immediate", "-w", "stop")
        run(["rm", "-rf", str(home)])


def test_lists_read_the_standby_and_a_writer_reads_its_own_write(clusters: dict[str, int]) -> None:
    url = "postgres://postgres@127.0.0.1:{}/klantstuur".format
    primary = f"host=127.0.0.1 port={clusters['primary']} user=postgres dbname=postgres"
    with psycopg.connect(primary, autocommit=True) as admin:
        admin.execute("CREATE DATABASE klantstuur")
    env = {
        "DATABASE_URL": url(clusters["primary"]),
        "DATABASE_REPLICA_URL": url(clusters["standby"]),
        "KLANTSTUUR_REPLICA_PIN_SECONDS": "2",
    }
    done = project(["-m", "tests.platform.replica_checks"], env=env, timeout=180)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "replica checks passed" in done.stdout, done.stdout

"""Issue #15: database trouble answers 503 with Retry-After (API JSON and pages), and the
pool is working again within 5 s of PostgreSQL coming back. Real servers: the project
under uvicorn in a subprocess, against no database at all, and against a throwaway
PostgreSQL cluster of the test's own (the machine's cluster is never touched)."""

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.platform.servers import (
    ROOT,
    as_postgres,
    port_open,
    postgres_bin,
    project,
    run,
    spare_port,
    wait_for,
    work_dir,
)


def _serve(database_url: str, port: int, tmp: Path) -> subprocess.Popen[bytes]:
    env = {
        "DATABASE_URL": database_url,
        "KLANTSTUUR_DATA_DIR": str(tmp),
        "KLANTSTUUR_DB_POOL_TIMEOUT": "2",
        "SECRET_KEY": "test-only-" + "x" * 40,
        "DJANGO_SETTINGS_MODULE": "klantstuur.settings",
        "PATH": "/usr/bin:/bin",
    }
    server = subprocess.Popen(  # noqa: S603 - this interpreter, fixed arguments
        [sys.executable, "-m", "uvicorn", "klantstuur.asgi:application", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(tmp / "server.log", "wb"),  # noqa: SIM115 - closed with the process
    )
    wait_for(lambda: port_open(port), 30, "the server")
    return server


def _stop(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def test_no_database_is_a_503_with_retry_after(tmp_path: Path) -> None:
    port = spare_port()
    server = _serve(f"postgres://postgres@127.0.0.1:{spare_port()}/nowhere", port, tmp_path)
    try:
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, timeout=30) as http:
            api = http.get("/api/v1/needs", headers={"Authorization": "Bearer some-token"})
            assert api.status_code == 503
            assert api.headers["retry-after"] == "5"
            assert api.json()["retry_after"] == 5
            assert api.json()["detail"].startswith("The database is unavailable for a moment")
            page = http.get("/guest/some-token/")
            assert page.status_code == 503
            assert page.headers["retry-after"] == "5"
            assert "Even niet bereikbaar" in page.text
            assert http.get("/healthz").status_code == 503
    finally:
        _stop(server)
    log = (tmp_path / "server.log").read_text()
    assert '"status_code": 503' in log and "OperationalError" in log  # logged with traceback


BIN = postgres_bin()


@pytest.fixture
def cluster() -> Iterator[tuple[int, Path]]:
    """A throwaway PostgreSQL cluster on a spare port, stopped and removed afterwards."""
    if BIN is None:
        pytest.skip("no PostgreSQL server binaries (initdb, pg_ctl)")
    home = work_dir("ks-i15-pg-")
    data, port = home / "data", spare_port()
    run(as_postgres([str(BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"]))
    (data / "postgresql.conf").open("a").write(
        f"port = {port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{home}'\n"
        "fsync = off\n"
    )
    start = [str(BIN / "pg_ctl"), "-D", str(data), "-l", str(home / "pg.log"), "-w", "start"]
    run(as_postgres(start))
    try:
        yield port, home
    finally:
        run(as_postgres([str(BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]))
        subprocess.run(["rm", "-rf", str(home)], check=False)  # noqa: S603, S607


def test_the_pool_works_again_within_5_s_of_postgresql_coming_back(
    cluster: tuple[int, Path], tmp_path: Path
) -> None:
    pg_port, home = cluster
    url = f"postgres://postgres@127.0.0.1:{pg_port}/postgres"
    migrated = project(["manage.py", "migrate", "-v", "0"], {"DATABASE_URL": url})
    assert migrated.returncode == 0, migrated.stderr
    port = spare_port()
    server = _serve(url, port, tmp_path)
    data = home / "data"
    pg_ctl = [str(BIN / "pg_ctl"), "-D", str(data), "-l", str(home / "pg.log"), "-w"]
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            for _ in range(20):  # the pool's connections are in use and idle
                assert http.get("/guest/no-such-party/").status_code == 404
            run(as_postgres([*pg_ctl, "-m", "immediate", "stop"]))
            down = http.get("/guest/no-such-party/")
            assert down.status_code == 503 and down.headers["retry-after"] == "5"
            time.sleep(12)  # long enough for a doubling back-off to have grown past 5 s
            assert http.get("/guest/no-such-party/").status_code == 503
            run(as_postgres([*pg_ctl, "start"]))
            back = time.monotonic()
            statuses = []
            while time.monotonic() - back < 15:
                status = http.get("/guest/no-such-party/").status_code
                statuses.append(status)
                if status == 404:
                    break
                time.sleep(0.1)
            recovered = time.monotonic() - back
    finally:
        _stop(server)
    print(f"recovered {recovered:.2f} s after PostgreSQL accepted connections again: {statuses}")
    assert statuses[-1] == 404
    assert recovered < 5

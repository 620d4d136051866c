"""Servers of its own for a platform test: spare ports, the ``postgres`` OS user, a suite run.

These tests start PgBouncer or whole PostgreSQL clusters beside the machine's own
(which they never change) and run the project in a subprocess against them.
"""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def find_binary(name: str) -> str | None:
    """A binary on PATH or in sbin (not on every PATH)."""
    if found := shutil.which(name):
        return found
    return str(Path("/usr/sbin") / name) if (Path("/usr/sbin") / name).exists() else None


def postgres_bin() -> Path | None:
    """The PostgreSQL server binaries (initdb, pg_ctl, pg_basebackup), highest version."""
    dirs = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    if initdb := shutil.which("initdb"):
        dirs.insert(0, Path(initdb).resolve().parent)
    tools = ("initdb", "pg_ctl", "pg_basebackup", "postgres")
    usable = [d for d in dirs if all((d / tool).exists() for tool in tools)]
    return usable[-1] if usable else None


def spare_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def as_postgres(cmd: list[str]) -> list[str]:
    """Servers refuse to run as root: CI runs as root, so switch to ``postgres`` there."""
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


def give_to_postgres(path: Path, mode: int = 0o700) -> None:
    """Make ``path`` the server user's (when we are root and the servers run as ``postgres``)."""
    path.chmod(mode)
    if os.geteuid() == 0:
        shutil.chown(path, "postgres", "postgres")


def work_dir(prefix: str) -> Path:
    """A directory the server user may write (pytest's tmp_path is root's own under CI)."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    give_to_postgres(path)
    return path


def run(cmd: list[str], timeout: float = 60) -> str:
    done = subprocess.run(  # noqa: S603 - our own server tools, fixed arguments
        cmd, capture_output=True, text=True, timeout=timeout, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"{cmd[0]}… failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done.stdout


def wait_for(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except Exception:  # noqa: S110 - not up yet
            pass
        time.sleep(0.2)
    raise TimeoutError(f"waited {timeout:.0f} s for {what}")


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def project(
    args: list[str], env: dict[str, str], timeout: float = 240
) -> subprocess.CompletedProcess[str]:
    """``python <args>`` in the project, with this environment instead of the suite's
    database settings (and none of pytest's or xdist's own variables)."""
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTEST_", "DATABASE_", "KLANTSTUUR_DB_", "KLANTSTUUR_REPLICA_"))
        and k
        not in ("KLANTSTUUR_TEST_DB_NAME", "KLANTSTUUR_LIVE_BACKEND", "DJANGO_SETTINGS_MODULE")
    }
    return subprocess.run(  # noqa: S603 - this interpreter, fixed arguments
        [sys.executable, *args],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "klantstuur.settings", **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )

"""A real ``klantstuur worker`` against the test database, for the tests that kill it
(tests/platform/test_worker_kill.py, tests/integrations/test_worker_kill.py)."""

import os
import signal
import subprocess
import sys
from pathlib import Path

from django.db import connection

from tests.platform.servers import ROOT


def database_url() -> str:
    """The test database (PostgreSQL) as a DATABASE_URL for a subprocess."""
    db = connection.settings_dict
    auth = db["USER"] or "postgres"
    if db["PASSWORD"]:
        auth += f":{db['PASSWORD']}"
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def worker_start(tmp: Path, **settings: str) -> subprocess.Popen[bytes]:
    """``klantstuur worker`` in its own process group, logging to ``tmp/worker.log``;
    ``settings`` are extra environment variables (small batches, short timeouts)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTEST_", "DATABASE_", "KLANTSTUUR_"))
        and k != "DJANGO_SETTINGS_MODULE"
    }
    env.update(
        DJANGO_SETTINGS_MODULE="klantstuur.settings",
        DATABASE_URL=database_url(),
        SECRET_KEY="worker-kill-test-secret-key-0123456789abcdefghijklmnop",
        KLANTSTUUR_DATA_DIR=str(tmp),
        EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
        LOG_LEVEL="WARNING",
    )
    env.update(settings)
    return subprocess.Popen(
        [sys.executable, "-m", "klantstuur", "worker"],
        cwd=ROOT,
        env=env,
        stdout=(tmp / "worker.log").open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def worker_kill(proc: subprocess.Popen[bytes], sig: int = signal.SIGKILL) -> None:
    """Kill the worker's whole process group and wait for it."""
    if proc.poll() is None:
        os.killpg(proc.pid, sig)
    proc.wait(15)

"""Faults under load (issue #15): kill -9 of the web server and of the worker, the
database's connections exhausted, PostgreSQL restarted — and every acknowledged write is
counted back. Exit status 1 on any loss, any stuck Idempotency-Key, any 5xx other than
503, or a worker that does not catch up.

It runs on a THROWAWAY PostgreSQL cluster of its own (initdb under /tmp, a spare port,
as the ``postgres`` user when run as root); the machine's cluster is never touched:

    .venv/bin/python benchmarks/fault.py --seconds 40 --clients 4

What happens: ``klantstuur serve`` (2 processes) and ``klantstuur worker`` against the
cluster; ``--clients`` threads open needs through the API, each with its own
Idempotency-Key, retrying a request that got no answer, a 503 or a 429 with the SAME key
until it is acknowledged (201). Meanwhile, in turn: the web server's process group is
killed with SIGKILL and started again, the worker likewise, every free connection of the
cluster is taken for 4 s, and PostgreSQL is restarted (immediate shutdown, like a crash).
Afterwards every key is sent once more (a replay must answer 201 with the same need: a
key never stays stuck) and the database is read back: every acknowledged need exists
once with its summary and its ``need_opened`` event, no key made two needs, and every
reaction of the journal reaches the head.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
SECRET_KEY = "fault-only-secret-key-not-for-production-0123456789abcdef"


def spare_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pg_bin() -> Path:
    for d in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (d / "initdb").exists():
            return d
    raise SystemExit("no PostgreSQL server binaries under /usr/lib/postgresql")


def as_pg(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


class Cluster:
    def __init__(self) -> None:
        self.bin = pg_bin()
        self.home = Path(tempfile.mkdtemp(prefix="ks-fault-"))
        self.port = spare_port()
        self.data = self.home / "data"
        if os.geteuid() == 0:
            shutil.chown(self.home, "postgres", "postgres")
        self.home.chmod(0o700)

    def ctl(self, *args: str) -> None:
        subprocess.run(
            as_pg(
                [
                    str(self.bin / "pg_ctl"),
                    "-D",
                    str(self.data),
                    "-l",
                    str(self.home / "pg.log"),
                    "-w",
                    *args,
                ]
            ),
            check=True,
            capture_output=True,
        )

    def __enter__(self) -> Cluster:
        subprocess.run(
            as_pg(
                [str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres"]
            ),
            check=True,
            capture_output=True,
        )
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(
                f"port = {self.port}\nlisten_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{self.home}'\nmax_connections = 30\n"
            )
        self.ctl("start")
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.ctl("-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.home, ignore_errors=True)

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"


def env_for(cluster: Cluster, log_dir: Path) -> dict[str, str]:
    return dict(
        os.environ,
        DATABASE_URL=cluster.url,
        SECRET_KEY=SECRET_KEY,
        LOG_LEVEL="WARNING",
        KLANTSTUUR_DATA_DIR=str(log_dir),
        KLANTSTUUR_DB_POOL_SIZE="4",
        KLANTSTUUR_DB_POOL_TIMEOUT="3",
        EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
    )


def start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "klantstuur", *args],
        cwd=ROOT,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def kill9(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def wait_http(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("the server did not come up")


def setup_data(cluster: Cluster, env: dict[str, str]) -> dict[str, Any]:
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    code = (
        "import json, django; django.setup()\n"
        "from klantstuur.businesses.services import business_create, staff_create\n"
        "from klantstuur.customers.services import customer_create\n"
        "from klantstuur.accounts.services import token_create\n"
        "b = business_create(slug='fault', name='Fault')\n"
        "s = staff_create(business=b, email='agent@fault.example', name='Agent', role='agent',"
        " authority_cents=0, password='x'*12)\n"
        "cs = [customer_create(business=b, name=f'C{i}', email=f'c{i}@fault.example').pk"
        " for i in range(50)]\n"
        "print(json.dumps({'token': token_create(user=s.user)[1], 'customers': cs}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "klantstuur.settings"},
        check=True,
        capture_output=True,
        text=True,
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


class Load:
    """Client threads that open needs, each retried with its key until acknowledged."""

    def __init__(self, port: int, token: str, customers: list[int], clients: int) -> None:
        self.base = f"http://127.0.0.1:{port}/api/v1/needs"
        self.headers = {"Authorization": f"Bearer {token}"}
        self.customers = customers
        self.clients = clients
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.acked: dict[str, int] = {}  # key -> need id
        self.sent: dict[str, dict[str, Any]] = {}  # key -> body
        self.statuses: Counter[str] = Counter()

    def post(self, http: httpx.Client, key: str, body: dict[str, Any]) -> int | None:
        try:
            r = http.post(self.base, json=body, headers={**self.headers, "Idempotency-Key": key})
        except httpx.HTTPError as exc:
            with self.lock:
                self.statuses[type(exc).__name__] += 1
            return None
        with self.lock:
            self.statuses[str(r.status_code)] += 1
        if r.status_code == 201:
            return int(r.json()["id"])
        return None

    def client(self, n: int) -> None:
        i = 0
        with httpx.Client(timeout=15) as http:
            while not self.stop.is_set():
                key = f"fault-{n}-{i}"
                body = {
                    "customer_id": self.customers[(n * 7 + i) % len(self.customers)],
                    "kind": "question",
                    "summary": f"fault {n}/{i}",
                }
                with self.lock:
                    self.sent[key] = body
                while not self.stop.is_set():
                    if (need := self.post(http, key, body)) is not None:
                        with self.lock:
                            self.acked[key] = need
                        break
                    time.sleep(0.2)
                i += 1

    def run(self) -> list[threading.Thread]:
        threads = [threading.Thread(target=self.client, args=(n,)) for n in range(self.clients)]
        for t in threads:
            t.start()
        return threads


def exhaust(cluster: Cluster, seconds: float) -> int:
    """Take every connection the cluster still gives, for ``seconds``."""
    import psycopg

    held = []
    try:
        while True:
            try:
                held.append(psycopg.connect(cluster.url + "?connect_timeout=2"))
            except psycopg.OperationalError:
                break
        time.sleep(seconds)
    finally:
        for conn in held:
            conn.close()
    return len(held)


def count_back(cluster: Cluster, load: Load) -> dict[str, Any]:
    import psycopg

    with psycopg.connect(cluster.url) as conn:
        rows = conn.execute(
            "SELECT n.id, n.summary, count(e.id) FROM needs_need n LEFT JOIN needs_journalevent e"
            " ON e.need_id = n.id AND e.kind = 'need_opened' GROUP BY n.id, n.summary"
        ).fetchall()
        cursors = conn.execute("SELECT count(*) FROM needs_journalevent").fetchone()
    by_id = {r[0]: (r[1], r[2]) for r in rows}
    summaries = Counter(r[1] for r in rows)
    lost = [k for k, need in load.acked.items() if need not in by_id]
    wrong = [
        k
        for k, need in load.acked.items()
        if need in by_id and by_id[need][0] != load.sent[k]["summary"]
    ]
    no_event = [k for k, need in load.acked.items() if need in by_id and by_id[need][1] != 1]
    twice = [s for s, c in summaries.items() if c > 1]
    return {
        "needs_in_db": len(rows),
        "journal_events": cursors[0] if cursors else 0,
        "lost": lost,
        "wrong_summary": wrong,
        "without_one_opened_event": no_event,
        "one_key_two_needs": twice,
    }


def replay_all(port: int, token: str, load: Load) -> list[str]:
    """Every key ever sent, once more: 201 with the acknowledged need (or a first one)."""
    stuck = []
    with httpx.Client(timeout=30) as http:
        for key, body in load.sent.items():
            need = load.post(http, key, body)
            if need is None:
                time.sleep(1)
                need = load.post(http, key, body)
            if need is None:
                stuck.append(key)
            elif key in load.acked and load.acked[key] != need:
                stuck.append(f"{key}: replay gave need {need}, first {load.acked[key]}")
            else:
                load.acked[key] = need
    return stuck


def reactions_caught_up(env: dict[str, str], timeout: float) -> bool:
    code = (
        "import django, time, sys; django.setup()\n"
        "from django.db import connection\n"
        "from klantstuur.needs import consumers\n"
        f"end = time.monotonic() + {timeout}\n"
        "while time.monotonic() < end:\n"
        "    if all(l.events_behind == 0 for l in consumers.lags()): sys.exit(0)\n"
        "    connection.close(); time.sleep(0.5)\n"
        "sys.exit(1)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "klantstuur.settings"},
        check=False,
    )
    return done.returncode == 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=40, help="length of the load")
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    logs = Path(tempfile.mkdtemp(prefix="ks-fault-logs-"))
    port = spare_port()
    events: list[str] = []
    t0 = time.monotonic()

    def note(what: str) -> None:
        events.append(f"{time.monotonic() - t0:6.1f} s  {what}")
        print(events[-1], flush=True)

    with Cluster() as cluster:
        env = env_for(cluster, logs)
        data = setup_data(cluster, env)
        serve = ["serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"]
        web = start(serve, env, logs / "web.log")
        worker = start(["worker"], env, logs / "worker.log")
        wait_http(port)
        load = Load(port, data["token"], data["customers"], args.clients)
        threads = load.run()
        step = args.seconds / 5
        try:
            time.sleep(step)
            note("kill -9 web")
            kill9(web)
            time.sleep(1)
            web = start(serve, env, logs / "web.log")
            wait_http(port)
            note("web back")
            time.sleep(step)
            note("kill -9 worker")
            kill9(worker)
            time.sleep(1)
            worker = start(["worker"], env, logs / "worker.log")
            time.sleep(step)
            note("connections exhausted")
            note(f"held {exhaust(cluster, 4)} connections for 4 s")
            time.sleep(step)
            note("PostgreSQL restart (immediate)")
            cluster.ctl("-m", "immediate", "restart")
            note("PostgreSQL back")
            time.sleep(step)
        finally:
            load.stop.set()
            for t in threads:
                t.join(30)
        note("load stopped; replaying every key")
        stuck = replay_all(port, data["token"], load)
        caught_up = reactions_caught_up(env, 60)
        result = count_back(cluster, load)
        kill9(web)
        kill9(worker)
    bad_5xx = {s: c for s, c in load.statuses.items() if s.startswith("5") and s != "503"}
    result.update(
        {
            "acknowledged": len(load.acked),
            "keys_sent": len(load.sent),
            "stuck_keys": stuck,
            "statuses": dict(load.statuses),
            "5xx_other_than_503": bad_5xx,
            "reactions_caught_up": caught_up,
            "timeline": events,
            "logs": str(logs),
        }
    )
    print(json.dumps(result, indent=2))
    failed = (
        result["lost"]
        or result["wrong_summary"]
        or result["without_one_opened_event"]
        or result["one_key_two_needs"]
        or stuck
        or bad_5xx
        or not caught_up
        or len(load.acked) != len(load.sent)
    )
    print("FAULT RUN: " + ("FAILED" if failed else "passed"), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

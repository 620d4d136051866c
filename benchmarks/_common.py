"""Shared pieces of the benchmarks: the server, Django in-process, HTTP timing."""

from __future__ import annotations

import http.client
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
# Server and benchmark share the key so a session made here is valid there.
SECRET_KEY = "benchmark-only-secret-key-not-for-production-0123456789abcdef"
HOST = "127.0.0.1"  # loopback only


def database_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        raise SystemExit("set DATABASE_URL=postgres://postgres@127.0.0.1:5432/klantstuur_bench")
    return url


def django_setup() -> None:
    os.environ["SECRET_KEY"] = SECRET_KEY
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "klantstuur.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def environment() -> dict[str, Any]:
    """Versions and machine, written next to every result."""
    import django
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SHOW server_version")
        pg = cur.fetchone()[0]
        cur.execute(
            "SELECT name, setting FROM pg_settings WHERE name IN ('shared_buffers', 'work_mem',"
            " 'max_parallel_workers_per_gather', 'jit', 'random_page_cost', 'max_connections')"
        )
        pg_settings = dict(cur.fetchall())
    try:
        load = os.getloadavg()
    except OSError:
        load = (0.0, 0.0, 0.0)
    return {
        "python": platform.python_version(),
        "django": django.get_version(),
        "postgresql": pg,
        "pg_settings": pg_settings,
        "cpus": os.cpu_count(),
        "machine": platform.platform(),
        "loadavg_at_start": [round(x, 2) for x in load],
        "started": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
    }


class Server:
    """``klantstuur serve`` on loopback in its own process group; stopped on exit."""

    def __init__(
        self,
        *,
        port: int,
        workers: int,
        log: Path,
        nodelay_fix: bool = False,
        pool: bool = False,
        settings: str | None = None,
    ) -> None:
        self.port = port
        self.workers = workers
        self.log = log
        self.nodelay_fix = nodelay_fix
        self.pool = pool
        self.settings = settings
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Server:
        # Never measure (or post to) someone else's server on the same port.
        probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            if probe.connect_ex((HOST, self.port)) == 0:
                raise SystemExit(f"port {self.port} is already in use: pick another with --port")
        finally:
            probe.close()
        env = dict(os.environ, SECRET_KEY=SECRET_KEY, LOG_LEVEL="WARNING")
        if self.pool:
            env["DJANGO_SETTINGS_MODULE"] = "benchmarks.settings_pool"
        elif self.settings:
            env["DJANGO_SETTINGS_MODULE"] = self.settings
        if self.nodelay_fix:
            command = [sys.executable, str(ROOT / "benchmarks" / "serve.py"), "--nodelay-fix"]
        else:  # exactly what production runs
            command = [sys.executable, "-m", "klantstuur", "serve"]
        self.log.parent.mkdir(parents=True, exist_ok=True)
        out = self.log.open("wb")
        self.proc = subprocess.Popen(
            [
                *command,
                "--host",
                HOST,
                "--port",
                str(self.port),
                "--workers",
                str(self.workers),
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"server exited early; see {self.log}")
            try:
                conn = http.client.HTTPConnection(HOST, self.port, timeout=2)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    conn.close()
                    if self.proc.poll() is not None:
                        raise SystemExit(f"server exited; see {self.log}")
                    # Let every worker import Django before measuring.
                    time.sleep(1.0 + self.workers)
                    return self
            except OSError:
                pass
            time.sleep(0.3)
        self.__exit__(None, None, None)
        raise SystemExit("server did not answer /healthz within 60 s")

    def __exit__(self, *exc: object) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def db_counts(business_id: int, after_id: int) -> tuple[int, int]:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM needs_need WHERE business_id = %s AND id > %s",
            [business_id, after_id],
        )
        needs = cur.fetchone()[0]
        cur.execute(
            "SELECT count(*) FROM needs_journalevent WHERE kind = 'need_opened' AND need_id > %s"
            " AND business_id = %s",
            [after_id, business_id],
        )
        events = cur.fetchone()[0]
    return needs, events


def creation_target(token_name: str) -> tuple[int, list[int], Any, str]:
    """Where the creation benchmarks post: the business with the most needs, 2,000 of its
    customers, its second agent and a new token for them: (business, customers, staff, key)."""
    from django.db import connection

    from klantstuur.accounts.services import token_create
    from klantstuur.businesses.models import StaffMember

    with connection.cursor() as cur:
        cur.execute("SELECT business_id FROM needs_need GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")
        business_id = cur.fetchone()[0]
        cur.execute(
            "SELECT id FROM customers_customer WHERE business_id = %s ORDER BY id LIMIT 2000",
            [business_id],
        )
        customers = [r[0] for r in cur.fetchall()]
    staff = (
        StaffMember.objects.select_related("user")
        .filter(business_id=business_id, role="agent")
        .order_by("id")[1]
    )
    _, token = token_create(user=staff.user, name=token_name)
    connection.close()
    return business_id, customers, staff, token


@dataclass
class Timing:
    name: str
    samples_ms: list[float] = field(default_factory=list)
    errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    wall_s: float = 0.0
    concurrency: int = 1

    def summary(self) -> dict[str, Any]:
        s = sorted(self.samples_ms)

        def pct(p: float) -> float:
            if not s:
                return float("nan")
            k = min(len(s) - 1, max(0, round(p / 100 * len(s) + 0.5) - 1))
            return round(s[k], 2)

        return {
            "name": self.name,
            "concurrency": self.concurrency,
            "n": len(s),
            "errors": self.errors,
            "statuses": self.statuses,
            "p50_ms": pct(50),
            "p95_ms": pct(95),
            "p99_ms": pct(99),
            "mean_ms": round(statistics.fmean(s), 2) if s else None,
            "max_ms": round(s[-1], 2) if s else None,
            "req_per_s": round(len(s) / self.wall_s, 1) if self.wall_s else None,
        }


class Client:
    """One keep-alive HTTP/1.1 connection (use one per thread)."""

    def __init__(self, port: int, headers: dict[str, str]) -> None:
        self.port = port
        self.headers = headers
        self.conn = http.client.HTTPConnection(HOST, port, timeout=60)

    def request(self, method: str, path: str, body: Any = None) -> tuple[int, bytes]:
        data = None
        headers = dict(self.headers)
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=data, headers=headers)
                resp = self.conn.getresponse()
                return resp.status, resp.read()
            except (http.client.HTTPException, ConnectionError):
                self.conn.close()
                self.conn = http.client.HTTPConnection(HOST, self.port, timeout=60)
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")


def run_http(
    name: str,
    port: int,
    headers: dict[str, str],
    requests: list[tuple[str, str, Any]],
    *,
    concurrency: int = 1,
    ok: Iterable[int] = (200,),
) -> Timing:
    """Send the given requests (method, path, body) spread over ``concurrency`` threads."""
    timing = Timing(name=name, concurrency=concurrency)
    ok_set = set(ok)
    lock = threading.Lock()
    chunks = [requests[i::concurrency] for i in range(concurrency)]

    def work(chunk: list[tuple[str, str, Any]]) -> None:
        client = Client(port, headers)
        local: list[float] = []
        statuses: dict[int, int] = {}
        errors = 0
        for method, path, body in chunk:
            t = time.perf_counter()
            try:
                status, _ = client.request(method, path, body)
            except Exception:
                status = 0
            local.append((time.perf_counter() - t) * 1000)
            statuses[status] = statuses.get(status, 0) + 1
            if status not in ok_set:
                errors += 1
        with lock:
            timing.samples_ms.extend(local)
            timing.errors += errors
            for k, v in statuses.items():
                timing.statuses[k] = timing.statuses.get(k, 0) + v

    threads = [threading.Thread(target=work, args=(c,)) for c in chunks]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    timing.wall_s = time.perf_counter() - start
    return timing


def time_callable(name: str, fn: Callable[[], Any], repeat: int) -> Timing:
    timing = Timing(name=name)
    start = time.perf_counter()
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        timing.samples_ms.append((time.perf_counter() - t) * 1000)
    timing.wall_s = time.perf_counter() - start
    return timing


def table(rows: list[dict[str, Any]], cols: list[str]) -> str:
    out = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for r in rows:
        out.append("| " + " | ".join(str(r.get(c, "")) for c in cols) + " |")
    return "\n".join(out)

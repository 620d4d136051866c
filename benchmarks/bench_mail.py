"""E-mail in, measured end to end on PostgreSQL (issue #11, docs/performance-mail.md).

1. **Mail → need.** ``klantstuur mail`` (the production SMTP receiver, its own process)
   takes N messages from N new senders to the business's address over real SMTP
   sessions (C concurrent client connections). Counted back in the database: needs
   with channel "email", ``InboundMail`` rows ``need_opened``. Rate = N / wall time.
2. **Reply → owner's open page.** ``klantstuur serve`` runs too. For P needs, the
   owner's page is open: a stream per need (``/console/needs/<id>/stream/``, the
   owner's session) that, on each message, fetches the page's fragment
   (``/console/needs/<id>/live/``) as the browser does. R replies a second are sent
   over SMTP from each customer to their need's reply address; per reply, from the
   start of its SMTP session to the fragment showing its text. p50/p95/p99/max.

    createdb -h 127.0.0.1 -U postgres ks_bench_i11
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ks_bench_i11 \\
        .venv/bin/python benchmarks/bench_mail.py --mails 1000 --clients 4 --pages 20 --replies 300

Prints one JSON object (and writes it to benchmarks/results/mail-<time>.json).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import smtplib
import statistics
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from email.message import EmailMessage
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import HOST, RESULTS, ROOT, SECRET_KEY, Server, database_url, django_setup, environment

DUMMY_MAIL = "django.core.mail.backends.dummy.EmailBackend"
SLUG = "mailbench"


def _env() -> dict[str, str]:
    return dict(
        os.environ,
        SECRET_KEY=SECRET_KEY,
        EMAIL_BACKEND=DUMMY_MAIL,
        LOG_LEVEL="WARNING",
        KLANTSTUUR_MAIL_NEEDS_PER_HOUR="1000000",
    )


def prepare(staff: int) -> Any:
    from django.core.management import call_command

    from klantstuur.businesses.models import Business, Role
    from klantstuur.businesses.services import business_create, staff_create

    call_command("migrate", interactive=False, verbosity=0)
    business = Business.objects.filter(slug=SLUG).first()
    if business is None:
        business = business_create(slug=SLUG, name="Mail bench")
        for i in range(staff):
            staff_create(
                business=business,
                email=f"agent{i}@{SLUG}.example",
                name=f"Agent {i}",
                role=Role.AGENT,
                authority_cents=5000,
                password="bench-password-123",
            )
    return business


def _message(sender: str, to: str, subject: str, body: str) -> bytes:
    m = EmailMessage()
    m["From"] = sender
    m["To"] = to
    m["Subject"] = subject
    m["Message-ID"] = f"<{uuid.uuid4().hex}@bench.example>"
    m.set_content(body)
    return m.as_bytes()


class Receiver:
    """``klantstuur mail`` in its own process group."""

    def __init__(self, port: int, log: Path) -> None:
        self.port, self.log = port, log

    def __enter__(self) -> Receiver:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "klantstuur", "mail", "--host", HOST, "--port", str(self.port)],
            cwd=ROOT,
            env=_env(),
            stdout=self.log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with smtplib.SMTP(HOST, self.port, timeout=2) as s:
                    s.noop()
                return self
            except OSError:
                time.sleep(0.3)
        raise SystemExit(f"klantstuur mail did not start; see {self.log}")

    def __exit__(self, *exc: object) -> None:
        import signal

        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)


def send_many(port: int, messages: list[tuple[str, str, bytes]], clients: int) -> list[float]:
    """Each client thread one SMTP connection; returns each message's send duration."""
    chunks = [messages[i::clients] for i in range(clients)]

    def run(chunk: list[tuple[str, str, bytes]]) -> list[float]:
        took = []
        with smtplib.SMTP(HOST, port, timeout=60) as s:
            for sender, to, raw in chunk:
                t = time.perf_counter()
                s.sendmail(sender, [to], raw)
                took.append(time.perf_counter() - t)
        return took

    with ThreadPoolExecutor(clients) as pool:
        return [x for part in pool.map(run, chunks) for x in part]


def inbound_rate(port: int, business: Any, mails: int, clients: int) -> dict[str, Any]:
    from django.db import connection

    run = uuid.uuid4().hex[:8]
    to = f"{SLUG}@klantstuur.localhost"
    messages = [
        (
            f"s{run}-{i}@bench.example",
            to,
            _message(
                f"Sender {i} <s{run}-{i}@bench.example>", to, f"Vraag {i}", "Waar is mijn pakket?"
            ),
        )
        for i in range(mails)
    ]
    started = time.perf_counter()
    took = send_many(port, messages, clients)
    elapsed = time.perf_counter() - started
    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM mail_inboundmail WHERE outcome = 'need_opened' AND sender LIKE %s",
            [f"s{run}-%"],
        )
        logged = cur.fetchone()[0]
        cur.execute(
            "SELECT count(*) FROM needs_need n JOIN customers_customer c ON c.id = n.customer_id"
            " JOIN needs_journalevent e ON e.need_id = n.id AND e.kind = 'need_opened'"
            " WHERE c.email LIKE %s AND e.data->>'channel' = 'email'",
            [f"s{run}-%"],
        )
        needs = cur.fetchone()[0]
    took.sort()
    return {
        "mails": mails,
        "clients": clients,
        "seconds": round(elapsed, 2),
        "needs_counted": needs,
        "inbound_logged": logged,
        "needs_per_second": round(needs / elapsed, 1),
        "smtp_ms_p50": round(1000 * statistics.median(took), 1),
        "smtp_ms_p99": round(1000 * took[int(0.99 * (len(took) - 1))], 1),
    }


def _pages(business: Any, count: int) -> list[dict[str, Any]]:
    """``count`` needs of known customers, each with its reply address and owner session."""
    from django.test import Client

    from klantstuur.customers.services import customer_create
    from klantstuur.needs import services
    from klantstuur.needs.mailout import reply_addresses

    run = uuid.uuid4().hex[:8]
    out = []
    for i in range(count):
        customer = customer_create(
            business=business, name=f"Page {i}", email=f"p{run}-{i}@bench.example"
        )
        need = services.need_open(customer=customer, kind="question", summary=f"Page {i}")
        address = reply_addresses([(need, customer.pk)])[(need.pk, customer.pk)]
        client = Client()
        client.force_login(need.owner.user, backend="django.contrib.auth.backends.ModelBackend")
        out.append(
            {
                "need": need.pk,
                "sender": customer.email,
                "to": address,
                "cookie": client.cookies["sessionid"].value,
            }
        )
    return out


async def _watch(
    base: str,
    page: dict[str, Any],
    sent: dict[str, float],
    seen: dict[str, float],
    ready: asyncio.Event,
    total: list[int],
) -> None:
    import httpx

    cookies = {"sessionid": page["cookie"]}
    async with (
        httpx.AsyncClient(
            base_url=base, cookies=cookies, timeout=httpx.Timeout(30, read=None)
        ) as client,
        client.stream("GET", f"/console/needs/{page['need']}/stream/") as stream,
    ):
        async for line in stream.aiter_lines():
            if line.startswith("event: hello"):
                total[0] += 1
                if total[0] >= total[1]:
                    ready.set()
            if not line.startswith('data: {"event"'):
                continue
            html = (await client.get(f"/console/needs/{page['need']}/live/")).text
            now = time.perf_counter()
            for marker in list(sent):
                if marker in html and marker not in seen and marker.startswith(f"m{page['need']}-"):
                    seen[marker] = now


async def page_latency(
    base: str, port: int, pages: list[dict[str, Any]], replies: int, rate: float
) -> dict[str, Any]:
    sent: dict[str, float] = {}
    seen: dict[str, float] = {}
    ready = asyncio.Event()
    total = [0, len(pages)]
    watchers = [asyncio.create_task(_watch(base, p, sent, seen, ready, total)) for p in pages]
    await asyncio.wait_for(ready.wait(), 60)
    await asyncio.sleep(2)  # presence announcements settle

    def send_one(i: int) -> None:
        page = pages[i % len(pages)]
        marker = f"m{page['need']}-{i}"
        raw = _message(page["sender"], page["to"], "Re: bench", f"Antwoord {marker}")
        sent[marker] = time.perf_counter()
        with smtplib.SMTP(HOST, port, timeout=60) as s:
            s.sendmail(page["sender"], [page["to"]], raw)

    loop = asyncio.get_running_loop()
    pending = []
    start = time.perf_counter()
    for i in range(replies):
        due = start + i / rate
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        pending.append(loop.run_in_executor(None, send_one, i))
    await asyncio.gather(*pending)
    deadline = time.perf_counter() + 10
    while len(seen) < replies and time.perf_counter() < deadline:
        await asyncio.sleep(0.1)
    for w in watchers:
        w.cancel()
    await asyncio.gather(*watchers, return_exceptions=True)
    lat = sorted(seen[m] - sent[m] for m in seen)
    q = lambda p: round(1000 * lat[min(len(lat) - 1, int(p * (len(lat) - 1)))], 1)  # noqa: E731
    return {
        "pages": len(pages),
        "replies": replies,
        "rate_per_second": rate,
        "seen": len(seen),
        "ms_p50": q(0.5),
        "ms_p95": q(0.95),
        "ms_p99": q(0.99),
        "ms_max": round(1000 * lat[-1], 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mails", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--staff", type=int, default=10)
    parser.add_argument("--pages", type=int, default=20)
    parser.add_argument("--replies", type=int, default=300)
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--smtp-port", type=int, default=2625)
    parser.add_argument("--port", type=int, default=8625)
    args = parser.parse_args()
    database_url()
    for key, value in _env().items():
        os.environ.setdefault(key, value)
    os.environ["EMAIL_BACKEND"] = DUMMY_MAIL
    django_setup()
    business = prepare(args.staff)
    result: dict[str, Any] = {"environment": environment()}
    logs = RESULTS / "mail-logs"
    with Receiver(args.smtp_port, logs / "receiver.log"):
        result["inbound"] = inbound_rate(args.smtp_port, business, args.mails, args.clients)
        print(json.dumps(result["inbound"]), flush=True)
        pages = _pages(business, args.pages)
        with Server(port=args.port, workers=1, log=logs / "server.log"):
            result["owner_page"] = asyncio.run(
                page_latency(
                    f"http://{HOST}:{args.port}", args.smtp_port, pages, args.replies, args.rate
                )
            )
    print(json.dumps(result["owner_page"]), flush=True)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"mail-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    threading.current_thread().name = "bench"
    main()

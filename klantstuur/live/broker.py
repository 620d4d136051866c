"""Live fan-out: journal events to the screens that show them (SSE).

Two backends, one interface (``publish`` / ``subscribe``):

* ``memory`` (SQLite, the demo): an in-process hub. A reaction publishes
  after commit; every open stream in this process gets the message.
* ``postgres``: ``publish`` sends ``pg_notify('klantstuur_live', …)``; one
  listener thread per server process (``LISTEN``, psycopg 3) hands each
  notification to its local hub. Several server processes share one live view.

The backend follows the database unless ``KLANTSTUUR_LIVE_BACKEND`` says
otherwise. Subscribers are asyncio queues of the SSE views; publishing is
thread-safe (it runs in the request's thread, after commit).
"""

import asyncio
import contextlib
import json
import logging
import os
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection

logger = logging.getLogger("klantstuur.live")

PG_CHANNEL = "klantstuur_live"
# pg_notify payloads must stay under 8000 bytes.
MAX_PAYLOAD = 7800
QUEUE_SIZE = 500


@dataclass(eq=False)
class Subscriber:
    channels: frozenset[str]
    loop: asyncio.AbstractEventLoop
    queue: asyncio.Queue[str] = field(default_factory=lambda: asyncio.Queue(QUEUE_SIZE))
    dropped: int = 0

    def offer(self, message: str) -> None:
        try:
            self.queue.put_nowait(message)
        except asyncio.QueueFull:
            # A stuck screen must not hold up the others; it reloads on "overflow".
            self.dropped += 1


class Hub:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_channel: dict[str, set[Subscriber]] = {}

    def subscribe(self, channels: Iterable[str]) -> Subscriber:
        sub = Subscriber(channels=frozenset(channels), loop=asyncio.get_running_loop())
        with self._lock:
            for channel in sub.channels:
                self._by_channel.setdefault(channel, set()).add(sub)
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        with self._lock:
            for channel in sub.channels:
                subs = self._by_channel.get(channel)
                if subs is not None:
                    subs.discard(sub)
                    if not subs:
                        del self._by_channel[channel]

    def deliver(self, channels: Iterable[str], message: str) -> int:
        with self._lock:
            targets: set[Subscriber] = set()
            for channel in channels:
                targets |= self._by_channel.get(channel, set())
        for sub in targets:
            # A stream whose loop is gone unsubscribes itself.
            with contextlib.suppress(RuntimeError):
                sub.loop.call_soon_threadsafe(sub.offer, message)
        return len(targets)

    def count(self) -> int:
        with self._lock:
            return len({s for subs in self._by_channel.values() for s in subs})


hub = Hub()


def backend() -> str:
    chosen = os.environ.get("KLANTSTUUR_LIVE_BACKEND") or getattr(
        settings, "KLANTSTUUR_LIVE_BACKEND", ""
    )
    if chosen in ("memory", "postgres"):
        return chosen
    return "postgres" if connection.vendor == "postgresql" else "memory"


def _envelope(channels: list[str], message: dict[str, Any], body: str) -> str:
    envelope = json.dumps({"c": channels, "m": body}, separators=(",", ":"))
    if len(envelope) > MAX_PAYLOAD:
        keys = ("event", "kind", "code", "order_id", "at", "sent")
        slim = json.dumps({k: message.get(k) for k in keys}, default=str)
        envelope = json.dumps({"c": channels, "m": slim}, separators=(",", ":"))
    return envelope


def publish(channels: list[str], message: dict[str, Any]) -> None:
    """Send one message to every screen on any of ``channels`` (in every process)."""
    publish_many([(channels, message)])


def publish_many(items: list[tuple[list[str], dict[str, Any]]]) -> None:
    """Several messages, in order; on PostgreSQL one statement for them all."""
    items = [(channels, message) for channels, message in items if channels]
    if not items:
        return
    # When it left, right after the commit (a message's ``at`` is taken earlier, inside the
    # writing transaction): where a screen's delay starts (docs/performance-floor.md).
    sent = round(time.time(), 4)
    items = [(channels, {**message, "sent": sent}) for channels, message in items]
    bodies = [json.dumps(message, separators=(",", ":"), default=str) for _c, message in items]
    if backend() == "postgres":
        envelopes = [_envelope(c, m, b) for (c, m), b in zip(items, bodies, strict=True)]
        with connection.cursor() as cursor:
            if len(envelopes) == 1:
                cursor.execute("SELECT pg_notify(%s, %s)", [PG_CHANNEL, envelopes[0]])
            else:
                # WITH ORDINALITY keeps the order the events were committed in.
                cursor.execute(
                    "SELECT pg_notify(%s, e) FROM unnest(%s::text[]) WITH ORDINALITY AS t(e, n)"
                    " ORDER BY n",
                    [PG_CHANNEL, envelopes],
                )
        return
    for (channels, _message), body in zip(items, bodies, strict=True):
        hub.deliver(channels, body)


# --- PostgreSQL: one listener thread per process -------------------------------------

_listener: threading.Thread | None = None
_listener_lock = threading.Lock()
_listening = threading.Event()
_stop = threading.Event()
LISTEN_POLL_SECONDS = 1.0


def _conninfo() -> str:
    """The listener's connection: ``DATABASE_LISTEN_URL`` when set, else the app's database.

    LISTEN keeps a session, so behind PgBouncer in transaction mode the listener
    connects to PostgreSQL directly; ``pg_notify`` goes through the pooler as usual.
    """
    db = settings.DATABASES["default"]
    direct: dict[str, Any] = getattr(settings, "LIVE_LISTEN_DATABASE", None) or {}
    if not direct and settings.DB_POOLER:
        logger.warning("the live listener goes through the pooler: set DATABASE_LISTEN_URL")
    name = direct.get("NAME") or db.get("NAME")
    if not direct.get("NAME") and name and connection.settings_dict.get("NAME"):
        name = connection.settings_dict["NAME"]  # the test database under pytest
    source = direct or db
    parts = {
        "dbname": name,
        "user": source.get("USER"),
        "password": source.get("PASSWORD"),
        "host": source.get("HOST"),
        "port": source.get("PORT"),
    }
    return " ".join(f"{k}={v}" for k, v in parts.items() if v)


def _listen_forever(conninfo: str, stop: threading.Event) -> None:
    import psycopg

    while not stop.is_set():
        try:
            with psycopg.connect(conninfo, autocommit=True) as conn:
                conn.execute(f"LISTEN {PG_CHANNEL}")
                _listening.set()
                while not stop.is_set():
                    # Wake up now and then to notice ``stop_listener``.
                    for note in conn.notifies(timeout=LISTEN_POLL_SECONDS):
                        try:
                            envelope = json.loads(note.payload)
                            hub.deliver(envelope["c"], envelope["m"])
                        except (ValueError, KeyError, TypeError):
                            logger.warning("bad live notification dropped")
        except Exception:
            _listening.clear()
            if stop.is_set():
                break
            logger.exception("live listener lost its connection; retrying")
            stop.wait(1)
    _listening.clear()


def ensure_listener(timeout: float = 5.0) -> None:
    """Start this process's LISTEN thread once (PostgreSQL backend only)."""
    global _listener, _stop
    if backend() != "postgres":
        return
    with _listener_lock:
        if _listener is None or not _listener.is_alive():
            _stop = threading.Event()
            _listener = threading.Thread(
                target=_listen_forever,
                args=(_conninfo(), _stop),
                name="live-listener",
                daemon=True,
            )
            _listener.start()
    _listening.wait(timeout)


def stop_listener(timeout: float = 5.0) -> None:
    """Stop the LISTEN thread and close its connection (tests, before dropping a database)."""
    global _listener
    with _listener_lock:
        thread, _listener = _listener, None
        _stop.set()
    if thread is not None:
        thread.join(timeout)

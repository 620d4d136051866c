"""Reads from a streaming replica; writes, and a client's own fresh writes, on the primary.

Opt-in: only with ``DATABASE_REPLICA_URL`` do the settings add the ``replica`` alias,
this router and the middleware; without it nothing here runs. The rule, in one place
(docs/adr/0009-pgbouncer-and-read-replica.md):

* A read goes to the replica only in a web request with a safe method (GET, HEAD,
  OPTIONS) from a client that has not written in the last ``REPLICA_PIN_SECONDS``.
* Never inside ``transaction.atomic()``: a service reads what it is about to change.
* Never for logins, sessions, tokens or the task queue (``PRIMARY_ONLY``): a stale
  session logs a person out, a stale task row runs twice.
* Never outside a request (worker, sweeps, commands): they act on what they read.
* Every write goes to the primary, and so does every read of a request that writes
  (POST, PUT, PATCH, DELETE); its response pins the client to the primary for
  ``REPLICA_PIN_SECONDS`` with a signed cookie, so what it wrote it reads back.

So the selectors behind timelines, lists and metrics need not opt in one by one: the
pages and API answer them in GET requests, and those read the replica. Hand-written
SQL on ``django.db.connection`` stays on the primary; to move such a read, run it on
``connections[router.db_for_read(Model)]`` (as ``accounts.selectors.token_for_key`` does).
"""

import contextlib
import math
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model
from django.http import HttpRequest, HttpResponse

REPLICA = "replica"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Identity and the queue: read where they were written.
PRIMARY_ONLY = frozenset({"accounts", "auth", "sessions", "contenttypes", "django_tasks_db"})
PIN_COOKIE = "ks_primary"
PIN_SALT = "klantstuur.core.db_router.pin"

# True while a request may read from the replica; False everywhere else.
_replica_reads: ContextVar[bool] = ContextVar("klantstuur_replica_reads", default=False)


@contextlib.contextmanager
def replica_reads(allowed: bool = True) -> Iterator[None]:
    """Reads in this block may go to the replica (the middleware's switch; tests)."""
    token = _replica_reads.set(allowed)
    try:
        yield
    finally:
        _replica_reads.reset(token)


class ReplicaRouter:
    def db_for_read(self, model: type[Model], **hints: Any) -> str:
        if (
            _replica_reads.get()
            and model._meta.app_label not in PRIMARY_ONLY
            and not connections[DEFAULT_DB_ALIAS].in_atomic_block
        ):
            return REPLICA
        # Named, not None: Django would otherwise follow an instance read from the replica.
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model: type[Model], **hints: Any) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool | None:
        # The replica holds the primary's rows: an object from either may refer to the other.
        aliases = {DEFAULT_DB_ALIAS, REPLICA}
        return True if {obj1._state.db, obj2._state.db} <= aliases else None

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == DEFAULT_DB_ALIAS  # a replica follows the primary's schema


def pinned(request: HttpRequest) -> bool:
    """Whether this client wrote within the pin window: the signed cookie names its end
    (to the millisecond; a signature's own timestamp counts whole seconds only)."""
    until = request.get_signed_cookie(PIN_COOKIE, default=None, salt=PIN_SALT)
    try:
        return until is not None and time.time() < float(until)
    except ValueError:
        return False


class ReplicaMiddleware:
    """Lets safe requests of unpinned clients read the replica; pins clients that write."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        writes = request.method not in SAFE_METHODS
        with replica_reads(not writes and not pinned(request)):
            response = self.get_response(request)
        if writes:
            seconds = settings.REPLICA_PIN_SECONDS
            response.set_signed_cookie(
                PIN_COOKIE,
                f"{time.time() + seconds:.3f}",
                salt=PIN_SALT,
                max_age=math.ceil(seconds),
                httponly=True,
                samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE,
            )
        return response

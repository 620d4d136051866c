"""The stored first answers to API writes sent with an ``Idempotency-Key``.

Whose key it is: a token's ``user``, or (user None) another bearer named by ``scope``.

The claim, the write and its kept answer are ONE transaction (the middleware's), so they
commit together or not at all: a request killed after its write committed but before its
answer was kept used to leave a pending claim behind, which the time-out below then handed
to a retry that made the write a second time (benchmarks/fault.py found two needs for one
key). Now a killed request takes its claim with it when PostgreSQL rolls its transaction
back, and the retry runs the write once, at once.

A concurrent retry must not wait for that transaction: on PostgreSQL the claim first
takes a transaction-level advisory lock on the key, and a retry that cannot take it
answers 409 "still being processed" (the lock goes with the transaction, also when its
process dies). Claims left pending by the earlier scheme are taken over once the request
time-out has passed.
"""

import hashlib
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from .models import IdempotencyRecord, User

PENDING = 0


def pending_timeout() -> timedelta:
    """How long a request may run at most (the server's request time-out)."""
    return timedelta(seconds=float(settings.KLANTSTUUR.get("REQUEST_TIMEOUT_SECONDS", 60)))


def record_claim(
    *, user: User | None, scope: str, key: str, method: str, path: str, body_hash: str = ""
) -> IdempotencyRecord | None:
    """Claim the key before the write runs, in the request's transaction; None when it was
    claimed before (a retry) or another request is working on it now."""
    if not _key_lock(user=user, scope=scope, key=key):
        return None
    fields = {"method": method, "path": path, "body_hash": body_hash}
    try:
        with transaction.atomic():
            return IdempotencyRecord.objects.create(
                user=user, scope=scope, key=key, status_code=PENDING, body=b"", **fields
            )
    except IntegrityError:
        pass
    # A claim whose request never answered, older than any request may run: take it over
    # (compare-and-set on its time, so of two retries only one gets it).
    stale = IdempotencyRecord.objects.filter(
        user=user,
        scope=scope,
        key=key,
        status_code=PENDING,
        created_at__lt=timezone.now() - pending_timeout(),
    ).first()
    if stale is None:
        return None
    taken = IdempotencyRecord.objects.filter(
        pk=stale.pk, status_code=PENDING, created_at=stale.created_at
    ).update(created_at=timezone.now(), **fields)
    if not taken:
        return None
    stale.refresh_from_db()
    return stale


def _key_lock(*, user: User | None, scope: str, key: str) -> bool:
    """The key's advisory lock for this transaction (PostgreSQL); False while another
    transaction holds it. Elsewhere (SQLite: one writer at a time) always True."""
    if connection.vendor != "postgresql":
        return True
    if not connection.in_atomic_block:
        raise RuntimeError("An Idempotency-Key is claimed inside the request's transaction.")
    name = f"idempotency\0{user.pk if user else ''}\0{scope}\0{key}".encode()
    lock_id = int.from_bytes(hashlib.sha256(name).digest()[:8], "big", signed=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [lock_id])
        row = cursor.fetchone()
    return bool(row and row[0])


def record_keep(
    *, record: IdempotencyRecord, status_code: int, content_type: str, body: bytes
) -> None:
    IdempotencyRecord.objects.filter(pk=record.pk).update(
        status_code=status_code, content_type=content_type, body=body
    )


def record_of(*, user: User | None, scope: str, key: str) -> IdempotencyRecord | None:
    return IdempotencyRecord.objects.filter(user=user, scope=scope, key=key).first()


def record_forget(*, record: IdempotencyRecord) -> None:
    """A streamed answer is not kept: a retry runs the write again."""
    IdempotencyRecord.objects.filter(pk=record.pk).delete()

"""The stored first answers to API writes sent with an ``Idempotency-Key``.

Whose key it is: a token's ``user``, or (user None) another bearer named by ``scope``.

A claim is written before the write runs and committed on its own, so a concurrent retry
finds it (409 while it runs). A request that dies without an answer (a killed process)
leaves its claim pending; once the request time-out has passed, nobody can still be
working on it, and the next request with that key takes the claim over instead of
meeting a 409 for ever.
"""

from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import IdempotencyRecord, User

PENDING = 0


def pending_timeout() -> timedelta:
    """How long a request may run at most (the server's request time-out)."""
    return timedelta(seconds=float(settings.KLANTSTUUR.get("REQUEST_TIMEOUT_SECONDS", 60)))


def record_claim(
    *, user: User | None, scope: str, key: str, method: str, path: str, body_hash: str = ""
) -> IdempotencyRecord | None:
    """Claim the key before the write runs; None when it was claimed before (a retry)."""
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


def record_keep(
    *, record: IdempotencyRecord, status_code: int, content_type: str, body: bytes
) -> None:
    IdempotencyRecord.objects.filter(pk=record.pk).update(
        status_code=status_code, content_type=content_type, body=body
    )


def record_forget(*, record: IdempotencyRecord) -> None:
    """A failed or streamed answer is not kept: a retry runs the write again."""
    IdempotencyRecord.objects.filter(pk=record.pk).delete()


def record_of(*, user: User | None, scope: str, key: str) -> IdempotencyRecord | None:
    return IdempotencyRecord.objects.filter(user=user, scope=scope, key=key).first()

"""The stored first answers to API writes sent with an ``Idempotency-Key``.

Whose key it is: a token's ``user``, or (user None) another bearer named by ``scope``.
"""

from django.db import IntegrityError, transaction

from .models import IdempotencyRecord, User

PENDING = 0


def record_claim(
    *, user: User | None, scope: str, key: str, method: str, path: str
) -> IdempotencyRecord | None:
    """Claim the key before the write runs; None when it was claimed before (a retry)."""
    try:
        with transaction.atomic():
            return IdempotencyRecord.objects.create(
                user=user,
                scope=scope,
                key=key,
                method=method,
                path=path,
                status_code=PENDING,
                body=b"",
            )
    except IntegrityError:
        return None


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

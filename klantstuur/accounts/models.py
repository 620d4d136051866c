"""Who is acting: users (staff or customer), API tokens, idempotent retries."""

import hashlib
import secrets

from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """A login. Exactly one of ``staff_member`` or ``customer`` hangs off it.

    Staff log in with their e-mail address as username and a password;
    customers by magic link (one user per customer record, so a person known
    to two businesses has two, each seeing only that business's records).
    """

    language = models.CharField(max_length=8, blank=True, default="")


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class TokenScope(models.TextChoices):
    READ = "read", "read"  # reads only: any write is refused (403)
    WRITE = "write", "write"  # everything its user may do


class ApiToken(models.Model):
    """A bearer token; only its hash is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True, default="")
    prefix = models.CharField(max_length=12)
    key_hash = models.CharField(max_length=64, unique=True)
    scope = models.CharField(max_length=5, choices=TokenScope.choices, default=TokenScope.WRITE)
    created_at = models.DateTimeField(auto_now_add=True)
    # Written at most once a minute (accounts.services.token_touch), shown to its owner.
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @staticmethod
    def new_key() -> str:
        return "ks_" + secrets.token_urlsafe(32)

    @staticmethod
    def hash_key(key: str) -> str:
        return _hash(key)


class IdempotencyRecord(models.Model):
    """The first answer to a write sent with an ``Idempotency-Key``."""

    # Whose retry this is: a token's user, or (user empty) another bearer such as a
    # restaurant party's guest link, named by ``scope`` ("guest:<party id>").
    user = models.ForeignKey(User, on_delete=models.CASCADE, null=True, blank=True)
    scope = models.CharField(max_length=80, blank=True, default="")
    key = models.CharField(max_length=200)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    status_code = models.PositiveSmallIntegerField()
    # SHA-256 of the request body: the same key with another body is refused (422).
    body_hash = models.CharField(max_length=64, blank=True, default="")
    content_type = models.CharField(max_length=100, default="application/json")
    body = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_per_user"),
            models.UniqueConstraint(
                fields=["scope", "key"],
                condition=models.Q(user__isnull=True),
                name="idempotency_key_per_scope",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.path} [{self.key}]"

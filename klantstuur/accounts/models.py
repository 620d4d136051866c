"""Who is acting: users (staff or customer), API tokens, idempotent retries."""

import hashlib
import secrets
from typing import Any

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


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def for_key(self, key: str) -> "ApiToken | None":
        """The token, its user and whichever of staff/customer it is, with the business.

        Every API request runs this, so it is one statement written once (from the
        models' own columns, so it follows them) instead of an ORM query compiled
        per request: the compilation of the five-table select_related cost more
        than the rest of a simple request.
        """
        from django.db import connections

        sql, layout = _token_lookup()
        connection = connections[self.db]
        with connection.cursor() as cursor:
            cursor.execute(sql, [_hash(key)])
            row = cursor.fetchone()
        if row is None:
            return None
        made: list[models.Model | None] = []
        start = 0
        for model, attnames in layout:
            # The backend's own conversions, as the ORM applies them: on SQLite a raw row
            # holds naive datetimes and 0/1 for booleans (an API time without its offset).
            values = [
                _converted(model, name, value, connection)
                for name, value in zip(attnames, row[start : start + len(attnames)], strict=True)
            ]
            start += len(attnames)
            # The staff or customer part of the row is all NULL for the other kind.
            made.append(None if values[0] is None else model.from_db(self.db, attnames, values))
        token, user, staff, customer, business = made
        assert isinstance(token, ApiToken) and isinstance(user, User)
        token.user = user
        for person, name in ((staff, "staff_member"), (customer, "customer")):
            # Cache the reverse one-to-one either way, so a miss costs no query.
            getattr(User, name).related.set_cached_value(user, person)
            if person is not None:
                person.user = user  # type: ignore[attr-defined]
                person.business = business  # type: ignore[attr-defined]
        return token


_CONVERTERS: dict[tuple[str, type[models.Model], str], tuple[Any, list[Any]]] = {}


def _converted(model: type[models.Model], attname: str, value: Any, connection: Any) -> Any:
    if value is None:
        return None
    known = _CONVERTERS.get((connection.alias, model, attname))
    if known is None:
        field = next(f for f in model._meta.concrete_fields if f.attname == attname)
        col = field.get_col(model._meta.db_table)
        known = (col, connection.ops.get_db_converters(col) + field.get_db_converters(connection))
        _CONVERTERS[(connection.alias, model, attname)] = known
    col, converters = known
    for convert in converters:
        value = convert(value, col, connection)
    return value


_TOKEN_LOOKUP: tuple[str, list[tuple[type[models.Model], list[str]]]] | None = None


def _token_lookup() -> tuple[str, list[tuple[type[models.Model], list[str]]]]:
    global _TOKEN_LOOKUP
    if _TOKEN_LOOKUP is None:
        from klantstuur.businesses.models import Business, StaffMember
        from klantstuur.customers.models import Customer

        parts: list[tuple[type[models.Model], str]] = [
            (ApiToken, "t"),
            (User, "u"),
            (StaffMember, "s"),
            (Customer, "c"),
            (Business, "b"),
        ]
        from klantstuur.core.queries import columns

        layout = [(model, [f.attname for f in model._meta.concrete_fields]) for model, _ in parts]
        # Only identifiers from the models' metadata are interpolated; the key is a parameter.
        sql = (
            f"SELECT {', '.join(columns(model, alias) for model, alias in parts)}"  # noqa: S608
            f' FROM "{ApiToken._meta.db_table}" t'
            f' JOIN "{User._meta.db_table}" u ON u."id" = t."user_id"'
            f' LEFT JOIN "{StaffMember._meta.db_table}" s ON s."user_id" = u."id"'
            f' LEFT JOIN "{Customer._meta.db_table}" c ON c."user_id" = u."id"'
            f' LEFT JOIN "{Business._meta.db_table}" b'
            ' ON b."id" = COALESCE(s."business_id", c."business_id")'
            ' WHERE t."key_hash" = %s'
        )
        _TOKEN_LOOKUP = (sql, layout)
    return _TOKEN_LOOKUP


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

    objects = ApiTokenQuerySet.as_manager()

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

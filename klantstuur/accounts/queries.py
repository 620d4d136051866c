"""Accounts' SQL written by hand, beside the rule it encodes in Python (the ORM).

Every API request looks its bearer token up. The rule is ``token_for_hash_rule``: the
token with its user, the user's staff member or customer, and that one's business. The
ORM's five-table ``select_related`` cost more to compile than the rest of a simple
request, so the same lookup is one statement built once from the models' own columns
(it follows them) and turned back into model instances with the backend's converters.
tests/accounts/test_queries.py holds the two to the same answer.
"""

from typing import Any

from django.db import connections, models
from django.db.models import Q

from klantstuur.businesses.models import Business, StaffMember
from klantstuur.core.queries import columns
from klantstuur.customers.models import Customer

from .models import ApiToken, User


def token_for_hash_rule(key_hash: str) -> ApiToken | None:
    """The rule: the token of this hash, its user, their staff member or customer, and
    the business of whichever they are."""
    token = (
        ApiToken.objects.select_related(
            "user", "user__staff_member__business", "user__customer__business"
        )
        .filter(Q(key_hash=key_hash))
        .first()
    )
    return token


_PARTS: list[tuple[type[models.Model], str]] = [
    (ApiToken, "t"),
    (User, "u"),
    (StaffMember, "s"),
    (Customer, "c"),
    (Business, "b"),
]
LAYOUT = [(model, [f.attname for f in model._meta.concrete_fields]) for model, _a in _PARTS]
# Only identifiers from the models' metadata are interpolated; the hash is a parameter.
TOKEN_FOR_HASH = (
    f"SELECT {', '.join(columns(model, alias) for model, alias in _PARTS)}"  # noqa: S608
    f' FROM "{ApiToken._meta.db_table}" t'
    f' JOIN "{User._meta.db_table}" u ON u."id" = t."user_id"'
    f' LEFT JOIN "{StaffMember._meta.db_table}" s ON s."user_id" = u."id"'
    f' LEFT JOIN "{Customer._meta.db_table}" c ON c."user_id" = u."id"'
    f' LEFT JOIN "{Business._meta.db_table}" b'
    ' ON b."id" = COALESCE(s."business_id", c."business_id")'
    ' WHERE t."key_hash" = %s'
)


def token_for_hash(key_hash: str, *, using: str) -> ApiToken | None:
    """The same lookup as ``token_for_hash_rule``, in one statement on ``using``."""
    connection = connections[using]
    with connection.cursor() as cursor:
        cursor.execute(TOKEN_FOR_HASH, [key_hash])
        row = cursor.fetchone()
    if row is None:
        return None
    made: list[models.Model | None] = []
    start = 0
    for model, attnames in LAYOUT:
        # The backend's own conversions, as the ORM applies them: on SQLite a raw row
        # holds naive datetimes and 0/1 for booleans (an API time without its offset).
        values = [
            _converted(model, name, value, connection)
            for name, value in zip(attnames, row[start : start + len(attnames)], strict=True)
        ]
        start += len(attnames)
        # The staff or customer part of the row is all NULL for the other kind.
        made.append(None if values[0] is None else model.from_db(using, attnames, values))
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

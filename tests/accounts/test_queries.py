"""The bearer-token lookup written by hand answers as the rule it encodes
(accounts/queries.py): the same token, user, staff member or customer and business,
with the same values field by field (times with their offset, booleans as booleans)."""

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS, models
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from klantstuur.accounts.models import ApiToken
from klantstuur.accounts.queries import token_for_hash, token_for_hash_rule
from klantstuur.accounts.services import customer_user, token_create
from tests.conftest import World

pytestmark = pytest.mark.django_db


def _fields(obj: models.Model | None) -> dict[str, Any] | None:
    if obj is None:
        return None
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def _related(user: Any, name: str) -> Any:
    try:
        return getattr(user, name)
    except models.ObjectDoesNotExist:
        return None


def _agree(key_hash: str) -> ApiToken | None:
    by_sql = token_for_hash(key_hash, using=DEFAULT_DB_ALIAS)
    by_rule = token_for_hash_rule(key_hash)
    assert _fields(by_sql) == _fields(by_rule)
    if by_sql is None or by_rule is None:
        return by_sql
    assert _fields(by_sql.user) == _fields(by_rule.user)
    for name in ("staff_member", "customer"):
        sql_person, rule_person = _related(by_sql.user, name), _related(by_rule.user, name)
        assert _fields(sql_person) == _fields(rule_person)
        if sql_person is not None:
            assert _fields(sql_person.business) == _fields(rule_person.business)
    return by_sql


def _holders(world: World) -> list[Any]:
    bare = get_user_model().objects.create(username="no-one", email="")
    return [
        world.owner.user,
        world.carrier.user,
        world.stranger.user,
        customer_user(customer=world.customer_a),
        customer_user(customer=world.customer_y),
        bare,
    ]


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    picks=st.lists(st.tuples(st.integers(0, 5), st.sampled_from(["read", "write"])), max_size=6),
    used=st.booleans(),
    stranger_key=st.text(min_size=1, max_size=40),
)
def test_the_lookup_is_the_same_by_sql_and_by_rule(
    world: World, picks: list[tuple[int, str]], used: bool, stranger_key: str
) -> None:
    ApiToken.objects.all().delete()
    get_user_model().objects.filter(username="no-one").delete()
    holders = _holders(world)
    made = [token_create(user=holders[i], scope=scope) for i, scope in picks]
    if used and made:
        ApiToken.objects.filter(pk=made[0][0].pk).update(last_used_at=timezone.now())
    for token, key in made:
        found = _agree(ApiToken.hash_key(key))
        assert found is not None and found.pk == token.pk
        assert found.last_used_at is None or found.last_used_at.utcoffset() is not None
    assert _agree(ApiToken.hash_key(stranger_key + "-not-a-key")) is None


def test_a_staff_token_costs_one_query(world: World, django_assert_num_queries: Any) -> None:
    _token, key = token_create(user=world.owner.user)
    with django_assert_num_queries(1):
        found = token_for_hash(ApiToken.hash_key(key), using=DEFAULT_DB_ALIAS)
        assert found is not None
        assert found.user.staff_member.business.slug == "x"
        assert _related(found.user, "customer") is None

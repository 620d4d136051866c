"""The customer lookup written by hand answers as the rule it encodes
(customers/queries.py): the same customer, field by field, or nobody."""

from typing import Any

import pytest
from django.db import models
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from klantstuur.core.queries import MAX_ID
from klantstuur.customers.queries import customer_of_business, customer_of_business_rule
from tests.conftest import World

pytestmark = pytest.mark.django_db


def _fields(obj: models.Model | None) -> dict[str, Any] | None:
    if obj is None:
        return None
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(offset=st.integers(-3, 3), pick=st.integers(0, 2), other_business=st.booleans())
def test_the_lookup_is_the_same_by_sql_and_by_rule(
    world: World, offset: int, pick: int, other_business: bool
) -> None:
    customer = [world.customer_a, world.customer_b, world.customer_y][pick]
    business = world.y if other_business else world.x
    customer_id = customer.pk + offset
    by_sql = customer_of_business(customer_id, business.pk)
    assert _fields(by_sql) == _fields(customer_of_business_rule(customer_id, business.pk))
    if offset == 0:
        assert (by_sql is not None) == (customer.business_id == business.pk)


@pytest.mark.parametrize("customer_id", [0, -1, MAX_ID + 1, 2**80])
def test_an_id_no_key_can_hold_is_nobody(world: World, customer_id: int) -> None:
    assert customer_of_business(customer_id, world.x.pk) is None

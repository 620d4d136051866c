"""Needs' hand-written SQL answers as the rule it encodes (needs/queries.py)."""

from datetime import timedelta
from typing import Any

from django.utils import timezone

from klantstuur.businesses.models import StaffMember
from klantstuur.needs.models import Need
from klantstuur.needs.queries import continuing_owner, continuing_owner_rule
from tests.helpers import open_need


def _agree(customer: Any) -> StaffMember | None:
    by_sql = continuing_owner(customer)
    by_rule = continuing_owner_rule(customer)
    assert by_sql == by_rule
    return by_sql


def test_the_continuing_owner_is_the_same_by_sql_and_by_rule(world: Any) -> None:
    customer = world.customer_a
    assert _agree(customer) is None  # no need yet
    need = open_need(customer)
    assert _agree(customer) == world.owner
    # Off duty: nobody continues.
    StaffMember.objects.filter(pk=world.owner.pk).update(on_duty=False)
    assert _agree(customer) is None
    StaffMember.objects.filter(pk=world.owner.pk).update(on_duty=True)
    # The latest need decides; at the same moment, the highest id.
    later = need.created_at + timedelta(minutes=1)
    other = Need.objects.create(
        business=world.x,
        customer=customer,
        kind="question",
        summary="Another",
        owner=world.colleague,
        created_at=later,
        updated_at=later,
    )
    assert _agree(customer) == world.colleague
    Need.objects.filter(pk=other.pk).update(created_at=need.created_at)
    assert _agree(customer) == world.colleague
    Need.objects.filter(pk=other.pk).update(created_at=timezone.now() - timedelta(days=1))
    assert _agree(customer) == world.owner
    # Not frontline (a kitchen colleague who owned a table's need): nobody continues.
    Need.objects.filter(pk=need.pk).update(owner=world.kitchen)
    assert _agree(customer) is None
    # Another customer's needs are not this customer's history.
    assert _agree(world.customer_b) is None

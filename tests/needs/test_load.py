"""Each colleague's active load kept as a counter (needs.load): every step that opens a
need, moves it into or out of the active statuses, or hands it over, keeps
``StaffMember.active_needs`` equal to the count of that colleague's active needs."""

import importlib
from datetime import timedelta
from typing import Any

import pytest
from django.apps import apps
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from klantstuur.businesses.models import StaffMember
from klantstuur.businesses.services import business_create, staff_set_on_duty
from klantstuur.core.errors import DomainError
from klantstuur.customers.services import customer_create
from klantstuur.floor.services import party_leave, party_seat, section_create, table_create
from klantstuur.needs import services
from klantstuur.needs.load import active_needs_counted, active_needs_recount
from klantstuur.needs.models import Need, NeedStatus
from klantstuur.needs.queries import least_loaded_owner, least_loaded_owner_rule
from tests.helpers import open_need


def _load(*staff: StaffMember) -> list[int]:
    """The counters as stored, in the order asked."""
    kept = dict(StaffMember.objects.values_list("pk", "active_needs"))
    return [kept[s.pk] for s in staff]


def _agrees() -> None:
    kept = dict(StaffMember.objects.values_list("pk", "active_needs"))
    assert kept == active_needs_counted(kept)


def _propose(world: Any, need: Need) -> Need:
    return services.resolution_propose(staff=need.owner, need=need, summary="Sent again")


def _move(need: Need, to: StaffMember) -> Need:
    offer = services.handoff_offer(staff=need.owner, need=need, to_staff=to, reason="yours")
    return services.handoff_accept(staff=to, handoff=offer)


# --- each step, exactly ----------------------------------------------------------------


def test_opening_adds_one_to_the_owner(world: Any) -> None:
    assert _load(world.owner, world.colleague) == [0, 0]
    need = open_need(world.customer_a)
    assert need.owner_id == world.owner.pk
    assert _load(world.owner, world.colleague) == [1, 0]


def test_a_proposal_keeps_the_load_and_confirming_it_takes_one_off(world: Any) -> None:
    need = _propose(world, open_need(world.customer_a))
    assert need.status == NeedStatus.AWAITING_CUSTOMER
    assert _load(world.owner) == [1]
    services.resolution_confirm(customer=world.customer_a, need=need)
    assert _load(world.owner) == [0]


def test_the_quiet_period_confirming_takes_one_off(world: Any) -> None:
    need = _propose(world, open_need(world.customer_a))
    assert need.autoconfirm_at is not None
    assert services.resolutions_autoconfirm(now=need.autoconfirm_at + timedelta(seconds=1)) == 1
    assert _load(world.owner) == [0]


def test_reopening_a_proposal_keeps_the_load_and_reopening_a_solved_need_adds_one(
    world: Any,
) -> None:
    need = _propose(world, open_need(world.customer_a))
    services.need_reopen(customer=world.customer_a, need=need, reason="Not yet")
    assert _load(world.owner) == [1]
    need = _propose(world, need)
    services.resolution_confirm(customer=world.customer_a, need=need)
    assert _load(world.owner) == [0]
    services.need_reopen(customer=world.customer_a, need=need, reason="Broke again")
    assert _load(world.owner) == [1]


@pytest.mark.parametrize("proposed", [False, True])
def test_cancelling_takes_one_off(world: Any, proposed: bool) -> None:
    need = open_need(world.customer_a)
    if proposed:
        need = _propose(world, need)
    services.need_cancel(customer=world.customer_a, need=need)
    assert _load(world.owner) == [0]


def test_an_accepted_handoff_moves_one_and_a_declined_one_moves_none(world: Any) -> None:
    need = open_need(world.customer_a)
    offer = services.handoff_offer(
        staff=world.owner, need=need, to_staff=world.colleague, reason="yours"
    )
    services.handoff_decline(staff=world.colleague, handoff=offer, reason="busy")
    assert _load(world.owner, world.colleague) == [1, 0]
    _move(need, world.colleague)
    assert _load(world.owner, world.colleague) == [0, 1]


def test_a_refused_step_leaves_the_counters_alone(world: Any) -> None:
    need = open_need(world.customer_a)
    with pytest.raises(DomainError):
        services.resolution_confirm(customer=world.customer_a, need=need)  # not proposed
    assert _load(world.owner) == [1]


def test_seating_a_party_adds_one_to_the_host_and_leaving_keeps_it_until_confirmed(
    world: Any,
) -> None:
    table = table_create(
        section=section_create(business=world.x, name="Terras", host=world.colleague),
        number="7",
        seats=4,
    )
    party = party_seat(business=world.x, table=table, seats=2, actor_staff=world.colleague)
    assert _load(world.owner, world.colleague) == [0, 1]
    party_leave(staff=world.colleague, party=party)  # proposes on behalf: still active
    assert Need.objects.get(pk=party.need_id).status == NeedStatus.AWAITING_CUSTOMER
    assert _load(world.colleague) == [1]


# --- choosing the owner reads the counter ------------------------------------------------


def test_the_least_loaded_colleague_is_the_one_with_the_lowest_counter(world: Any) -> None:
    staff_set_on_duty(staff=world.lead, on_duty=False)
    StaffMember.objects.filter(pk=world.owner.pk).update(active_needs=5)
    StaffMember.objects.filter(pk=world.colleague.pk).update(active_needs=4)
    fresh = customer_create(business=world.x, name="Fresh")
    assert services.pick_owner(customer=fresh) == world.colleague
    StaffMember.objects.filter(pk=world.colleague.pk).update(active_needs=6)
    assert services.pick_owner(customer=fresh) == world.owner
    # Managers last, whatever their load; off duty after everyone on duty.
    StaffMember.objects.filter(pk__in=[world.owner.pk, world.colleague.pk]).update(active_needs=10)
    StaffMember.objects.filter(pk=world.lead.pk).update(active_needs=0)
    assert services.pick_owner(customer=fresh) == world.owner


@pytest.mark.parametrize(
    "loads",
    [
        {"owner": 0, "colleague": 0, "lead": 0, "manager": 0},
        {"owner": 3, "colleague": 1, "lead": 1, "manager": 0},
        {"owner": 9, "colleague": 9, "lead": 9, "manager": 0},
    ],
)
@pytest.mark.parametrize("off_duty", [(), ("owner",), ("owner", "colleague", "lead", "manager")])
def test_the_least_loaded_owner_is_the_same_by_sql_and_by_rule(
    world: Any, loads: dict[str, int], off_duty: tuple[str, ...]
) -> None:
    for name, load in loads.items():
        StaffMember.objects.filter(pk=getattr(world, name).pk).update(active_needs=load)
    for name in off_duty:
        staff_set_on_duty(staff=getattr(world, name), on_duty=False)
    by_sql = least_loaded_owner(world.x.pk)
    assert by_sql == least_loaded_owner_rule(world.x.pk)
    assert by_sql is not None and by_sql.role != "kitchen"


def test_a_business_without_frontline_staff_has_no_least_loaded_owner(world: Any) -> None:
    empty = business_create(slug="empty", name="Empty")
    assert least_loaded_owner(empty.pk) is None
    assert least_loaded_owner_rule(empty.pk) is None


# --- the repair and the migration's fill -------------------------------------------------


def test_the_recount_sets_wrong_counters_right_and_says_how_many(world: Any) -> None:
    open_need(world.customer_a)
    assert open_need(world.customer_b).owner_id == world.colleague.pk  # least loaded
    StaffMember.objects.filter(pk__in=[world.owner.pk, world.lead.pk]).update(active_needs=9)
    assert active_needs_recount([world.x.pk]) == 2
    assert _load(world.owner, world.colleague, world.lead) == [1, 1, 0]
    assert active_needs_recount() == 0
    _agrees()


def test_the_migration_fills_the_counters_from_the_needs(world: Any) -> None:
    open_need(world.customer_a)
    open_need(world.customer_a)
    done = _propose(world, open_need(world.customer_b))
    services.resolution_confirm(customer=world.customer_b, need=done)
    StaffMember.objects.update(active_needs=0)
    migration = importlib.import_module("klantstuur.needs.migrations.0005_active_load")
    migration.fill_active_needs(apps, None)
    assert _load(world.owner, world.colleague) == [2, 0]
    _agrees()


# --- any sequence of steps ---------------------------------------------------------------

STEPS = st.lists(
    st.tuples(
        st.sampled_from(
            ["open", "propose", "confirm", "reopen", "cancel", "handoff", "autoconfirm"]
        ),
        st.integers(0, 3),  # which need (or customer, when opening)
        st.integers(0, 3),  # which colleague
    ),
    min_size=1,
    max_size=20,
)


def _step(world: Any, action: str, which: int, who: int, customers: list[Any]) -> None:
    colleagues = [world.owner, world.colleague, world.lead, world.kitchen]
    needs = list(Need.objects.filter(business=world.x).order_by("pk"))
    if action == "open" or not needs:
        open_need(customers[which % len(customers)])
        return
    need = needs[which % len(needs)]
    customer = need.customer
    if action == "propose":
        services.resolution_propose(staff=need.owner, need=need, summary="Done")
    elif action == "confirm":
        services.resolution_confirm(customer=customer, need=need)
    elif action == "reopen":
        services.need_reopen(customer=customer, need=need, reason="Again")
    elif action == "cancel":
        services.need_cancel(customer=customer, need=need)
    elif action == "handoff":
        _move(need, colleagues[who])
    else:
        services.resolutions_autoconfirm(now=need.updated_at + timedelta(days=30))


@pytest.mark.django_db(transaction=False)
@settings(
    max_examples=40,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=STEPS)
def test_the_counters_equal_the_real_count_after_every_step(world: Any, steps: Any) -> None:
    with transaction.atomic():  # each example rolled back
        customers = [world.customer_a, world.customer_b]
        for action, which, who in steps:
            try:
                with transaction.atomic():
                    _step(world, action, which, who, customers)
            except DomainError:
                pass
            _agrees()
        transaction.set_rollback(True)

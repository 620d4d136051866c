# ruff: noqa: F811  (pytest fixtures shared from tests/delivery/test_api.py)
"""Standing instructions: the documented set, carried out on the journal's events."""

from datetime import timedelta
from typing import Any

import pytest

from klantstuur.delivery.instructions.late import late_rules
from klantstuur.delivery.instructions.models import InstructionRun, StandingInstruction
from klantstuur.delivery.models import Delivery
from klantstuur.needs.models import EventKind, JournalEvent, Remedy
from klantstuur.orders.models import Order
from tests.conftest import World
from tests.delivery.test_api import API, _order, at, commits, shop, tomorrow  # noqa: F401
from tests.helpers import assert_error


@pytest.fixture(autouse=True)
def _english(settings: Any) -> None:
    """These tests read English texts written by the services; Dutch is the default."""
    settings.LANGUAGE_CODE = "en"


def test_the_customer_sets_lists_and_removes_instructions(
    world: World, api: Any, shop: dict[str, Any]
) -> None:
    me = api(world.customer_a)
    r = me.post(
        f"{API}/me/instructions",
        {
            "condition": "not_at_home",
            "action": "leave_with_neighbour",
            "params": {"house_number": "14", "name": "Jansen"},
        },
    )
    assert r.status_code == 201, r.content
    assert "14" in r.json()["text"]
    assert me.get(f"{API}/me/instructions").json()["count"] == 1
    assert api(world.customer_b).get(f"{API}/me/instructions").json()["count"] == 0
    assert_error(api(world.customer_b).delete(f"{API}/me/instructions/{r.json()['id']}"), 404)
    assert StandingInstruction.objects.get().active
    assert me.delete(f"{API}/me/instructions/{r.json()['id']}").status_code == 204
    assert me.get(f"{API}/me/instructions").json()["count"] == 0
    assert JournalEvent.objects.filter(kind=EventKind.INSTRUCTION_CHANGED).count() == 2


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"condition": "whenever", "action": "contact"}, "condition"),
        ({"condition": "always", "action": "fly"}, "action"),
        ({"condition": "always", "action": "cancel_and_refund"}, "condition"),
        ({"condition": "late", "action": "cancel_and_refund"}, "hours"),
        ({"condition": "late", "hours": 0, "action": "cancel_and_refund"}, "hours"),
        (
            {
                "condition": "attempt_failed",
                "action": "deliver_to_pickup_point",
                "params": {"pickup_point": "nope"},
            },
            "params.pickup_point",
        ),
        (
            {"condition": "not_at_home", "action": "leave_with_neighbour", "params": {"name": "J"}},
            "params.house_number",
        ),
        (
            {"condition": "always", "action": "contact", "params": {"channel": "pigeon"}},
            "params.channel",
        ),
    ],
)
def test_it_refuses_instructions_outside_the_documented_set(
    world: World, api: Any, shop: dict[str, Any], body: dict[str, Any], field: str
) -> None:
    assert_error(api(world.customer_a).post(f"{API}/me/instructions", body), 422, field)
    assert StandingInstruction.objects.count() == 0
    assert_error(
        api(world.owner).post(
            f"{API}/me/instructions",
            {"condition": "always", "action": "contact", "params": {"channel": "email"}},
        ),
        403,
    )


def test_not_at_home_leaves_it_with_the_neighbour_done_for_you(
    world: World, api: Any, shop: dict[str, Any], commits: Any
) -> None:
    api(world.customer_a).post(
        f"{API}/me/instructions",
        {
            "condition": "not_at_home",
            "action": "leave_with_neighbour",
            "params": {"house_number": "14", "name": "Jansen"},
        },
    )
    order = _order(api, world, shop)
    with commits():
        api(world.carrier).post(
            f"{API}/carrier/events",
            {"order_id": order.pk, "status": "attempt_failed", "reason": "not_at_home"},
        )
    d = Delivery.objects.get(order=order)
    assert d.place_kind == "neighbour" and d.promised_place["house_number"] == "14"
    assert d.status == "scheduled" and not d.needs_choice
    done = JournalEvent.objects.get(kind=EventKind.INSTRUCTION_CARRIED_OUT)
    assert done.visible_to_customer and "Jansen" in done.data["because"]
    alert = JournalEvent.objects.get(kind=EventKind.ALERT)
    assert alert.data["choices"] == [] and alert.data["done_for_you"]
    # the same trigger never runs twice
    assert InstructionRun.objects.count() == 1


def test_late_by_n_hours_cancels_and_refunds_within_the_owners_authority(
    world: World, api: Any, shop: dict[str, Any]
) -> None:
    api(world.customer_a).post(
        f"{API}/me/instructions", {"condition": "late", "hours": 24, "action": "cancel_and_refund"}
    )
    order = _order(api, world, shop)
    day = tomorrow()
    late_rules(at(day, 21) + timedelta(hours=23))
    assert Order.objects.get(pk=order.pk).status == "placed"
    assert late_rules(at(day, 21) + timedelta(hours=25)) == 1
    assert late_rules(at(day, 21) + timedelta(hours=26)) == 0
    assert Order.objects.get(pk=order.pk).status == "cancelled"
    assert Delivery.objects.get(order=order).status == "cancelled"
    refund = Remedy.objects.get()
    assert (refund.kind, refund.amount_cents, refund.granted_by_id) == (
        "refund",
        1995,
        order.need.owner_id,
    )
    done = JournalEvent.objects.get(kind=EventKind.INSTRUCTION_CARRIED_OUT)
    assert "refunded" in done.data["result"]

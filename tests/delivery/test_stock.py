# ruff: noqa: F811  (pytest fixtures shared from tests/delivery/test_api.py)
"""Out of stock (orders.stock) and cancelling (orders.cancel): the customer's rule decides."""

from typing import Any

from klantstuur.delivery.instructions.models import InstructionRun
from klantstuur.delivery.models import Delivery, SlotLoad
from klantstuur.needs.models import EventKind, JournalEvent, Remedy
from klantstuur.orders.cancel import order_cancel
from klantstuur.orders.models import Checkpoint, Order, OrderLine
from tests.conftest import World
from tests.delivery.test_api import API, _order, commits, shop, tomorrow  # noqa: F401
from tests.helpers import assert_error, snapshot


def _rule(api: Any, world: World, action: str, **params: Any) -> None:
    r = api(world.customer_a).post(
        f"{API}/me/instructions", {"condition": "out_of_stock", "action": action, "params": params}
    )
    assert r.status_code == 201, r.content


def _report(api: Any, who: Any, line: OrderLine, **body: Any) -> Any:
    return api(who).post(f"{API}/order-lines/{line.pk}/out-of-stock", body)


def test_it_cancels_and_refunds_when_the_customer_wants_no_substitutes(
    world: World, api: Any, shop: dict[str, Any], commits: Any
) -> None:
    order = _order(api, world, shop)
    _rule(api, world, "substitutes", policy="none")
    line = order.lines.get()
    with commits():
        r = _report(api, world.owner, line, note="Leverancier leeg")
    assert r.status_code == 201, r.content
    assert r.json()["checkpoint"]["code"] == "exception"
    order.refresh_from_db()
    assert order.status == "cancelled"
    assert OrderLine.objects.get(pk=line.pk).status == "cancelled"
    assert list(order.checkpoints.values_list("code", flat=True)) == [
        "order_received",
        "exception",
        "cancelled",
    ]
    cp = Checkpoint.objects.get(order=order, code="exception")
    assert cp.line_id == line.pk and cp.event.data["reason"] == "out_of_stock"
    assert Delivery.objects.get(order=order).status == "cancelled"
    assert SlotLoad.objects.get(key=f"w{shop['evening'].pk}", date=tomorrow()).booked == 0
    remedy = Remedy.objects.get()
    assert (remedy.kind, remedy.amount_cents, remedy.granted_by_id) == (
        "refund",
        1995,
        world.owner.pk,
    )
    assert InstructionRun.objects.count() == 1
    alert = JournalEvent.objects.get(kind=EventKind.ALERT)
    assert alert.data["detail"] == "out_of_stock" and alert.data["choices"] == []
    assert len(alert.data["done_for_you"]) == 1


def test_a_similar_item_is_a_note_to_the_owner_and_the_order_stays(
    world: World, api: Any, shop: dict[str, Any], commits: Any
) -> None:
    order = _order(api, world, shop)
    _rule(api, world, "substitutes", policy="similar")
    with commits():
        assert _report(api, world.colleague, order.lines.get()).status_code == 201
    order.refresh_from_db()
    assert order.status == "placed"
    assert Remedy.objects.count() == 0
    note = JournalEvent.objects.get(kind=EventKind.INTERNAL_NOTE)
    assert note.need_id == order.need_id and not note.visible_to_customer
    assert JournalEvent.objects.filter(kind=EventKind.INSTRUCTION_CARRIED_OUT).count() == 1


def test_without_a_rule_the_owner_takes_it_up_and_the_customer_is_told(
    world: World, api: Any, shop: dict[str, Any], commits: Any
) -> None:
    order = _order(api, world, shop)
    with commits():
        assert _report(api, world.owner, order.lines.get()).status_code == 201
    alert = JournalEvent.objects.get(kind=EventKind.ALERT)
    assert alert.visible_to_customer and alert.data["owner"]["name"] == "Olga Owner"
    assert alert.data["done_for_you"] == [] and alert.data["choices"] == []
    assert Order.objects.get(pk=order.pk).status == "placed"


def test_out_of_stock_refusals_change_nothing(world: World, api: Any, shop: dict[str, Any]) -> None:
    order = _order(api, world, shop)
    _rule(api, world, "cancel_and_refund")
    line = order.lines.get()
    before = (snapshot(), Checkpoint.objects.count(), list(OrderLine.objects.values("status")))
    assert_error(_report(api, world.stranger, line), 404)  # another business
    assert_error(_report(api, world.customer_a, line), 403)  # a customer
    assert_error(_report(api, world.carrier, line), 403)  # a carrier account
    assert_error(api(world.owner).post(f"{API}/order-lines/999999/out-of-stock", {}), 404)
    assert_error(api(world.owner).post(f"{API}/order-lines/0/out-of-stock", {}), 404)
    assert_error(_report(api, world.owner, line, note="x" * 501), 422, "note")
    assert_error(_report(api, world.owner, line, note=5), 422, "note")
    assert (
        snapshot(),
        Checkpoint.objects.count(),
        list(OrderLine.objects.values("status")),
    ) == before
    assert _report(api, world.owner, line).status_code == 201
    after = snapshot(), Checkpoint.objects.count()
    assert_error(_report(api, world.owner, line), 409, "line_id")  # already out of stock
    assert (snapshot(), Checkpoint.objects.count()) == after


def test_order_cancel_is_journaled_frees_the_slot_and_runs_once(
    world: World, api: Any, shop: dict[str, Any]
) -> None:
    order = _order(api, world, shop)
    key = f"w{shop['evening'].pk}"
    assert SlotLoad.objects.get(key=key, date=tomorrow()).booked == 1
    done = order_cancel(order=order, reason="Customer called", actor_staff=world.owner)
    assert done.status == "cancelled"
    cp = Checkpoint.objects.get(order=order, code="cancelled")
    assert cp.event.actor_staff_id == world.owner.pk and cp.note == "Customer called"
    assert SlotLoad.objects.get(key=key, date=tomorrow()).booked == 0
    before = snapshot(), Checkpoint.objects.count()
    order_cancel(order=order, reason="again")  # nothing more happens
    assert (snapshot(), Checkpoint.objects.count()) == before
    assert SlotLoad.objects.get(key=key, date=tomorrow()).booked == 0

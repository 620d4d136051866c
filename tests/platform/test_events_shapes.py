"""The journal's JSON does not change with its vocabulary.

Each app's ``events`` constructors build exactly the payload the services wrote by hand
before: same keys, same values, same order (compared as JSON text, so the order counts
at every level). Unsaved model instances: no database needed.
"""

import json
from datetime import UTC, date, datetime, time
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

from klantstuur.businesses.models import StaffMember
from klantstuur.catalog.models import CatalogItem
from klantstuur.delivery import events as delivery_events
from klantstuur.delivery.models import Delivery, DeliveryWindow, PickupPoint, ReturnRequest
from klantstuur.delivery.promise import stored_promise
from klantstuur.feedback import events as feedback_events
from klantstuur.feedback.models import Reward, SurveyResponse
from klantstuur.floor import events as floor_events
from klantstuur.floor.models import Party, Table
from klantstuur.needs import events as needs_events
from klantstuur.needs.events import Entry
from klantstuur.needs.models import EventKind, Need, NeedKind
from klantstuur.orders import events as orders_events
from klantstuur.orders.checkpoints import PROMISE_KEPT_CODES, CheckpointCode
from klantstuur.orders.models import Order, OrderLine
from klantstuur.privacy import events as privacy_events

AT = datetime(2026, 5, 14, 18, 30, tzinfo=UTC)
LATER = datetime(2026, 5, 14, 19, 0, tzinfo=UTC)


def _same(entry: Entry[Any], kind: EventKind, expected: dict[str, Any]) -> None:
    assert entry.kind == kind
    as_json = json.dumps(entry.data, cls=DjangoJSONEncoder)
    assert as_json == json.dumps(expected, cls=DjangoJSONEncoder)


def _floor() -> tuple[StaffMember, Party, Order, OrderLine]:
    host = StaffMember(pk=7, name="Sanne")
    need = Need(pk=3, kind=NeedKind.ORDER, summary="Table 4", goal="A relaxed meal", owner=host)
    party = Party(pk=11, seats=4, table=Table(pk=2, number="4"), need=need)
    order = Order(pk=21, party=party, total_cents=4550, promised_at=LATER)
    item = CatalogItem(pk=5, name="Soup")
    line = OrderLine(pk=31, order=order, item=item, seat=2, station_id=9, status="ready")
    return host, party, order, line


# --- orders ---------------------------------------------------------------------------------


def test_checkpoint_fixed_keys_then_the_writers_detail() -> None:
    _h, _p, order, line = _floor()
    entry = orders_events.checkpoint(
        order=order,
        code="line_ready",
        label="Ready",
        line=line,
        location="",
        note="",
        detail=floor_events.line_detail(line),
    )
    expected = {
        "order_id": 21,
        "code": "line_ready",
        "label": "Ready",
        "line_id": 31,
        "location": "",
        "note": "",
        "party_id": 11,
        "station_ids": [9],
        "table": "4",
        "seat": 2,
        "item": "Soup",
        "status": "ready",
    }
    _same(entry, EventKind.CHECKPOINT, expected)


def test_checkpoint_of_a_carrier_and_of_the_shop() -> None:
    order = Order(pk=21, total_cents=100)
    carrier = orders_events.checkpoint(
        order=order,
        code="attempt_failed",
        label="Delivery attempt failed",
        line=None,
        location="Utrecht",
        note="nobody home",
        detail=delivery_events.carrier_detail(reason="not_at_home", source="api"),
    )
    _same(
        carrier,
        EventKind.CHECKPOINT,
        {
            "order_id": 21,
            "code": "attempt_failed",
            "label": "Delivery attempt failed",
            "line_id": None,
            "location": "Utrecht",
            "note": "nobody home",
            "reason": "not_at_home",
            "source": "api",
        },
    )
    line = OrderLine(pk=31, order=order, item=CatalogItem(name="Lamp"), quantity=2)
    assert orders_events.out_of_stock_detail(line) == {
        "reason": "out_of_stock",
        "source": "shop",
        "item": "Lamp",
        "quantity": 2,
    }
    assert list(orders_events.out_of_stock_detail(line)) == ["reason", "source", "item", "quantity"]
    assert orders_events.cancelled_detail("x" * 300) == {"reason": "x" * 200}
    order.party_id = None
    assert json.dumps(orders_events.placed_detail(order, [3, 4])) == json.dumps(
        {"party_id": None, "station_ids": [3, 4]}
    )


def test_order_placed() -> None:
    _h, _p, order, _l = _floor()
    entry = orders_events.order_placed(
        order=order,
        lines=[{"item": "Soup", "quantity": 1, "seat": 2}],
        station_ids=[9],
        held=["mains"],
    )
    expected = {
        "order_id": 21,
        "lines": [{"item": "Soup", "quantity": 1, "seat": 2}],
        "total_cents": 4550,
        "promised_at": LATER.isoformat(),
        "party_id": 11,
        "station_ids": [9],
        "held": ["mains"],
    }
    _same(entry, EventKind.ORDER_PLACED, expected)
    # An exchange order (#14) names the original order and the return, after the rest.
    entry = orders_events.order_placed(
        order=order,
        lines=[{"item": "Soup", "quantity": 1, "seat": None}],
        station_ids=[],
        held=[],
        exchange_for={"order_id": 20, "return_id": 51},
    )
    expected = {
        **expected,
        "lines": [{"item": "Soup", "quantity": 1, "seat": None}],
        "station_ids": [],
        "held": [],
        "exchange_for": {"order_id": 20, "return_id": 51},
    }
    _same(entry, EventKind.ORDER_PLACED, expected)


def test_line_late_alert() -> None:
    _h, _p, _o, line = _floor()
    entry = orders_events.line_late(line=line, was=AT, promised_at=LATER)
    expected = {
        "reason": "late",
        "order_id": 21,
        "line_id": 31,
        "item": "Soup",
        "seat": 2,
        "table": "4",
        "party_id": 11,
        "station_ids": [9],
        "was": AT.isoformat(),
        "promised_at": LATER.isoformat(),
    }
    _same(entry, EventKind.ALERT, expected)


def test_promise_kept_codes_are_derived_from_the_vocabulary() -> None:
    assert PROMISE_KEPT_CODES == ("delivered", "available_for_pickup")
    assert CheckpointCode.DELIVERED.meaning.keeps_promise
    assert not CheckpointCode.ATTEMPT_FAILED.meaning.keeps_promise


# --- floor ----------------------------------------------------------------------------------


def test_floor_seating_and_party_events() -> None:
    host, party, _o, _l = _floor()
    _same(
        needs_events.need_opened(need=party.need, owner=host, proactive=False),
        EventKind.NEED_OPENED,
        {
            "kind": "order",
            "summary": "Table 4",
            "goal": "A relaxed meal",
            "owner": {"id": 7, "name": "Sanne"},
            "proactive": False,
        },
    )
    _same(
        floor_events.party_seated(party=party, owner=host, self_check_in=True),
        EventKind.PARTY_SEATED,
        {
            "party_id": 11,
            "table": "4",
            "seats": 4,
            "owner": {"id": 7, "name": "Sanne"},
            "self_check_in": True,
        },
    )
    owner = {"id": 7, "name": "Sanne"}
    _same(
        floor_events.host_called(party=party, reason="water"),
        EventKind.HOST_CALLED,
        {"party_id": 11, "table": "4", "reason": "water", "owner": owner},
    )
    _same(
        floor_events.host_called(party=party, reason="Jan asks", join=True),
        EventKind.HOST_CALLED,
        {"party_id": 11, "table": "4", "reason": "Jan asks", "join": True, "owner": owner},
    )
    at_table = {"party_id": 11, "table": "4"}
    _same(floor_events.bill_requested(party), EventKind.BILL_REQUESTED, at_table)
    _same(floor_events.party_left(party), EventKind.PARTY_LEFT, at_table)
    _same(
        needs_events.staff_message("Sanne is at your table.", party_id=11),
        EventKind.STAFF_MESSAGE,
        {"body": "Sanne is at your table.", "party_id": 11},
    )


def test_floor_line_details() -> None:
    _h, _p, order, line = _floor()
    line2 = OrderLine(pk=32, order=order, item=CatalogItem(name="Fish"), seat=1, station_id=None)
    assert json.dumps(floor_events.line_detail(line, runner="Tom")) == json.dumps(
        {
            "party_id": 11,
            "station_ids": [9],
            "table": "4",
            "seat": 2,
            "item": "Soup",
            "status": "ready",
            "runner": "Tom",
        }
    )
    assert json.dumps(
        floor_events.course_fired_detail(order, course="mains", lines=[line2, line])
    ) == json.dumps({"party_id": 11, "station_ids": [9], "course": "mains", "line_ids": [32, 31]})


def test_wrong_delivery_prevented_checkpoint_and_alert() -> None:
    _h, _p, order, line = _floor()
    tried = {"tried_table": "5", "tried_seat": 1, "runner": "Tom", "message": "Not 5"}
    detail = floor_events.wrong_delivery_detail(line, **tried)
    checkpoint = orders_events.checkpoint(
        order=order,
        code="wrong_delivery_prevented",
        label="Wrong table prevented",
        line=line,
        location="",
        note="Not 5",
        detail=detail,
    )
    where = {"party_id": 11, "station_ids": [9], "table": "4", "seat": 2, "item": "Soup"}
    _same(
        checkpoint,
        EventKind.CHECKPOINT,
        {
            "order_id": 21,
            "code": "wrong_delivery_prevented",
            "label": "Wrong table prevented",
            "line_id": 31,
            "location": "",
            "note": "Not 5",
            **where,
            "status": "ready",
            "tried_table": "5",
            "tried_seat": 1,
            "runner": "Tom",
            "message": "Not 5",
        },
    )
    _same(
        floor_events.wrong_delivery_prevented(line, **tried),
        EventKind.ALERT,
        {
            **where,
            "status": "ready",
            "line_id": 31,
            "order_id": 21,
            "tried_table": "5",
            "tried_seat": 1,
            "runner": "Tom",
            "message": "Not 5",
            "reason": "wrong_delivery_prevented",
        },
    )


# --- delivery -------------------------------------------------------------------------------


def _delivery() -> Delivery:
    order = Order(pk=21, total_cents=100, promise_text="Thursday")
    return Delivery(
        pk=41,
        order=order,
        promised_date=date(2026, 5, 14),
        promised_window=DeliveryWindow(starts=time(18), ends=time(21)),
        promised_place={"kind": "pickup_point", "pickup_point": "P1", "name": "Kiosk"},
        cutoff_at=AT,
    )


def test_delivery_booked_and_moved() -> None:
    d = _delivery()
    place = {
        "date": "2026-05-14",
        "window": "18:00-21:00",
        "place": {"kind": "pickup_point", "pickup_point": "P1", "name": "Kiosk"},
    }
    promise = stored_promise(d)
    assert promise
    _same(
        delivery_events.delivery_booked(d.order, d),
        EventKind.DELIVERY_CHANGED,
        {
            "order_id": 21,
            "booked": True,
            "requested": place,
            "promised": place,
            "promise": promise,
            "cutoff": AT.isoformat(),
        },
    )
    before = {"date": "2026-05-13", "window": "09:00-12:00", "place": {"kind": "address"}}
    moved = {
        "order_id": 21,
        "before": before,
        "after": place,
        "promise": promise,
        "cutoff": AT.isoformat(),
    }
    _same(
        delivery_events.delivery_moved(d, before=before, because=None),
        EventKind.DELIVERY_CHANGED,
        moved,
    )
    because = {"instruction_id": 5, "text": "When I am not at home"}
    _same(
        delivery_events.delivery_moved(d, before=before, because=because),
        EventKind.DELIVERY_CHANGED,
        {**moved, "because": because},
    )


def test_delivery_problem_alert() -> None:
    d = _delivery()
    need = Need(pk=3, owner=StaffMember(pk=7, name="Sanne"))
    entry = delivery_events.delivery_problem(
        d,
        need=need,
        reason="attempt_failed",
        detail="not_at_home",
        note="",
        choices=["another_date"],
        done_for_you=["moved"],
    )
    expected = {
        "order_id": 21,
        "reason": "attempt_failed",
        "detail": "not_at_home",
        "note": "",
        "choices": ["another_date"],
        "done_for_you": ["moved"],
        "promise": "Thursday",
        "promised": {
            "date": "2026-05-14",
            "window": "18:00-21:00",
            "place": {"kind": "pickup_point", "pickup_point": "P1", "name": "Kiosk"},
        },
        "owner": {"id": 7, "name": "Sanne"},
    }
    _same(entry, EventKind.ALERT, expected)


def test_returns_and_instructions() -> None:
    ret = ReturnRequest(
        pk=51, order_id=21, method="pickup_point", pickup_point=PickupPoint(name="Kiosk")
    )
    ret.reason = "Too small"
    ret.reason_code, ret.outcome, ret.label_code = "too_small", "exchange", "RT-ABCD-EFGH"
    _same(
        delivery_events.return_started(ret, lines={3: 1}),
        EventKind.RETURN_STARTED,
        {
            "order_id": 21,
            "return_id": 51,
            "method": "pickup_point",
            "pickup_point": "Kiosk",
            "reason": "Too small",
            "lines": [{"line_id": 3, "quantity": 1}],
            "reason_code": "too_small",
            "outcome": "exchange",
            "label_code": "RT-ABCD-EFGH",
        },
    )
    ret.pickup_point = None
    assert delivery_events.return_started(ret, lines={}).data["pickup_point"] is None
    _same(
        delivery_events.return_arrived(ret),
        EventKind.RETURN_ARRIVED,
        {"order_id": 21, "return_id": 51},
    )
    _same(
        delivery_events.return_arrived(ret, exchange_order_id=60),
        EventKind.RETURN_ARRIVED,
        {"order_id": 21, "return_id": 51, "exchange_order_id": 60},
    )
    _same(
        delivery_events.instruction_set(5, "Neighbour"),
        EventKind.INSTRUCTION_CHANGED,
        {"instruction_id": 5, "set": "Neighbour"},
    )
    _same(
        delivery_events.instruction_removed(5, "Neighbour"),
        EventKind.INSTRUCTION_CHANGED,
        {"instruction_id": 5, "removed": "Neighbour"},
    )
    _same(
        delivery_events.instruction_carried_out(
            order_id=21,
            instruction_id=5,
            condition="not_at_home",
            action="leave_with_neighbour",
            because="Neighbour",
            result="done",
        ),
        EventKind.INSTRUCTION_CARRIED_OUT,
        {
            "order_id": 21,
            "instruction_id": 5,
            "condition": "not_at_home",
            "action": "leave_with_neighbour",
            "because": "Neighbour",
            "result": "done",
        },
    )
    _same(
        needs_events.internal_note("The customer accepts a similar item."),
        EventKind.INTERNAL_NOTE,
        {"body": "The customer accepts a similar item."},
    )


# --- feedback -------------------------------------------------------------------------------


def test_feedback_events() -> None:
    _same(
        feedback_events.rated(touchpoint="served", rating=4, order_id=None, comment=""),
        EventKind.FEEDBACK_GIVEN,
        {"touchpoint": "served", "rating": 4, "order_id": None, "comment": ""},
    )
    response = SurveyResponse(pk=61, survey="nps", score=9, comment="Fine")
    _same(
        feedback_events.survey_answered(response),
        EventKind.FEEDBACK_GIVEN,
        {"survey": "nps", "score": 9, "response_id": 61, "comment": "Fine"},
    )
    reward = Reward(pk=71, kind="material", description="Flowers", value_cents=2500)
    _same(
        feedback_events.reward_given(reward),
        EventKind.REWARD_GIVEN,
        {"reward_id": 71, "kind": "material", "description": "Flowers", "value_cents": 2500},
    )
    _same(
        needs_events.internal_note("Listened to this conversation.", listening_sample_id=81),
        EventKind.INTERNAL_NOTE,
        {"body": "Listened to this conversation.", "listening_sample_id": 81},
    )


# --- privacy --------------------------------------------------------------------------------


def test_privacy_events() -> None:
    _same(
        privacy_events.erasure_requested(["open_needs"]),
        EventKind.ERASURE_REQUESTED,
        {"waiting_for": ["open_needs"]},
    )
    _same(privacy_events.customer_erased(), EventKind.CUSTOMER_ERASED, {})
    _same(
        privacy_events.customer_updated(
            before={"phone": "1", "name": "A"}, after={"phone": "2", "name": "B"}
        ),
        EventKind.CUSTOMER_UPDATED,
        {
            "changed": ["name", "phone"],
            "before": {"phone": "1", "name": "A"},
            "after": {"phone": "2", "name": "B"},
        },
    )

"""The pancake terrace through the API: seat, order, fire, bump, recall, deliver — and refusals."""

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from klantstuur.catalog.models import CatalogItem, Station
from klantstuur.floor.models import Party, PartyStatus, Section, Table
from klantstuur.floor.services import section_create, table_create
from klantstuur.needs.models import EventKind, JournalEvent, Need
from klantstuur.orders.models import Checkpoint, LineStatus, Order, OrderLine
from klantstuur.orders.promises import sweep_late_lines
from tests.conftest import World
from tests.helpers import same_time


@pytest.fixture
def terrace(world: World) -> dict[str, Any]:
    terras = section_create(business=world.x, name="Terras", host=world.owner)
    binnen = section_create(business=world.x, name="Binnen", host=world.colleague)
    t12 = table_create(section=terras, number="12", seats=4, seat_reference="street side")
    t21 = table_create(section=terras, number="21", seats=2)
    t3 = table_create(section=binnen, number="3", seats=6)
    griddle = Station.objects.create(business=world.x, code="pannenkoeken", name="Pannenkoeken")
    griddle.capacity = 2
    griddle.save()
    griddle.members.add(world.kitchen)
    bar = Station.objects.create(business=world.x, code="bar", name="Bar")
    y_section = section_create(business=world.y, name="Y", host=None)
    y_table = table_create(section=y_section, number="12", seats=4)
    return {
        "terras": terras,
        "t12": t12,
        "t21": t21,
        "t3": t3,
        "griddle": griddle,
        "bar": bar,
        "y_table": y_table,
        "pancake": CatalogItem.objects.create(
            business=world.x,
            name="Spek",
            price_cents=1150,
            station=griddle,
            prep_minutes=12,
            course="main",
        ),
        "cola": CatalogItem.objects.create(
            business=world.x,
            name="Cola",
            price_cents=350,
            station=bar,
            prep_minutes=1,
            course="drinks",
        ),
    }


def _seat(api: Any, world: World, table: str = "12", seats: int = 3) -> dict[str, Any]:
    r = api(world.owner).post("/api/v1/floor/parties", {"table": table, "seats": seats})
    assert r.status_code == 201, r.content
    return r.json()


def _snapshot() -> tuple[int, ...]:
    return (
        Party.objects.count(),
        Need.objects.count(),
        Order.objects.count(),
        OrderLine.objects.exclude(status=LineStatus.RECEIVED).count(),
        Checkpoint.objects.count(),
        JournalEvent.objects.count(),
    )


def test_it_seats_a_party_owned_by_the_section_host(
    world: World, api: Any, terrace: dict[str, Any]
) -> None:
    body = api(world.colleague).post("/api/v1/floor/parties", {"table": 12, "seats": 3}).json()
    need = Need.objects.get(pk=body["need_id"])
    assert body["owner"] == {"id": world.owner.pk, "name": "Olga Owner"}
    assert need.owner_id == world.owner.pk
    assert need.customer.name.endswith("12") and need.customer.email is None
    party = Party.objects.get(pk=body["id"])
    assert party.walk_in is True
    assert body["guest_url"].endswith(f"/guest/{party.guest_token}/")
    assert len(party.guest_token) >= 32
    kinds = list(JournalEvent.objects.filter(need=need).values_list("kind", flat=True))
    assert kinds == [EventKind.NEED_OPENED, EventKind.PARTY_SEATED]


def test_it_seats_a_known_customer(world: World, api: Any, terrace: dict[str, Any]) -> None:
    r = api(world.owner).post(
        "/api/v1/floor/parties", {"table": "3", "seats": 2, "customer_id": world.customer_a.pk}
    )
    assert r.status_code == 201
    assert r.json()["owner"]["id"] == world.colleague.pk
    assert Need.objects.get(pk=r.json()["need_id"]).customer_id == world.customer_a.pk


def test_it_refuses_bad_seating_and_changes_nothing(
    world: World, api: Any, terrace: dict[str, Any]
) -> None:
    _seat(api, world)
    before = _snapshot()
    cases = [
        ({"table": "99", "seats": 2}, 422, "table"),
        ({"table": "21", "seats": 3}, 422, "seats"),
        ({"table": "21", "seats": 0}, 422, "seats"),
        ({"table": "12", "seats": 2}, 409, "table"),
        ({"table": "21", "seats": 2, "customer_id": world.customer_y.pk}, 404, "customer_id"),
        ({"table": None, "seats": 2}, 422, "table"),
    ]
    for body, status, field in cases:
        r = api(world.owner).post("/api/v1/floor/parties", body)
        assert r.status_code == status, (body, r.content)
        assert r.json()["errors"][0]["field"] == field
    assert (
        api(world.stranger).post("/api/v1/floor/parties", {"table": "21", "seats": 2}).status_code
        == 422
    )  # Y's own table 21 does not exist; X's is not Y's to know
    assert (
        api(world.customer_a).post("/api/v1/floor/parties", {"table": "21", "seats": 2}).status_code
        == 403
    )
    assert api(None).post("/api/v1/floor/parties", {"table": "21", "seats": 2}).status_code == 401
    assert _snapshot() == before


def test_the_whole_terrace_flow(world: World, api: Any, terrace: dict[str, Any]) -> None:
    party = _seat(api, world)
    host = api(world.owner)
    r = host.post(
        "/api/v1/orders",
        {
            "party_id": party["id"],
            "hold_courses": ["main"],
            "lines": [
                {"item": terrace["cola"].pk, "seat": 1},
                {
                    "item": terrace["pancake"].pk,
                    "seat": 2,
                    "note": "extra stroop",
                    "allergies": "noten",
                },
            ],
        },
    )
    assert r.status_code == 201, r.content
    order = r.json()
    assert order["owner"]["id"] == world.owner.pk
    cola, pancake = order["lines"]
    assert (cola["status"], pancake["status"]) == ("received", "held")
    assert cola["promised_at"] is not None and pancake["promised_at"] is None

    # The griddle sees nothing yet; the mains are fired after the drinks.
    kitchen = api(world.kitchen)
    assert kitchen.get("/api/v1/stations/pannenkoeken/tickets").json()["count"] == 0
    r = host.post(f"/api/v1/orders/{order['id']}/fire", {"course": "main"})
    assert r.status_code == 200, r.content
    tickets = kitchen.get("/api/v1/stations/pannenkoeken/tickets").json()
    assert tickets["count"] == 1
    line = tickets["items"][0]
    assert (line["table"], line["seat"], line["owner"]["name"], line["allergies"]) == (
        "12",
        2,
        "Olga Owner",
        "noten",
    )
    assert line["age"] == "ok"

    # Bump, recall, bump again.
    assert kitchen.post(f"/api/v1/order-lines/{pancake['id']}/ready").json()["status"] == "ready"
    assert kitchen.post(f"/api/v1/order-lines/{pancake['id']}/recall").json()["status"] == (
        "received"
    )
    assert kitchen.post(f"/api/v1/order-lines/{pancake['id']}/ready").status_code == 200
    assert kitchen.get("/api/v1/stations/pannenkoeken/tickets").json()["count"] == 0

    # The runner: wrong table refused and recorded, wrong seat too, then the right seat.
    runner = api(world.colleague)
    plates = runner.get("/api/v1/runner/plates").json()
    assert [p["id"] for p in plates["items"]] == [pancake["id"]]
    r = runner.post(f"/api/v1/order-lines/{pancake['id']}/delivered", {"table": "21", "seat": 2})
    assert r.status_code == 409
    assert r.json()["errors"][0]["field"] == "table"
    assert r.json()["right"] == {"table": "12", "seat": 2}
    r = runner.post(f"/api/v1/order-lines/{pancake['id']}/delivered", {"table": "12", "seat": 3})
    assert r.status_code == 409
    assert r.json()["errors"][0]["field"] == "seat"
    assert OrderLine.objects.get(pk=pancake["id"]).status == LineStatus.READY
    prevented = Checkpoint.objects.filter(line_id=pancake["id"], code__startswith="wrong_")
    # A wrong seat at the right table is recorded as a wrong seat, not a wrong table.
    assert list(prevented.order_by("id").values_list("code", flat=True)) == [
        "wrong_delivery_prevented",
        "wrong_seat_prevented",
    ]
    alerts = JournalEvent.objects.filter(kind=EventKind.ALERT, need_id=party["need_id"])
    assert [a.data["reason"] for a in alerts] == ["wrong_delivery_prevented"] * 2
    r = runner.post(
        f"/api/v1/order-lines/{pancake['id']}/delivered",
        {"qr": terrace["t12"].qr_token, "seat": 2},
    )
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "served"

    detail = host.get(f"/api/v1/orders/{order['id']}").json()
    codes = [c["code"] for c in detail["checkpoints"]]
    assert codes == [
        "order_received",
        "course_fired",
        "line_ready",
        "line_recalled",
        "line_ready",
        "wrong_delivery_prevented",
        "wrong_seat_prevented",
        "line_served",
    ]


def test_a_guest_orders_with_the_guest_token(
    world: World, api: Any, terrace: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    party = _seat(api, world)
    token = Party.objects.get(pk=party["id"]).guest_token
    guest = api(None)
    guest.token = token
    r = guest.post("/api/v1/me/orders", {"lines": [{"item": terrace["pancake"].pk, "seat": 3}]})
    assert r.status_code == 201, r.content
    order = r.json()
    assert order["party_id"] == party["id"]
    assert order["owner"]["id"] == world.owner.pk
    assert Order.objects.get(pk=order["id"]).channel == "guest"
    with django_assert_max_num_queries(6):
        assert guest.get(f"/api/v1/me/orders/{order['id']}").status_code == 200
    assert guest.get("/api/v1/me/orders").json()["count"] == 1
    assert guest.get("/api/v1/me/party").json()["table"] == "12"

    # Another party's guest link sees nothing of this order, and cannot order for it.
    other = _seat(api, world, table="21", seats=2)
    intruder = api(None)
    intruder.token = Party.objects.get(pk=other["id"]).guest_token
    assert intruder.get(f"/api/v1/me/orders/{order['id']}").status_code == 404
    assert api(world.customer_a).get(f"/api/v1/me/orders/{order['id']}").status_code == 404
    before = _snapshot()
    r = intruder.post("/api/v1/me/orders", {"lines": [{"item": terrace["pancake"].pk, "seat": 3}]})
    assert r.status_code == 422  # table 21 has seats 1 and 2
    assert r.json()["errors"][0]["field"] == "lines.0.seat"
    # A guest token is not a staff token.
    assert intruder.get("/api/v1/stations/pannenkoeken/tickets").status_code == 401
    assert (
        intruder.post(
            "/api/v1/orders", {"party_id": party["id"], "lines": [{"item": terrace["pancake"].pk}]}
        ).status_code
        == 401
    )
    assert _snapshot() == before

    # Paid and gone: the link stops working (the pancake still on the griddle is voided).
    leave = f"/api/v1/floor/parties/{party['id']}/leave"
    assert api(world.owner).post(leave).status_code == 409
    closed = api(world.owner).post(leave, {"void_open_lines": True, "reason": "had to go"})
    assert closed.status_code == 200, closed.content
    assert guest.get("/api/v1/me/party").status_code == 401
    assert (
        guest.post("/api/v1/me/orders", {"lines": [{"item": terrace["pancake"].pk}]}).status_code
        == 401
    )


def test_guests_call_their_host_and_ask_for_the_bill(
    world: World, api: Any, terrace: dict[str, Any]
) -> None:
    party = _seat(api, world)
    guest = api(None)
    guest.token = Party.objects.get(pk=party["id"]).guest_token
    r = guest.post("/api/v1/me/party/call-host", {"reason": "Extra bord"})
    assert r.status_code == 200
    assert r.json()["host_called_at"] is not None
    need = Need.objects.get(pk=party["need_id"])
    assert need.contacts == 1 and need.waiting_since is not None
    assert guest.post("/api/v1/me/party/bill").json()["status"] == PartyStatus.BILL_REQUESTED
    kinds = set(JournalEvent.objects.filter(need=need).values_list("kind", flat=True))
    assert {EventKind.HOST_CALLED, EventKind.BILL_REQUESTED} <= kinds


def test_it_refuses_the_wrong_station_party_and_business(
    world: World, api: Any, terrace: dict[str, Any]
) -> None:
    party = _seat(api, world)
    order = (
        api(world.owner)
        .post(
            "/api/v1/orders",
            {
                "party_id": party["id"],
                "lines": [{"item": terrace["cola"].pk, "seat": 1}, {"item": terrace["pancake"].pk}],
            },
        )
        .json()
    )
    cola, pancake = (x["id"] for x in order["lines"])
    before = _snapshot()
    # The kitchen works the griddle, not the bar.
    r = api(world.kitchen).post(f"/api/v1/order-lines/{cola}/ready")
    assert r.status_code == 403
    # Another business: 404 for lines, stations, orders and parties.
    stranger = api(world.stranger)
    assert stranger.post(f"/api/v1/order-lines/{pancake}/ready").status_code == 404
    assert (
        stranger.post(f"/api/v1/order-lines/{pancake}/delivered", {"table": "12"}).status_code
        == 404
    )
    assert stranger.get("/api/v1/stations/pannenkoeken/tickets").status_code == 404
    assert stranger.get(f"/api/v1/floor/parties/{party['id']}").status_code == 404
    assert stranger.post(f"/api/v1/floor/parties/{party['id']}/leave").status_code == 404
    assert (
        stranger.post(f"/api/v1/orders/{order['id']}/fire", {"course": "main"}).status_code == 404
    )
    # Ordering for another business's party, or a seat beyond the table's seats.
    r = stranger.post("/api/v1/orders", {"party_id": party["id"], "lines": [{"item": 1}]})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "party_id"
    r = api(world.owner).post(
        "/api/v1/orders",
        {"party_id": party["id"], "lines": [{"item": terrace["pancake"].pk, "seat": 5}]},
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "lines.0.seat"
    # Not ready yet: it cannot be delivered; unknown table and seat beyond the table.
    r = api(world.owner).post(f"/api/v1/order-lines/{pancake}/delivered", {"table": "12"})
    assert r.status_code == 409
    r = api(world.owner).post(f"/api/v1/order-lines/{pancake}/delivered", {"table": "77"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "table"
    r = api(world.owner).post(
        f"/api/v1/order-lines/{pancake}/delivered", {"table": "12", "seat": 9}
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "seat"
    r = api(world.owner).post(f"/api/v1/order-lines/{pancake}/delivered", {"qr": "nope"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "qr"
    assert api(world.kitchen).post(f"/api/v1/order-lines/{pancake}/recall").status_code == 409
    assert api(world.owner).post("/api/v1/order-lines/999999/ready").status_code == 404
    assert api(world.owner).get("/api/v1/stations/nope/tickets").status_code == 404
    assert api(world.customer_a).post(f"/api/v1/order-lines/{pancake}/ready").status_code == 403
    assert _snapshot() == before


def test_a_whole_ticket_is_bumped(world: World, api: Any, terrace: dict[str, Any]) -> None:
    party = _seat(api, world)
    order = (
        api(world.owner)
        .post(
            "/api/v1/orders",
            {
                "party_id": party["id"],
                "lines": [{"item": terrace["pancake"].pk, "seat": s} for s in (1, 2)],
            },
        )
        .json()
    )
    r = api(world.kitchen).post(f"/api/v1/stations/pannenkoeken/tickets/{order['id']}/ready")
    assert r.status_code == 200
    assert [x["status"] for x in r.json()["items"]] == ["ready", "ready"]
    assert (
        api(world.kitchen)
        .post(f"/api/v1/stations/pannenkoeken/tickets/{order['id']}/ready")
        .status_code
        == 404
    )


def test_promises_follow_the_station_load(world: World, api: Any, terrace: dict[str, Any]) -> None:
    party = _seat(api, world)
    host = api(world.owner)
    first = host.post(
        "/api/v1/orders", {"party_id": party["id"], "lines": [{"item": terrace["pancake"].pk}]}
    ).json()
    second = host.post(
        "/api/v1/orders",
        {"party_id": party["id"], "lines": [{"item": terrace["pancake"].pk, "quantity": 4}]},
    ).json()
    p1 = Order.objects.get(pk=first["id"]).promised_at
    p2 = Order.objects.get(pk=second["id"]).promised_at
    # 12 minutes queued on a griddle of capacity 2: the second order waits 6 more minutes.
    assert p2 - p1 == timedelta(minutes=6)


def test_the_owner_is_alerted_before_a_line_misses_its_promise(
    world: World, api: Any, terrace: dict[str, Any]
) -> None:
    party = _seat(api, world)
    order = (
        api(world.owner)
        .post(
            "/api/v1/orders", {"party_id": party["id"], "lines": [{"item": terrace["pancake"].pk}]}
        )
        .json()
    )
    line = OrderLine.objects.get(order_id=order["id"])
    promised = line.promised_at
    assert sweep_late_lines(timezone.now()) == 0
    # Ten minutes later the plate has not been started: 12 minutes of work are left.
    later = timezone.now() + timedelta(minutes=10)
    assert promised is not None and later < promised
    assert sweep_late_lines(later) == 1
    line.refresh_from_db()
    assert line.first_promised_at == promised
    assert line.promised_at > promised
    alert = JournalEvent.objects.get(kind=EventKind.ALERT, need_id=party["need_id"])
    assert alert.data["reason"] == "late" and alert.visible_to_customer
    assert sweep_late_lines(later) == 0  # the time told still holds
    # Still not started when that time passes: told again, with a time still ahead.
    told = line.promised_at
    much_later = told + timedelta(minutes=5)
    assert sweep_late_lines(much_later) == 1
    line.refresh_from_db()
    assert line.promised_at > much_later and line.first_promised_at == promised
    alerts = JournalEvent.objects.filter(kind=EventKind.ALERT, need_id=party["need_id"])
    assert [a.data["reason"] for a in alerts] == ["late", "late"]
    # The guest sees the honest new time.
    guest = api(None)
    guest.token = Party.objects.get(pk=party["id"]).guest_token
    body = guest.get(f"/api/v1/me/orders/{order['id']}").json()
    assert body["lines"][0]["promised_at"] is not None
    assert same_time(body["lines"][0]["promised_at"], line.promised_at)


def test_boards_and_runner_views_have_bounded_queries(
    world: World, api: Any, terrace: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    for table in ("12", "21", "3"):
        party = _seat(api, world, table=table, seats=2)
        api(world.owner).post(
            "/api/v1/orders",
            {"party_id": party["id"], "lines": [{"item": terrace["pancake"].pk, "seat": 1}] * 3},
        )
    kitchen = api(world.kitchen)
    with django_assert_max_num_queries(8):
        assert kitchen.get("/api/v1/stations/pannenkoeken/tickets").json()["count"] == 9
    for line in OrderLine.objects.all()[:5]:
        kitchen.post(f"/api/v1/order-lines/{line.pk}/ready")
    with django_assert_max_num_queries(7):
        assert kitchen.get("/api/v1/runner/plates").json()["count"] == 5


def test_only_managers_set_the_host_of_a_shift(
    world: World, api: Any, terrace: dict[str, Any]
) -> None:
    section: Section = terrace["terras"]
    r = api(world.owner).post(
        f"/api/v1/floor/sections/{section.pk}/host", {"staff_id": world.colleague.pk}
    )
    assert r.status_code == 403
    r = api(world.manager).post(
        f"/api/v1/floor/sections/{section.pk}/host", {"staff_id": world.stranger.pk}
    )
    assert r.status_code == 422
    r = api(world.manager).post(
        f"/api/v1/floor/sections/{section.pk}/host", {"staff_id": world.colleague.pk}
    )
    assert r.status_code == 200
    assert Section.objects.get(pk=section.pk).host_id == world.colleague.pk
    assert Table.objects.filter(section=section).count() == 2


def test_a_guests_retry_with_the_same_key_orders_once(
    world: World, api: Any, terrace: dict[str, Any]
) -> None:
    party = _seat(api, world)
    guest = api(None)
    guest.token = Party.objects.get(pk=party["id"]).guest_token
    body = {"lines": [{"item": terrace["pancake"].pk, "seat": 2}]}
    first = guest.post("/api/v1/me/orders", body, headers={"Idempotency-Key": "tap-1"})
    again = guest.post("/api/v1/me/orders", body, headers={"Idempotency-Key": "tap-1"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Order.objects.filter(party_id=party["id"]).count() == 1
    # Another party's same key is its own request.
    other = _seat(api, world, table="21", seats=2)
    guest2 = api(None)
    guest2.token = Party.objects.get(pk=other["id"]).guest_token
    r = guest2.post("/api/v1/me/orders", body, headers={"Idempotency-Key": "tap-1"})
    assert r.status_code == 201
    assert r.json()["id"] != first.json()["id"]

"""The bill per seat, payments, the safe close-out, the guest page after leaving, and the
one-tap rating that used to be refused (issue #13)."""

from typing import Any

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from klantstuur.catalog.models import CatalogItem
from klantstuur.feedback.models import Rating
from klantstuur.floor import boards
from klantstuur.floor.bill import compute, party_bill
from klantstuur.floor.models import Party, PartyStatus, Payment
from klantstuur.needs.models import EventKind, JournalEvent
from klantstuur.orders.models import LineStatus, Order, OrderLine
from tests.conftest import World
from tests.floor.test_api import terrace  # noqa: F401  (fixture)


@pytest.fixture
def table12(world: World, api: Any, terrace: dict[str, Any]) -> dict[str, Any]:  # noqa: F811
    """Table 12, three guests: seat 1 a pancake and a cola, seat 2 a pancake, a shared cola."""
    party = api(world.owner).post("/api/v1/floor/parties", {"table": "12", "seats": 3}).json()
    lines = [
        {"item": terrace["pancake"].pk, "seat": 1},
        {"item": terrace["cola"].pk, "seat": 1},
        {"item": terrace["pancake"].pk, "seat": 2},
        {"item": terrace["cola"].pk},
    ]
    r = api(world.owner).post("/api/v1/orders", {"party_id": party["id"], "lines": lines})
    assert r.status_code == 201, r.content
    return {**terrace, "party": Party.objects.get(pk=party["id"]), "order": r.json()}


def _english() -> Client:
    client = Client()
    client.cookies["django_language"] = "en"
    return client


def _serve_all(world: World, party: Party) -> None:
    for line in OrderLine.objects.filter(order__party=party).exclude(status=LineStatus.SERVED):
        line.status = LineStatus.READY
        line.save(update_fields=["status"])
        from klantstuur.floor.kitchen import line_deliver

        assert not line_deliver(staff=world.owner, line_id=line.pk, table="12").prevented


def test_the_bill_shows_each_seat_and_the_shared_lines(
    world: World, api: Any, table12: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    party = table12["party"]
    with django_assert_max_num_queries(8):
        r = api(world.owner).get(f"/api/v1/floor/parties/{party.pk}/bill")
    assert r.status_code == 200
    bill = r.json()
    assert [(s["seat"], s["amount_cents"]) for s in bill["seats"]] == [
        (1, 1500),
        (2, 1150),
        (None, 350),
    ]
    assert (bill["total_cents"], bill["paid_cents"], bill["due_cents"]) == (3000, 0, 3000)
    assert [(x["item"], x["seat"], x["amount_cents"]) for x in bill["lines"]] == [
        ("Spek", 1, 1150),
        ("Cola", 1, 350),
        ("Spek", 2, 1150),
        ("Cola", None, 350),
    ]
    # The guest sees the same bill through the guest token.
    guest = api(None)
    guest.token = party.guest_token
    assert guest.get("/api/v1/me/party/bill").json()["total_cents"] == 3000


def test_payments_per_seat_per_item_and_split_evenly_close_the_table(
    world: World, api: Any, table12: dict[str, Any]
) -> None:
    party = table12["party"]
    _serve_all(world, party)
    url = f"/api/v1/floor/parties/{party.pk}"
    staff = api(world.owner)
    # Seat 1 pays its own by card, with a tip.
    r = staff.post(
        url + "/payments", {"amount_cents": 1500, "method": "card", "seats": [1], "tip_cents": 150}
    )
    assert r.status_code == 201, r.content
    bill = r.json()
    assert [(s["seat"], s["due_cents"]) for s in bill["seats"]] == [(1, 0), (2, 1150), (None, 350)]
    assert (bill["paid_cents"], bill["due_cents"], bill["tip_cents"]) == (1500, 1500, 150)
    # The shared cola by item, in cash.
    shared = next(x["line_id"] for x in bill["lines"] if x["seat"] is None)
    bill = staff.post(
        url + "/payments", {"amount_cents": 350, "method": "cash", "line_ids": [shared]}
    ).json()
    assert [(s["seat"], s["due_cents"]) for s in bill["seats"]] == [(1, 0), (2, 1150), (None, 0)]
    # Leaving with money due is refused, and nothing changes.
    refused = staff.post(url + "/leave", {})
    assert refused.status_code == 409
    assert refused.json()["errors"][0]["field"] == "due_cents"
    assert Party.objects.get(pk=party.pk).status == PartyStatus.SEATED
    # More than is due is refused; the rest split evenly in two.
    assert (
        staff.post(url + "/payments", {"amount_cents": 1151, "method": "card"}).status_code == 409
    )
    assert staff.post(url + "/payments", {"amount_cents": 575, "method": "card"}).status_code == 201
    bill = staff.post(url + "/payments", {"amount_cents": 575, "method": "other"}).json()
    assert (bill["total_cents"], bill["paid_cents"], bill["due_cents"]) == (3000, 3000, 0)
    assert staff.post(url + "/leave", {}).status_code == 200
    kinds = list(
        JournalEvent.objects.filter(need_id=party.need_id, kind=EventKind.PAYMENT_RECEIVED)
        .order_by("id")
        .values_list("data__amount_cents", flat=True)
    )
    assert kinds == [1500, 350, 575, 575]
    # After leaving the guest link shows the receipt with the tip, not a 404.
    page = _english().get(f"/guest/{party.guest_token}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Receipt" in text and "€30.00" in text and "€1.50" in text


def test_leaving_with_lines_still_being_made_needs_them_voided_with_a_reason(
    world: World, api: Any, table12: dict[str, Any]
) -> None:
    party = table12["party"]
    griddle = table12["griddle"]
    assert len(boards.station_lines(station=griddle)) == 2
    url = f"/api/v1/floor/parties/{party.pk}/leave"
    refused = api(world.owner).post(url, {})
    assert refused.status_code == 409
    assert refused.json()["errors"][0]["field"] == "void_open_lines"
    no_reason = api(world.owner).post(url, {"void_open_lines": True})
    assert no_reason.status_code == 422
    assert no_reason.json()["errors"][0]["field"] == "reason"
    assert OrderLine.objects.filter(status=LineStatus.CANCELLED).count() == 0
    r = api(world.owner).post(url, {"void_open_lines": True, "reason": "Guests had to leave"})
    assert r.status_code == 200, r.content
    # Every line voided, off every board, off the bill; one journal event says so.
    assert set(OrderLine.objects.values_list("status", flat=True)) == {LineStatus.CANCELLED}
    assert len(boards.station_lines(station=griddle)) == 0
    assert Order.objects.get(pk=table12["order"]["id"]).status == "cancelled"
    voided = JournalEvent.objects.get(need_id=party.need_id, kind=EventKind.LINES_VOIDED)
    assert voided.data["reason"] == "Guests had to leave"
    assert voided.data["station_ids"] == sorted([griddle.pk, table12["bar"].pk])
    assert len(voided.data["line_ids"]) == 4
    assert api(world.owner).get(f"/api/v1/floor/parties/{party.pk}/bill").json()["total_cents"] == 0


def test_a_voided_close_still_needs_the_served_plates_paid(
    world: World, api: Any, table12: dict[str, Any]
) -> None:
    party = table12["party"]
    first = OrderLine.objects.filter(order__party=party).order_by("id").first()
    assert first is not None
    first.status = LineStatus.READY
    first.save(update_fields=["status"])
    from klantstuur.floor.kitchen import line_deliver

    line_deliver(staff=world.owner, line_id=first.pk, table="12", seat=1)
    url = f"/api/v1/floor/parties/{party.pk}/leave"
    r = api(world.owner).post(url, {"void_open_lines": True, "reason": "x"})
    assert r.status_code == 409 and r.json()["errors"][0]["field"] == "due_cents"
    # The refusal rolled the voiding back.
    assert OrderLine.objects.filter(status=LineStatus.CANCELLED).count() == 0


def test_payments_and_bills_of_another_business_are_404_and_change_nothing(
    world: World, api: Any, table12: dict[str, Any]
) -> None:
    party = table12["party"]
    url = f"/api/v1/floor/parties/{party.pk}"
    stranger = api(world.stranger)
    assert stranger.get(url + "/bill").status_code == 404
    assert (
        stranger.post(url + "/payments", {"amount_cents": 1, "method": "card"}).status_code == 404
    )
    assert (
        stranger.post(url + "/leave", {"void_open_lines": True, "reason": "x"}).status_code == 404
    )
    assert api(world.customer_a).get(url + "/bill").status_code == 403
    # The kitchen does not take money.
    assert (
        api(world.kitchen)
        .post(url + "/payments", {"amount_cents": 1, "method": "card"})
        .status_code
        == 403
    )
    bad = api(world.owner).post(url + "/payments", {"amount_cents": 10, "method": "bitcoin"})
    assert bad.status_code == 422
    seat = api(world.owner).post(
        url + "/payments", {"amount_cents": 10, "method": "card", "seats": [9]}
    )
    assert seat.status_code == 422 and seat.json()["errors"][0]["field"] == "seats.0"
    assert Payment.objects.count() == 0
    assert Party.objects.get(pk=party.pk).status == PartyStatus.SEATED


# --- the rating on the guest page -------------------------------------------------------------


def test_a_tap_on_a_rating_of_the_guest_page_is_taken_as_a_number(
    world: World, table12: dict[str, Any]
) -> None:
    party = table12["party"]
    _serve_all(world, party)
    order_id = table12["order"]["id"]
    guest = _english()
    url = f"/guest/{party.guest_token}/feedback/"
    # What the buttons post: text. Through htmx the thank-you comes back in place.
    r = guest.post(
        url, {"touchpoint": "served", "order": str(order_id), "rating": "4"}, HTTP_HX_REQUEST="true"
    )
    assert r.status_code == 200
    assert "Thank you for telling us." in r.content.decode()
    assert list(Rating.objects.values_list("touchpoint", "rating", "order_id")) == [
        ("served", 4, order_id)
    ]
    # Not a rating: the error is shown in place, nothing recorded.
    bad = guest.post(url, {"touchpoint": "order_taken", "rating": "x"}, HTTP_HX_REQUEST="true")
    assert bad.status_code == 422
    assert "Choose a rating from 1 to 5." in bad.content.decode()
    assert Rating.objects.count() == 1
    # The page shows the rated one as rated, and the scale is labelled.
    page = guest.get(f"/guest/{party.guest_token}/").content.decode()
    assert "You rated this. Thank you!" in page
    assert "1 = bad" in page and "5 = excellent" in page


def test_after_leaving_the_guest_still_rates_from_the_receipt(
    world: World, api: Any, table12: dict[str, Any]
) -> None:
    party = table12["party"]
    _serve_all(world, party)
    api(world.owner).post(
        f"/api/v1/floor/parties/{party.pk}/payments", {"amount_cents": 3000, "method": "card"}
    )
    assert api(world.owner).post(f"/api/v1/floor/parties/{party.pk}/leave", {}).status_code == 200
    guest = _english()
    r = guest.post(
        f"/guest/{party.guest_token}/feedback/", {"touchpoint": "order_taken", "rating": "5"}
    )
    assert r.status_code == 302
    assert list(Rating.objects.values_list("touchpoint", "rating")) == [("order_taken", 5)]
    # Ordering or calling the host is over.
    assert guest.post(f"/guest/{party.guest_token}/call/").status_code == 404


# --- the rule -------------------------------------------------------------------------------


class _Line:
    def __init__(self, pk: int, seat: int | None, price: int, qty: int, status: str) -> None:
        self.pk = pk
        self.seat = seat
        self.price_cents = price
        self.quantity = qty
        self.status = status
        self.course = ""
        self.item = type("Item", (), {"name": f"item {pk}"})()


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.one_of(st.none(), st.integers(1, 4)),
            st.integers(1, 3000),
            st.integers(1, 3),
            st.sampled_from(["served", "received", "cancelled"]),
        ),
        min_size=1,
        max_size=8,
    ),
    st.lists(st.tuples(st.integers(1, 5000), st.lists(st.integers(1, 4), max_size=2)), max_size=5),
)
def test_the_bill_adds_up_whatever_is_paid_for_what(lines: Any, payments: Any) -> None:
    rows = [_Line(n + 1, *spec) for n, spec in enumerate(lines)]
    total = sum(x.price_cents * x.quantity for x in rows if x.status != "cancelled")
    paid_in: list[Payment] = []
    for amount, seats in payments:
        due = total - sum(p.amount_cents for p in paid_in)
        if amount <= due:  # as the service allows
            paid_in.append(Payment(amount_cents=amount, seats=seats, tip_cents=0))
    bill = compute(rows, paid_in)  # type: ignore[arg-type]
    assert bill.total_cents == total
    assert bill.paid_cents == sum(p.amount_cents for p in paid_in)
    assert bill.due_cents == total - bill.paid_cents
    assert sum(s.amount_cents for s in bill.seats) == total
    assert sum(s.due_cents for s in bill.seats) == bill.due_cents
    assert all(0 <= x.paid_cents <= x.amount_cents for x in bill.lines)


@settings(
    max_examples=25,
    deadline=None,
    # The fixtures' world is set up once; each example rewrites the party's lines itself.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    seats=st.lists(st.one_of(st.none(), st.integers(1, 3)), min_size=1, max_size=6),
    shuffle=st.randoms(use_true_random=False),
    paid=st.lists(st.tuples(st.integers(1, 2000), st.lists(st.integers(1, 3), max_size=2))),
)
def test_the_bill_from_lines_read_already_is_the_bill_read_from_the_database(
    world: World,
    api: Any,
    terrace: dict[str, Any],  # noqa: F811
    seats: Any,
    shuffle: Any,
    paid: Any,
) -> None:
    """The guest page hands the bill the lines it read (in any order): the same check as
    the one ``party_bill`` reads itself, allocation of every payment included."""
    party = Party.objects.filter(status=PartyStatus.SEATED).first()
    if party is None:
        party_id = api(world.owner).post("/api/v1/floor/parties", {"table": "12", "seats": 3})
        party = Party.objects.get(pk=party_id.json()["id"])
    order = Order.objects.filter(party=party).first()
    if order is None:
        lines = [{"item": terrace["pancake"].pk, "seat": 1}]
        r = api(world.owner).post("/api/v1/orders", {"party_id": party.pk, "lines": lines})
        order = Order.objects.get(pk=r.json()["id"])
    OrderLine.objects.filter(order=order).delete()
    Payment.objects.filter(party=party).delete()
    for n, seat in enumerate(seats):
        OrderLine.objects.create(
            order=order,
            business_id=party.business_id,
            item=terrace["pancake"],
            seat=seat,
            price_cents=100 * (n + 1),
            quantity=1,
        )
    for amount, on in paid[:3]:
        Payment.objects.create(
            business_id=party.business_id,
            party=party,
            amount_cents=amount,
            seats=on,
            method="card",
            taken_by=world.owner,
        )
    read = list(OrderLine.objects.select_related("item").filter(order__party=party))
    shuffle.shuffle(read)
    assert party_bill(party=party, lines=read).as_json() == party_bill(party=party).as_json()


# --- the console: the bill page, paying, closing in two taps, firing from the card ---------


def test_the_host_pays_per_seat_splits_the_rest_and_closes_after_confirming(
    world: World, login: Any, table12: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    party = table12["party"]
    host = login(world.owner)
    host.cookies["django_language"] = "en"
    base = f"/console/floor/parties/{party.pk}"
    with django_assert_max_num_queries(12):
        page = host.get(base + "/bill/")
    assert page.status_code == 200 and "Pay seat 1" in page.content.decode()
    # The running check is on the order page too.
    assert "€30.00" in host.get(base + "/order/").content.decode()
    assert (
        host.post(base + "/pay/", {"seat": "1", "method": "card", "tip": "1,50"}).status_code == 302
    )
    assert host.post(base + "/pay/", {"split": "2", "method": "cash"}).status_code == 302
    bill = party_bill_json(party)
    assert (bill["paid_cents"], bill["tip_cents"], bill["due_cents"]) == (1500 + 750, 150, 750)
    # Too much: refused in place, nothing recorded.
    refused = host.post(base + "/pay/", {"amount": "7,51", "method": "card"})
    assert refused.status_code == 409 and "Only €7.50 is due" in refused.content.decode()
    assert Payment.objects.count() == 2
    assert host.post(base + "/pay/", {"amount": "7,50", "method": "other"}).status_code == 302
    # The first tap asks; the open lines are listed.
    ask = host.post(base + "/close/")
    assert ask.status_code == 200 and "Close table 12?" in ask.content.decode()
    assert Party.objects.get(pk=party.pk).status == PartyStatus.SEATED
    # Confirmed without voiding: refused, still seated.
    assert host.post(base + "/close/", {"confirm": "1"}).status_code == 409
    done = host.post(base + "/close/", {"confirm": "1", "void": "1", "reason": "Kitchen closed"})
    assert done.status_code == 302
    assert Party.objects.get(pk=party.pk).status == PartyStatus.LEFT


def test_one_tap_on_the_floor_card_fires_the_next_course(
    world: World, login: Any, api: Any, table12: dict[str, Any]
) -> None:
    party = table12["party"]
    ice = CatalogItem.objects.create(
        business=world.x, name="IJs", price_cents=450, station=table12["bar"], course="dessert"
    )
    api(world.owner).post("/api/v1/orders", {"party_id": party.pk, "lines": [{"item": ice.pk}]})
    host = login(world.owner)
    host.cookies["django_language"] = "en"
    floor = host.get("/console/floor/").content.decode()
    assert "Fire: Dessert" in floor and "Bill €" in floor
    assert host.post(f"/console/floor/parties/{party.pk}/fire/").status_code == 302
    assert OrderLine.objects.get(item=ice).status == LineStatus.RECEIVED
    assert "Fire: Dessert" not in host.get("/console/floor/").content.decode()


def party_bill_json(party: Party) -> dict[str, Any]:
    from klantstuur.floor.bill import party_bill

    return party_bill(party=party).as_json()


# --- the pass: a whole table in one go, a refusal keeps what was typed -----------------------


def test_the_runner_serves_a_whole_table_at_once_and_a_refusal_keeps_the_typed_table(
    world: World, login: Any, table12: dict[str, Any]
) -> None:
    party = table12["party"]
    seated = OrderLine.objects.filter(order__party=party, seat__isnull=False).order_by("id")
    for line in seated:
        line.status = LineStatus.READY
        line.save(update_fields=["status"])
    runner = login(world.colleague)
    runner.cookies["django_language"] = "en"
    page = runner.get("/console/floor/runner/").content.decode()
    assert "Serve all 3 plates for table 12, each at its seat" in page
    first = seated[0]
    refused = runner.post(
        f"/console/floor/lines/{first.pk}/deliver/", {"table": "21"}, HTTP_HX_REQUEST="true"
    )
    assert refused.status_code == 409
    assert 'value="21"' in refused.content.decode()  # corrected, not retyped
    r = runner.post("/console/floor/runner/serve-table/", {"table": "12"}, HTTP_HX_REQUEST="true")
    assert r.status_code == 200
    statuses = OrderLine.objects.filter(order__party=party).order_by("id")
    assert [(x.seat, x.status) for x in statuses] == [
        (1, "served"),
        (1, "served"),
        (2, "served"),
        (None, "received"),
    ]

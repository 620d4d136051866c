"""The staff side of the core table: needs, timeline, messages, handoffs, remedies,
resolutions. Every refusal also asserts that nothing changed."""

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from klantstuur.needs import selectors, services
from klantstuur.needs.models import Handoff, JournalEvent, Need, Remedy
from tests.conftest import ApiClient
from tests.helpers import API, assert_error, kinds, open_need, same_time, snapshot


@pytest.fixture
def need(world: Any) -> Need:
    """Customer A's question; the owner (fewest needs, lowest id) owns it."""
    opened = open_need(world.customer_a)
    assert opened.owner_id == world.owner.pk
    return opened


def offer(world: Any, need: Need, to: Any = None) -> Handoff:
    return services.handoff_offer(
        staff=world.owner, need=need, to_staff=to or world.colleague, reason="Cor knows this"
    )


# --- opening ----------------------------------------------------------------------


def test_it_opens_a_need_with_an_owner_at_once(world: Any, api: Any) -> None:
    r = api(world.colleague).post(
        f"{API}/needs",
        {
            "customer_id": world.customer_a.pk,
            "kind": "complaint",
            "summary": "Cold pancakes",
            "goal": "A warm lunch",
        },
    )
    assert r.status_code == 201, r.content
    body = r.json()
    need = Need.objects.get(pk=body["id"])
    assert body["owner"] == {"id": world.owner.pk, "name": "Olga Owner"}
    assert body["customer_id"] == world.customer_a.pk
    assert (body["kind"], body["summary"], body["goal"], body["status"]) == (
        "complaint",
        "Cold pancakes",
        "A warm lunch",
        "open",
    )
    assert (body["contacts"], body["handoffs"], body["reopens"]) == (1, 0, 0)
    assert body["experience_index"] is None
    assert body["promise"] is None
    assert same_time(body["created_at"], need.created_at)
    assert need.business_id == world.x.pk
    event = JournalEvent.objects.get(need=need)
    assert event.kind == "need_opened"
    assert event.actor_staff_id == world.colleague.pk
    assert event.data["owner"] == {"id": world.owner.pk, "name": "Olga Owner"}


def test_it_does_not_count_a_proactive_need_as_a_contact(world: Any, api: Any) -> None:
    r = api(world.owner).post(
        f"{API}/needs",
        {
            "customer_id": world.customer_a.pk,
            "kind": "order",
            "summary": "Delay",
            "proactive": True,
        },
    )
    assert r.status_code == 201
    assert r.json()["contacts"] == 0
    assert JournalEvent.objects.get(need_id=r.json()["id"]).data["proactive"] is True


def test_it_hides_another_businesss_customer_when_opening(world: Any, api: Any) -> None:
    before = snapshot()
    r = api(world.owner).post(
        f"{API}/needs", {"customer_id": world.customer_y.pk, "kind": "question", "summary": "x"}
    )
    assert_error(r, 404, "customer_id")
    assert snapshot() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "question", "summary": "x"}, "customer_id"),
        ({"customer_id": "{a}", "kind": "question", "summary": "x"}, "customer_id"),
        ({"customer_id": True, "kind": "question", "summary": "x"}, "customer_id"),
        ({"customer_id": 1.5, "kind": "question", "summary": "x"}, "customer_id"),
        ({"customer_id": "{a}x", "summary": "x"}, "kind"),
        ({"customer_id": "{a}x", "kind": "wish", "summary": "x"}, "kind"),
        ({"customer_id": "{a}x", "kind": "question"}, "summary"),
        ({"customer_id": "{a}x", "kind": "question", "summary": ""}, "summary"),
        ({"customer_id": "{a}x", "kind": "question", "summary": "   "}, "summary"),
        ({"customer_id": "{a}x", "kind": "question", "summary": "x" * 301}, "summary"),
        ({"customer_id": "{a}x", "kind": "question", "summary": ["x"]}, "summary"),
        ({"customer_id": "{a}x", "kind": "question", "summary": "a\x00b"}, "summary"),
        ({"customer_id": "{a}x", "kind": "question", "summary": "x", "goal": "g" * 10_001}, "goal"),
        (
            {"customer_id": "{a}x", "kind": "question", "summary": "x", "proactive": "yes"},
            "proactive",
        ),
        ({"customer_id": "{a}x", "kind": "question", "summary": "x", "owner_id": 1}, "owner_id"),
    ],
)
def test_it_refuses_bad_need_input(world: Any, api: Any, body: dict[str, Any], field: str) -> None:
    body = dict(body)
    if body.get("customer_id") == "{a}x":
        body["customer_id"] = world.customer_a.pk
    elif body.get("customer_id") == "{a}":
        body["customer_id"] = str(world.customer_a.pk)
    before = snapshot()
    r = api(world.owner).post(f"{API}/needs", body)
    assert_error(r, 422, field)
    assert snapshot() == before


def test_it_refuses_a_malformed_or_huge_body(world: Any, api: Any) -> None:
    client = api(world.owner)
    before = snapshot()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {client.token}"}
    r = client.client.post(f"{API}/needs", "{", content_type="application/json", **auth)
    assert_error(r, 400, "body")
    r = client.client.post(f"{API}/needs", "[1]", content_type="application/json", **auth)
    assert_error(r, 422, "body")
    r = client.client.post(f"{API}/needs", "", content_type="application/json", **auth)
    assert_error(r, 422, "body")
    huge = {"customer_id": world.customer_a.pk, "kind": "question", "summary": "x" * 3_000_000}
    assert_error(client.post(f"{API}/needs", huge), 400, "body")
    assert snapshot() == before


# --- listing ----------------------------------------------------------------------


@pytest.fixture
def several(world: Any) -> dict[str, Need]:
    """Five needs in X in different states and with different owners, and one in Y."""
    a1 = open_need(world.customer_a, summary="a1")
    a2 = open_need(world.customer_a, summary="a2")
    b1 = open_need(world.customer_b, summary="b1")  # least loaded: the colleague
    b2 = open_need(world.customer_b, summary="b2")
    services.resolution_propose(staff=world.owner, need=a2, summary="done")
    services.need_cancel(customer=world.customer_b, need=b2)
    y1 = open_need(world.customer_y, summary="y1")
    return {"a1": a1, "a2": a2, "b1": b1, "b2": b2, "y1": y1}


def _summaries(response: Any) -> list[str]:
    assert response.status_code == 200, response.content
    return [n["summary"] for n in response.json()["items"]]


def test_it_lists_my_businesss_needs_newest_first(world: Any, api: Any, several: Any) -> None:
    r = api(world.owner).get(f"{API}/needs")
    assert _summaries(r) == ["b2", "b1", "a2", "a1"]
    assert r.json()["count"] == 4
    assert r.json()["items"][1]["owner"] == {"id": world.colleague.pk, "name": "Cor Colleague"}
    assert _summaries(api(world.stranger).get(f"{API}/needs")) == ["y1"]


def test_it_filters_needs(world: Any, api: Any, several: Any) -> None:
    client = api(world.owner)
    assert several["b1"].owner_id == world.colleague.pk
    assert several["b2"].owner_id == world.colleague.pk
    assert _summaries(client.get(f"{API}/needs", status="open")) == ["b1", "a1"]
    assert _summaries(client.get(f"{API}/needs", status="awaiting_customer")) == ["a2"]
    assert _summaries(client.get(f"{API}/needs", status="cancelled")) == ["b2"]
    assert _summaries(client.get(f"{API}/needs", status="solved")) == []
    assert _summaries(client.get(f"{API}/needs", owner="me")) == ["a2", "a1"]
    assert _summaries(api(world.colleague).get(f"{API}/needs", owner="me")) == ["b2", "b1"]
    assert _summaries(client.get(f"{API}/needs", owner=str(world.colleague.pk))) == ["b2", "b1"]
    assert _summaries(client.get(f"{API}/needs", owner=str(world.stranger.pk))) == []
    assert _summaries(client.get(f"{API}/needs", customer_id=world.customer_b.pk)) == ["b2", "b1"]
    assert _summaries(client.get(f"{API}/needs", customer_id=world.customer_y.pk)) == []
    combined = client.get(
        f"{API}/needs", status="open", owner="me", customer_id=world.customer_a.pk
    )
    assert _summaries(combined) == ["a1"]
    assert combined.json()["count"] == 1


def test_it_paginates_needs(world: Any, api: Any, several: Any) -> None:
    client = api(world.owner)
    r = client.get(f"{API}/needs", limit=2)
    assert (_summaries(r), r.json()["count"]) == (["b2", "b1"], 4)
    r = client.get(f"{API}/needs", limit=2, offset=2)
    assert (_summaries(r), r.json()["count"]) == (["a2", "a1"], 4)
    r = client.get(f"{API}/needs", limit=2, offset=10)
    assert (_summaries(r), r.json()["count"]) == ([], 4)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "closed"}, "status"),
        ({"owner": "someone"}, "owner"),
        ({"owner": "-1"}, "owner"),
        ({"owner": "²"}, "owner"),
        ({"owner": "99999999999999999999999"}, "owner"),
        ({"customer_id": "abc"}, "customer_id"),
        ({"customer_id": "99999999999999999999999"}, "customer_id"),
        ({"limit": "0"}, "limit"),
        ({"limit": "201"}, "limit"),
        ({"limit": "many"}, "limit"),
        ({"offset": "-1"}, "offset"),
    ],
)
def test_it_refuses_bad_list_filters(world: Any, api: Any, params: Any, field: str) -> None:
    assert_error(api(world.owner).get(f"{API}/needs", **params), 422, field)


def test_it_lists_many_needs_in_a_bounded_number_of_queries(
    world: Any, api: Any, django_assert_max_num_queries: Any
) -> None:
    for i in range(40):
        open_need(world.customer_a if i % 2 else world.customer_b, summary=f"n{i}")
    client = api(world.owner)
    with django_assert_max_num_queries(7):
        body = client.get(f"{API}/needs", limit=100).json()
    assert body["count"] == 40
    assert len(body["items"]) == 40
    assert {n["owner"]["name"] for n in body["items"]} == {"Olga Owner", "Cor Colleague"}


# --- one need -----------------------------------------------------------------------


def test_it_shows_one_need_with_its_figures(world: Any, api: Any, need: Need) -> None:
    services.message_post_by_customer(customer=world.customer_a, need=need, body="Hello?")
    services.handoff_accept(staff=world.colleague, handoff=offer(world, need))
    r = api(world.owner).get(f"{API}/needs/{need.pk}")
    assert r.status_code == 200
    body = r.json()
    need.refresh_from_db()
    assert body == {
        "id": need.pk,
        "customer_id": world.customer_a.pk,
        "kind": "question",
        "summary": "Where is my order?",
        "goal": "",
        "status": "open",
        "owner": {"id": world.colleague.pk, "name": "Cor Colleague"},
        "promise": None,
        "created_at": body["created_at"],
        "updated_at": body["updated_at"],
        "contacts": 2,
        "handoffs": 1,
        "reopens": 0,
        "experience_index": None,
        "resolution_summary": "",
        "proposed_at": None,
        "autoconfirm_at": None,
        "solved_at": None,
        "waiting_since": body["waiting_since"],
    }
    assert same_time(body["created_at"], need.created_at)
    assert same_time(body["waiting_since"], need.waiting_since)


def test_it_shows_the_promise_when_there_is_one(world: Any, api: Any, need: Need) -> None:
    due = timezone.now() + timedelta(hours=2)
    Need.objects.filter(pk=need.pk).update(promise_due_at=due, promise_text="Before 14:00")
    body = api(world.owner).get(f"{API}/needs/{need.pk}").json()
    assert body["promise"]["text"] == "Before 14:00"
    assert same_time(body["promise"]["due_at"], due)


def test_it_hides_needs_of_another_business(world: Any, api: Any, need: Need) -> None:
    assert_error(api(world.stranger).get(f"{API}/needs/{need.pk}"), 404)
    assert_error(api(world.owner).get(f"{API}/needs/99999999999999999999999"), 404)
    r = api(world.owner).get(f"{API}/needs/not-a-number")
    assert_error(r, 422, "need_id")


# --- timeline and messages ---------------------------------------------------------------


def test_it_shows_the_whole_timeline_to_staff_oldest_first(
    world: Any, api: Any, need: Need
) -> None:
    client = api(world.owner)
    assert client.post(f"{API}/needs/{need.pk}/messages", {"body": "On its way"}).status_code == 201
    note = client.post(
        f"{API}/needs/{need.pk}/messages", {"body": "Courier late", "internal": True}
    )
    assert note.status_code == 201
    services.message_post_by_customer(customer=world.customer_a, need=need, body="Thanks")
    r = client.get(f"{API}/needs/{need.pk}/timeline")
    assert r.status_code == 200
    body = r.json()
    assert body["count"] == 4
    assert [(e["kind"], e["visible_to_customer"]) for e in body["items"]] == [
        ("need_opened", True),
        ("staff_message", True),
        ("internal_note", False),
        ("customer_message", True),
    ]
    assert body["items"][0]["actor"] == {
        "kind": "customer",
        "id": world.customer_a.pk,
        "name": "Anna A",
    }
    assert body["items"][1]["actor"] == {
        "kind": "staff",
        "id": world.owner.pk,
        "name": "Olga Owner",
    }
    assert body["items"][2]["data"] == {"body": "Courier late"}
    ats = [parse_datetime(e["at"]) for e in body["items"]]
    assert ats == sorted(ats)
    page = client.get(f"{API}/needs/{need.pk}/timeline", limit=2, offset=1).json()
    assert [e["kind"] for e in page["items"]] == ["staff_message", "internal_note"]
    assert page["count"] == 4


def test_it_reads_a_long_timeline_in_a_bounded_number_of_queries(
    world: Any, api: Any, need: Need, django_assert_max_num_queries: Any
) -> None:
    for i in range(20):
        services.message_post_by_customer(customer=world.customer_a, need=need, body=f"c{i}")
        services.message_post_by_staff(
            staff=world.colleague if i % 2 else world.owner, need=need, body=f"s{i}"
        )
    client = api(world.owner)
    with django_assert_max_num_queries(7):
        body = client.get(f"{API}/needs/{need.pk}/timeline", limit=200).json()
    assert body["count"] == 41
    assert {e["actor"]["name"] for e in body["items"]} == {"Anna A", "Olga Owner", "Cor Colleague"}


def test_it_posts_a_reply_to_the_customer(world: Any, api: Any, need: Need) -> None:
    services.message_post_by_customer(customer=world.customer_a, need=need, body="Hello?")
    r = api(world.owner).post(f"{API}/needs/{need.pk}/messages", {"body": "  Tomorrow.  "})
    assert r.status_code == 201
    body = r.json()
    assert (body["kind"], body["visible_to_customer"], body["data"]) == (
        "staff_message",
        True,
        {"body": "Tomorrow."},
    )
    assert body["actor"] == {"kind": "staff", "id": world.owner.pk, "name": "Olga Owner"}
    need.refresh_from_db()
    assert need.waiting_since is None
    assert need.contacts == 2


def test_it_lets_a_colleague_reply_without_changing_the_owner(
    world: Any, api: Any, need: Need
) -> None:
    r = api(world.colleague).post(f"{API}/needs/{need.pk}/messages", {"body": "I'll look"})
    assert r.status_code == 201
    need.refresh_from_db()
    assert need.owner_id == world.owner.pk


def test_it_keeps_internal_notes_from_the_customer(world: Any, api: Any, need: Need) -> None:
    r = api(world.owner).post(
        f"{API}/needs/{need.pk}/messages", {"body": "VIP, be kind", "internal": True}
    )
    assert r.status_code == 201
    assert (r.json()["kind"], r.json()["visible_to_customer"]) == ("internal_note", False)
    assert kinds(need) == ["need_opened", "internal_note"]
    assert kinds(need, for_customer=True) == ["need_opened"]
    mine = api(world.customer_a).get(f"{API}/me/needs/{need.pk}/timeline").json()
    assert [e["kind"] for e in mine["items"]] == ["need_opened"]
    assert mine["count"] == 1


def test_it_refuses_a_reply_on_a_closed_need_but_takes_a_note(
    world: Any, api: Any, need: Need
) -> None:
    services.need_cancel(customer=world.customer_a, need=need)
    before = snapshot(need)
    assert_error(api(world.owner).post(f"{API}/needs/{need.pk}/messages", {"body": "Hi"}), 409)
    assert snapshot(need) == before
    r = api(world.owner).post(f"{API}/needs/{need.pk}/messages", {"body": "Fyi", "internal": True})
    assert r.status_code == 201


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "body"),
        ({"body": ""}, "body"),
        ({"body": "   "}, "body"),
        ({"body": 5}, "body"),
        ({"body": "x" * 10_001}, "body"),
        ({"body": "hi", "internal": "no"}, "internal"),
        ({"body": "hi", "internal": 0}, "internal"),
        ({"body": "hi", "to": "all"}, "to"),
    ],
)
def test_it_refuses_bad_messages(world: Any, api: Any, need: Need, body: Any, field: str) -> None:
    before = snapshot(need)
    assert_error(api(world.owner).post(f"{API}/needs/{need.pk}/messages", body), 422, field)
    assert snapshot(need) == before


# --- handoffs ------------------------------------------------------------------------------


def test_it_offers_a_handoff_without_moving_the_owner(world: Any, api: Any, need: Need) -> None:
    r = api(world.owner).post(
        f"{API}/needs/{need.pk}/handoffs",
        {"to_staff_id": world.colleague.pk, "reason": "Cor handles returns"},
    )
    assert r.status_code == 201, r.content
    body = r.json()
    handoff = Handoff.objects.get()
    assert body["id"] == handoff.pk
    assert body["status"] == "offered"
    assert body["need_id"] == need.pk
    assert body["from_staff"] == {"id": world.owner.pk, "name": "Olga Owner"}
    assert body["to_staff"] == {"id": world.colleague.pk, "name": "Cor Colleague"}
    assert body["owner"] == {"id": world.owner.pk, "name": "Olga Owner"}
    assert body["answered_at"] is None
    assert parse_datetime(body["expires_at"]) - parse_datetime(body["created_at"]) == timedelta(
        minutes=120
    )
    need.refresh_from_db()
    assert (need.owner_id, need.handoffs) == (world.owner.pk, 0)
    assert kinds(need) == ["need_opened", "handoff_offered"]
    assert kinds(need, for_customer=True) == ["need_opened"]
    detail = api(world.owner).get(f"{API}/needs/{need.pk}").json()
    assert detail["owner"]["id"] == world.owner.pk


def test_it_allows_one_open_offer_per_need(world: Any, api: Any, need: Need) -> None:
    offer(world, need)
    before = snapshot(need)
    r = api(world.owner).post(
        f"{API}/needs/{need.pk}/handoffs", {"to_staff_id": world.lead.pk, "reason": "or Lea"}
    )
    assert_error(r, 409)
    assert snapshot(need) == before


def test_it_lets_only_the_owner_offer_a_handoff(world: Any, api: Any, need: Need) -> None:
    before = snapshot(need)
    r = api(world.colleague).post(
        f"{API}/needs/{need.pk}/handoffs", {"to_staff_id": world.lead.pk, "reason": "mine now"}
    )
    body = assert_error(r, 403)
    assert body["owner"] == {"id": world.owner.pk, "name": "Olga Owner"}
    assert "Olga Owner" in body["detail"]
    assert snapshot(need) == before


@pytest.mark.parametrize(
    ("to", "field"),
    [
        ("owner", "to_staff_id"),
        ("stranger", "to_staff_id"),
        ("carrier", "to_staff_id"),
        (987654321, "to_staff_id"),
        (99999999999999999999999, "to_staff_id"),
        ("1", "to_staff_id"),
        (None, "to_staff_id"),
    ],
)
def test_it_refuses_a_handoff_to_nobody_valid(
    world: Any, api: Any, need: Need, to: Any, field: str
) -> None:
    target = getattr(world, to).pk if isinstance(to, str) and not to.isdigit() else to
    before = snapshot(need)
    r = api(world.owner).post(
        f"{API}/needs/{need.pk}/handoffs", {"to_staff_id": target, "reason": "why not"}
    )
    assert_error(r, 422, field)
    assert snapshot(need) == before


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"reason": "x"},
        {"to_staff_id": "{c}"},
        {"to_staff_id": "{c}", "reason": ""},
        {"to_staff_id": "{c}", "reason": "x" * 2001},
        {"to_staff_id": "{c}", "reason": "x", "at": 1},
    ],
)
def test_it_refuses_bad_handoff_input(world: Any, api: Any, need: Need, body: Any) -> None:
    body = {k: (world.colleague.pk if v == "{c}" else v) for k, v in body.items()}
    before = snapshot(need)
    r = api(world.owner).post(f"{API}/needs/{need.pk}/handoffs", body)
    assert_error(r, 422)
    assert snapshot(need) == before


def test_it_may_hand_off_to_the_kitchen(world: Any, api: Any, need: Need) -> None:
    r = api(world.owner).post(
        f"{API}/needs/{need.pk}/handoffs", {"to_staff_id": world.kitchen.pk, "reason": "chef"}
    )
    assert r.status_code == 201
    r = api(world.kitchen).post(f"{API}/handoffs/{r.json()['id']}/accept")
    assert r.status_code == 200
    assert r.json()["owner"] == {"id": world.kitchen.pk, "name": "Kim Kitchen"}


def test_it_moves_ownership_when_the_offered_colleague_accepts(
    world: Any, api: Any, need: Need
) -> None:
    handoff = offer(world, need)
    r = api(world.colleague).post(f"{API}/handoffs/{handoff.pk}/accept")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["status"] == "accepted"
    assert body["owner"] == {"id": world.colleague.pk, "name": "Cor Colleague"}
    assert body["answered_at"] is not None
    need.refresh_from_db()
    assert (need.owner_id, need.handoffs) == (world.colleague.pk, 1)
    accepted = JournalEvent.objects.get(need=need, kind="handoff_accepted")
    assert accepted.visible_to_customer is True
    assert accepted.data["from"] == {"id": world.owner.pk, "name": "Olga Owner"}
    assert accepted.data["to"] == {"id": world.colleague.pk, "name": "Cor Colleague"}
    # The old owner is now just a colleague; the new one acts.
    assert_error(
        api(world.owner).post(f"{API}/needs/{need.pk}/resolution", {"summary": "done"}), 403
    )
    r = api(world.colleague).post(f"{API}/needs/{need.pk}/resolution", {"summary": "done"})
    assert r.status_code == 200


@pytest.mark.parametrize("who", ["owner", "lead", "manager", "kitchen"])
def test_it_lets_only_the_offered_colleague_answer(
    world: Any, api: Any, need: Need, who: str
) -> None:
    handoff = offer(world, need)
    before = snapshot(need)
    client = api(getattr(world, who))
    body = assert_error(client.post(f"{API}/handoffs/{handoff.pk}/accept"), 403)
    assert "Cor Colleague" in body["detail"]
    assert_error(client.post(f"{API}/handoffs/{handoff.pk}/decline", {"reason": "no"}), 403)
    assert snapshot(need) == before
    assert Handoff.objects.get().status == "offered"


def test_it_hides_a_handoff_from_another_business(world: Any, api: Any, need: Need) -> None:
    handoff = offer(world, need)
    before = snapshot(need)
    client = api(world.stranger)
    assert_error(client.post(f"{API}/handoffs/{handoff.pk}/accept"), 404)
    assert_error(client.post(f"{API}/handoffs/{handoff.pk}/decline", {"reason": "no"}), 404)
    assert_error(api(world.colleague).post(f"{API}/handoffs/987654/accept"), 404)
    assert snapshot(need) == before


def test_it_keeps_the_owner_when_the_colleague_declines(world: Any, api: Any, need: Need) -> None:
    handoff = offer(world, need)
    r = api(world.colleague).post(f"{API}/handoffs/{handoff.pk}/decline", {"reason": "Not my area"})
    assert r.status_code == 200, r.content
    body = r.json()
    assert (body["status"], body["answer_reason"]) == ("declined", "Not my area")
    assert body["owner"] == {"id": world.owner.pk, "name": "Olga Owner"}
    need.refresh_from_db()
    assert (need.owner_id, need.handoffs) == (world.owner.pk, 0)
    assert kinds(need) == ["need_opened", "handoff_offered", "handoff_declined"]
    # Declined is final; a new offer is possible again.
    before = snapshot(need)
    assert_error(api(world.colleague).post(f"{API}/handoffs/{handoff.pk}/accept"), 409)
    assert snapshot(need) == before
    assert offer(world, need, world.lead).status == "offered"


def test_it_refuses_a_decline_without_a_reason(world: Any, api: Any, need: Need) -> None:
    handoff = offer(world, need)
    before = snapshot(need)
    client = api(world.colleague)
    assert_error(client.post(f"{API}/handoffs/{handoff.pk}/decline", {}), 422, "reason")
    assert_error(
        client.post(f"{API}/handoffs/{handoff.pk}/decline", {"reason": " "}), 422, "reason"
    )
    assert snapshot(need) == before


def test_it_refuses_to_accept_twice_or_after_expiry(world: Any, api: Any, need: Need) -> None:
    handoff = offer(world, need)
    assert api(world.colleague).post(f"{API}/handoffs/{handoff.pk}/accept").status_code == 200
    before = snapshot(need)
    assert_error(api(world.colleague).post(f"{API}/handoffs/{handoff.pk}/accept"), 409)
    assert snapshot(need) == before

    back = services.handoff_offer(staff=world.colleague, need=need, to_staff=world.lead, reason="x")
    services.handoffs_remind_and_expire(now=timezone.now() + timedelta(minutes=121))
    before = snapshot(need)
    body = assert_error(api(world.lead).post(f"{API}/handoffs/{back.pk}/accept"), 409)
    assert body["status"] == "expired"
    assert snapshot(need) == before
    assert Need.objects.get(pk=need.pk).owner_id == world.colleague.pk


def test_it_withdraws_an_open_offer_when_the_need_closes(world: Any, api: Any, need: Need) -> None:
    handoff = offer(world, need)
    services.need_cancel(customer=world.customer_a, need=need)
    assert Handoff.objects.get(pk=handoff.pk).status == "withdrawn"
    before = snapshot(need)
    assert_error(api(world.colleague).post(f"{API}/handoffs/{handoff.pk}/accept"), 409)
    assert snapshot(need) == before


def test_it_refuses_a_handoff_on_a_closed_need(world: Any, api: Any, need: Need) -> None:
    services.need_cancel(customer=world.customer_a, need=need)
    before = snapshot(need)
    r = api(world.owner).post(
        f"{API}/needs/{need.pk}/handoffs", {"to_staff_id": world.colleague.pk, "reason": "x"}
    )
    assert_error(r, 409)
    assert snapshot(need) == before


# --- remedies --------------------------------------------------------------------------------


def test_it_grants_a_remedy_within_authority(world: Any, api: Any, need: Need) -> None:
    r = api(world.owner).post(
        f"{API}/needs/{need.pk}/remedies",
        {"kind": "refund", "amount_cents": 2500, "note": "Cold pancakes"},
    )
    assert r.status_code == 201, r.content
    remedy = Remedy.objects.get()
    assert r.json() == {
        "id": remedy.pk,
        "need_id": need.pk,
        "kind": "refund",
        "amount_cents": 2500,
        "note": "Cold pancakes",
        "granted_by": {"id": world.owner.pk, "name": "Olga Owner"},
        "created_at": r.json()["created_at"],
    }
    event = JournalEvent.objects.get(need=need, kind="remedy_granted")
    assert event.data == {
        "remedy_id": remedy.pk,
        "kind": "refund",
        "amount_cents": 2500,
        "note": "Cold pancakes",
    }
    assert event.visible_to_customer is True


def test_it_grants_a_zero_cost_replacement(world: Any, api: Any, need: Need) -> None:
    r = api(world.owner).post(
        f"{API}/needs/{need.pk}/remedies", {"kind": "replacement", "amount_cents": 0}
    )
    assert r.status_code == 201
    assert Remedy.objects.get().note == ""


def test_it_refuses_a_remedy_above_authority_and_names_who_may(
    world: Any, api: Any, need: Need
) -> None:
    world.owner.user.language = "en"  # staff member who reads English
    world.owner.user.save(update_fields=["language"])
    before = snapshot(need)
    r = api(world.owner).post(
        f"{API}/needs/{need.pk}/remedies", {"kind": "refund", "amount_cents": 2501, "note": "x"}
    )
    body = assert_error(r, 403, "amount_cents")
    assert body["limit_cents"] == 2500
    assert [p["name"] for p in body["may_grant"]] == ["Lea Lead", "Max Manager"]
    assert body["may_grant"][0] == {
        "id": world.lead.pk,
        "name": "Lea Lead",
        "authority_cents": 50000,
    }
    assert "€25.00" in body["detail"]  # the API speaks English: English decimals (#14)
    assert "€25.01" in body["detail"]
    assert "Lea Lead" in body["detail"]
    assert snapshot(need) == before
    assert Remedy.objects.count() == 0
    assert not JournalEvent.objects.filter(kind="remedy_granted").exists()


def test_it_says_so_when_nobody_may_grant_the_amount(world: Any, api: Any, need: Need) -> None:
    before = snapshot(need)
    r = api(world.owner).post(
        f"{API}/needs/{need.pk}/remedies", {"kind": "goodwill", "amount_cents": 100_001}
    )
    body = assert_error(r, 403)
    assert body["may_grant"] == []
    assert snapshot(need) == before


def test_it_grants_more_after_a_handoff_to_the_lead(world: Any, api: Any, need: Need) -> None:
    services.handoff_accept(staff=world.lead, handoff=offer(world, need, world.lead))
    r = api(world.lead).post(
        f"{API}/needs/{need.pk}/remedies", {"kind": "credit", "amount_cents": 30000}
    )
    assert r.status_code == 201
    assert r.json()["granted_by"] == {"id": world.lead.pk, "name": "Lea Lead"}


def test_it_lets_only_the_owner_grant(world: Any, api: Any, need: Need) -> None:
    before = snapshot(need)
    r = api(world.manager).post(
        f"{API}/needs/{need.pk}/remedies", {"kind": "refund", "amount_cents": 100}
    )
    assert_error(r, 403)
    assert snapshot(need) == before


def test_it_refuses_a_remedy_on_a_closed_need(world: Any, api: Any, need: Need) -> None:
    services.need_cancel(customer=world.customer_a, need=need)
    before = snapshot(need)
    r = api(world.owner).post(
        f"{API}/needs/{need.pk}/remedies", {"kind": "refund", "amount_cents": 100}
    )
    assert_error(r, 409)
    assert snapshot(need) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "refund", "amount_cents": -1}, "amount_cents"),
        ({"kind": "refund", "amount_cents": True}, "amount_cents"),
        ({"kind": "refund", "amount_cents": False}, "amount_cents"),
        ({"kind": "refund", "amount_cents": "100"}, "amount_cents"),
        ({"kind": "refund", "amount_cents": 1.5}, "amount_cents"),
        ({"kind": "refund", "amount_cents": 10**30}, "amount_cents"),
        ({"kind": "refund"}, "amount_cents"),
        ({"amount_cents": 100}, "kind"),
        ({"kind": "cash", "amount_cents": 100}, "kind"),
        ({"kind": "refund", "amount_cents": 100, "note": "x" * 2001}, "note"),
        ({"kind": "refund", "amount_cents": 100, "approved_by": 1}, "approved_by"),
    ],
)
def test_it_refuses_bad_remedy_input(
    world: Any, api: Any, need: Need, body: Any, field: str
) -> None:
    before = snapshot(need)
    assert_error(api(world.owner).post(f"{API}/needs/{need.pk}/remedies", body), 422, field)
    assert snapshot(need) == before


# --- resolution ------------------------------------------------------------------------------


def test_it_proposes_a_resolution_and_awaits_the_customer(world: Any, api: Any, need: Need) -> None:
    r = api(world.owner).post(f"{API}/needs/{need.pk}/resolution", {"summary": "Sent again"})
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["status"] == "awaiting_customer"
    assert body["resolution_summary"] == "Sent again"
    assert body["solved_at"] is None
    proposed = parse_datetime(body["proposed_at"])
    assert parse_datetime(body["autoconfirm_at"]) - proposed == timedelta(days=7)  # type: ignore[operator]
    event = JournalEvent.objects.get(need=need, kind="resolution_proposed")
    assert event.data["summary"] == "Sent again"
    assert event.visible_to_customer is True


def test_it_lets_only_the_owner_propose(world: Any, api: Any, need: Need) -> None:
    before = snapshot(need)
    for who in (world.colleague, world.manager):
        body = assert_error(
            api(who).post(f"{API}/needs/{need.pk}/resolution", {"summary": "done"}), 403
        )
        assert body["owner"]["id"] == world.owner.pk
    assert snapshot(need) == before


def test_it_never_lets_staff_mark_a_need_solved(world: Any, api: Any, need: Need) -> None:
    client = api(world.owner)
    before = snapshot(need)
    r = client.post(f"{API}/needs/{need.pk}/resolution", {"summary": "x", "status": "solved"})
    assert_error(r, 422, "status")
    assert_error(client.post(f"{API}/me/needs/{need.pk}/confirm"), 403)
    assert snapshot(need) == before
    assert client.post(f"{API}/needs/{need.pk}/resolution", {"summary": "x"}).status_code == 200
    before = snapshot(need)
    assert_error(client.post(f"{API}/needs/{need.pk}/resolution", {"summary": "again"}), 409)
    assert_error(client.post(f"{API}/me/needs/{need.pk}/confirm"), 403)
    assert snapshot(need) == before
    assert before["need"]["status"] == "awaiting_customer"


@pytest.mark.parametrize("body", [{}, {"summary": ""}, {"summary": "x" * 2001}, {"summary": 1}])
def test_it_refuses_a_bad_resolution(world: Any, api: Any, need: Need, body: Any) -> None:
    before = snapshot(need)
    assert_error(api(world.owner).post(f"{API}/needs/{need.pk}/resolution", body), 422, "summary")
    assert snapshot(need) == before


# --- who may call what ----------------------------------------------------------------


STAFF_PATHS = [
    ("post", "/needs", "open"),
    ("get", "/needs", None),
    ("get", "/needs/{need}", None),
    ("get", "/needs/{need}/timeline", None),
    ("post", "/needs/{need}/messages", {"body": "hi"}),
    ("post", "/needs/{need}/messages", {"body": "hi", "internal": True}),
    ("post", "/needs/{need}/handoffs", "handoff"),
    ("post", "/handoffs/{handoff}/accept", {}),
    ("post", "/handoffs/{handoff}/decline", {"reason": "no"}),
    ("post", "/needs/{need}/remedies", {"kind": "refund", "amount_cents": 100}),
    ("post", "/needs/{need}/resolution", {"summary": "done"}),
]


def _call(client: ApiClient, world: Any, need: Need, method: str, path: str, body: Any) -> Any:
    handoff = Handoff.objects.filter(need=need).first()
    url = API + path.format(need=need.pk, handoff=handoff.pk if handoff else 0)
    if body == "open":
        body = {"customer_id": world.customer_a.pk, "kind": "question", "summary": "x"}
    elif body == "handoff":
        body = {"to_staff_id": world.lead.pk, "reason": "x"}
    return client.get(url) if method == "get" else client.post(url, body)


@pytest.fixture
def offered(world: Any) -> Need:
    """A need with an open offer to the colleague, for the handoff paths."""
    need = open_need(world.customer_a)
    offer(world, need)
    return need


@pytest.mark.parametrize(("method", "path", "body"), STAFF_PATHS)
def test_it_needs_a_valid_token(
    world: Any, api: Any, offered: Need, method: str, path: str, body: Any
) -> None:
    before = snapshot(offered)
    for client in (api(None), ApiClient("ks_nope"), ApiClient("")):
        r = _call(client, world, offered, method, path, body)
        assert_error(r, 401)
    assert snapshot(offered) == before


@pytest.mark.parametrize(("method", "path", "body"), STAFF_PATHS)
def test_it_refuses_customers_and_carriers(
    world: Any, api: Any, offered: Need, method: str, path: str, body: Any
) -> None:
    before = snapshot(offered)
    for who in (world.customer_a, world.customer_y, world.carrier):
        assert_error(_call(api(who), world, offered, method, path, body), 403)
    assert snapshot(offered) == before


@pytest.mark.parametrize(("method", "path", "body"), STAFF_PATHS)
def test_it_hides_business_xs_records_from_business_y(
    world: Any, api: Any, offered: Need, method: str, path: str, body: Any
) -> None:
    before = snapshot(offered)
    r = _call(api(world.stranger), world, offered, method, path, body)
    if path == "/needs" and method == "get":
        assert r.status_code == 200
        assert r.json() == {"items": [], "count": 0, "count_exact": True}
    else:
        assert_error(r, 404)
    assert snapshot(offered) == before


def test_it_refuses_inactive_users(world: Any, api: Any, need: Need) -> None:
    client = api(world.owner)
    world.owner.user.is_active = False
    world.owner.user.save(update_fields=["is_active"])
    assert_error(client.get(f"{API}/needs/{need.pk}"), 401)


def test_the_timeline_selector_hides_notes_from_customers(world: Any, need: Need) -> None:
    services.message_post_by_staff(staff=world.owner, need=need, body="n", internal=True)
    assert [e.kind for e in selectors.timeline(need=need, for_customer=True)] == ["need_opened"]


def test_it_caps_the_count_of_a_huge_list(world: Any, api: Any, monkeypatch: Any) -> None:
    from klantstuur.api import pagination
    from klantstuur.needs.services import need_open

    monkeypatch.setattr(pagination, "COUNT_CAP", 3)
    for n in range(5):
        need_open(customer=world.customer_a, kind="question", summary=f"q{n}")
    first = api(world.owner).get("/api/v1/needs", limit=2).json()
    assert (len(first["items"]), first["count"], first["count_exact"]) == (2, 3, False)
    last = api(world.owner).get("/api/v1/needs", limit=2, offset=4).json()
    assert (len(last["items"]), last["count"], last["count_exact"]) == (1, 5, True)

"""The customer's side of the core table: /api/v1/me/..."""

from datetime import timedelta
from typing import Any

import pytest
from django.utils.dateparse import parse_datetime

from klantstuur.customers.models import Customer
from klantstuur.needs import services
from klantstuur.needs.models import JournalEvent, Need
from tests.conftest import ApiClient
from tests.helpers import API, assert_error, kinds, open_need, same_time, snapshot


@pytest.fixture
def need(world: Any) -> Need:
    return open_need(world.customer_a)


def propose(world: Any, need: Need) -> Need:
    return services.resolution_propose(staff=need.owner, need=need, summary="Sent again")


# --- my record -----------------------------------------------------------------------


def test_it_shows_my_own_record(world: Any, api: Any) -> None:
    r = api(world.customer_a).get(f"{API}/me")
    assert r.status_code == 200
    body = r.json()
    assert body == {
        "id": world.customer_a.pk,
        "name": "Anna A",
        "email": "a@example.com",
        "phone": "",
        "language": "nl",
        "created_at": body["created_at"],
        "business": {"slug": "x", "name": "Business X"},
    }
    # The same person in business Y has a separate record.
    assert api(world.customer_y).get(f"{API}/me").json()["id"] == world.customer_y.pk


def test_it_lets_me_correct_my_record(world: Any, api: Any) -> None:
    r = api(world.customer_a).patch(
        f"{API}/me", {"name": "Anna Andersen", "phone": "+31 6 12", "language": "en"}
    )
    assert r.status_code == 200, r.content
    assert (r.json()["name"], r.json()["phone"], r.json()["language"]) == (
        "Anna Andersen",
        "+31 6 12",
        "en",
    )
    customer = Customer.objects.get(pk=world.customer_a.pk)
    assert (customer.name, customer.phone, customer.language) == ("Anna Andersen", "+31 6 12", "en")
    assert customer.email == "a@example.com"
    event = JournalEvent.objects.get(kind="customer_updated")
    assert event.customer_id == customer.pk
    assert event.actor_customer_id == customer.pk
    assert event.data["changed"] == ["language", "name", "phone"]
    assert event.data["before"]["name"] == "Anna A"
    assert customer.user.language == "en"  # type: ignore[union-attr]


def test_it_changes_my_email_unless_another_record_has_it(world: Any, api: Any) -> None:
    client = api(world.customer_a)
    r = client.patch(f"{API}/me", {"email": "Anna@New.example"})
    assert r.status_code == 200
    assert r.json()["email"] == "anna@new.example"
    before = snapshot()
    assert_error(client.patch(f"{API}/me", {"email": "B@example.com"}), 409, "email")
    assert snapshot() == before


def test_it_changes_nothing_for_an_empty_patch(world: Any, api: Any) -> None:
    before = snapshot()
    r = api(world.customer_a).patch(f"{API}/me", {})
    assert r.status_code == 200
    assert r.json()["name"] == "Anna A"
    assert snapshot() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": None}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"name": 3}, "name"),
        ({"email": "nope"}, "email"),
        ({"email": None}, "email"),  # the magic link goes there: no removing it
        ({"email": ""}, "email"),
        ({"email": "   "}, "email"),
        ({"phone": "ring ring"}, "phone"),
        ({"language": "fr"}, "language"),
        ({"business": "y"}, "business"),
        ({"id": 5}, "id"),
        ({"name": "A\x00"}, "name"),
    ],
)
def test_it_refuses_bad_corrections(world: Any, api: Any, body: Any, field: str) -> None:
    before = snapshot()
    assert_error(api(world.customer_a).patch(f"{API}/me", body), 422, field)
    assert snapshot() == before


# --- my needs ------------------------------------------------------------------------


def test_it_lists_only_my_needs_with_their_owners(world: Any, api: Any) -> None:
    a1 = open_need(world.customer_a, summary="a1")
    open_need(world.customer_b, summary="b1")
    a2 = open_need(world.customer_a, summary="a2")
    open_need(world.customer_y, summary="y1")
    propose(world, a1)
    r = api(world.customer_a).get(f"{API}/me/needs")
    assert r.status_code == 200
    body = r.json()
    assert body["count"] == 2
    assert [(n["id"], n["owner"]["name"]) for n in body["items"]] == [
        (a2.pk, "Olga Owner"),
        (a1.pk, "Olga Owner"),
    ]
    client = api(world.customer_a)
    assert [n["summary"] for n in client.get(f"{API}/me/needs", status="open").json()["items"]] == [
        "a2"
    ]
    page = client.get(f"{API}/me/needs", limit=1, offset=1).json()
    assert ([n["summary"] for n in page["items"]], page["count"]) == (["a1"], 2)
    assert_error(client.get(f"{API}/me/needs", status="weird"), 422, "status")
    assert_error(client.get(f"{API}/me/needs", limit=0), 422, "limit")
    assert [n["summary"] for n in api(world.customer_y).get(f"{API}/me/needs").json()["items"]] == [
        "y1"
    ]


def test_it_lists_many_of_my_needs_in_a_bounded_number_of_queries(
    world: Any, api: Any, django_assert_max_num_queries: Any
) -> None:
    for i in range(40):
        need = open_need(world.customer_a, summary=f"n{i}")
        if i % 3 == 0:
            to = world.owner if need.owner_id == world.colleague.pk else world.colleague
            services.handoff_accept(
                staff=to,
                handoff=services.handoff_offer(
                    staff=need.owner, need=need, to_staff=to, reason="x"
                ),
            )
    client = api(world.customer_a)
    with django_assert_max_num_queries(7):
        body = client.get(f"{API}/me/needs", limit=100).json()
    assert body["count"] == 40
    assert {n["owner"]["name"] for n in body["items"]} == {"Olga Owner", "Cor Colleague"}


def test_it_opens_a_need_for_me_with_an_owner(world: Any, api: Any) -> None:
    r = api(world.customer_a).post(
        f"{API}/me/needs",
        {"kind": "return", "summary": "Wrong size", "goal": "Fits before Saturday"},
    )
    assert r.status_code == 201, r.content
    body = r.json()
    need = Need.objects.get(pk=body["id"])
    assert need.customer_id == world.customer_a.pk
    assert body["owner"] == {"id": world.owner.pk, "name": "Olga Owner"}
    assert (body["status"], body["contacts"], body["goal"]) == ("open", 1, "Fits before Saturday")
    assert same_time(body["waiting_since"], need.created_at)
    event = JournalEvent.objects.get(need=need)
    assert (event.kind, event.actor_customer_id, event.actor_staff_id) == (
        "need_opened",
        world.customer_a.pk,
        None,
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"summary": "x"}, "kind"),
        ({"kind": "refund", "summary": "x"}, "kind"),
        ({"kind": "question"}, "summary"),
        ({"kind": "question", "summary": " "}, "summary"),
        ({"kind": "question", "summary": "x" * 301}, "summary"),
        ({"kind": "question", "summary": "x", "proactive": True}, "proactive"),
        ({"kind": "question", "summary": "x", "customer_id": 2}, "customer_id"),
        ({"kind": "question", "summary": "x", "goal": 7}, "goal"),
    ],
)
def test_it_refuses_bad_needs_from_me(world: Any, api: Any, body: Any, field: str) -> None:
    before = snapshot()
    assert_error(api(world.customer_a).post(f"{API}/me/needs", body), 422, field)
    assert snapshot() == before


def test_it_shows_my_need(world: Any, api: Any, need: Need) -> None:
    r = api(world.customer_a).get(f"{API}/me/needs/{need.pk}")
    assert r.status_code == 200
    assert (r.json()["id"], r.json()["owner"]["name"]) == (need.pk, "Olga Owner")


def test_it_shows_my_timeline_without_internal_notes(world: Any, api: Any, need: Need) -> None:
    services.message_post_by_staff(staff=world.owner, need=need, body="On its way")
    services.message_post_by_staff(staff=world.owner, need=need, body="Secret", internal=True)
    handoff = services.handoff_offer(
        staff=world.owner, need=need, to_staff=world.colleague, reason="Cor knows"
    )
    services.handoff_decline(staff=world.colleague, handoff=handoff, reason="I don't")
    handoff = services.handoff_offer(
        staff=world.owner, need=need, to_staff=world.lead, reason="Lea then"
    )
    services.handoff_accept(staff=world.lead, handoff=handoff)
    r = api(world.customer_a).get(f"{API}/me/needs/{need.pk}/timeline")
    assert r.status_code == 200
    body = r.json()
    assert [e["kind"] for e in body["items"]] == [
        "need_opened",
        "staff_message",
        "handoff_accepted",
    ]
    assert body["count"] == 3
    assert "Secret" not in r.content.decode()
    assert all(e["visible_to_customer"] for e in body["items"])
    assert body["items"][2]["data"]["to"] == {"id": world.lead.pk, "name": "Lea Lead"}
    assert len(kinds(need)) == 7


def test_it_reads_my_long_timeline_in_a_bounded_number_of_queries(
    world: Any, api: Any, need: Need, django_assert_max_num_queries: Any
) -> None:
    for i in range(20):
        services.message_post_by_customer(customer=world.customer_a, need=need, body=f"c{i}")
        services.message_post_by_staff(staff=world.owner, need=need, body=f"s{i}")
        services.message_post_by_staff(staff=world.owner, need=need, body=f"n{i}", internal=True)
    client = api(world.customer_a)
    with django_assert_max_num_queries(6):
        body = client.get(f"{API}/me/needs/{need.pk}/timeline", limit=200).json()
    assert body["count"] == 41
    assert {e["kind"] for e in body["items"]} == {
        "need_opened",
        "customer_message",
        "staff_message",
    }


def test_it_takes_my_message_as_another_contact(world: Any, api: Any, need: Need) -> None:
    services.message_post_by_staff(staff=world.owner, need=need, body="Answer")
    r = api(world.customer_a).post(f"{API}/me/needs/{need.pk}/messages", {"body": "Still nothing"})
    assert r.status_code == 201, r.content
    body = r.json()
    assert (body["kind"], body["data"], body["actor"]["kind"]) == (
        "customer_message",
        {"body": "Still nothing"},
        "customer",
    )
    need.refresh_from_db()
    assert need.contacts == 2
    assert need.owner_id == world.owner.pk
    assert need.waiting_since is not None


@pytest.mark.parametrize(
    "body", [{}, {"body": ""}, {"body": "x" * 10_001}, {"body": "x", "internal": True}, {"body": 1}]
)
def test_it_refuses_bad_messages_from_me(world: Any, api: Any, need: Need, body: Any) -> None:
    before = snapshot(need)
    assert_error(api(world.customer_a).post(f"{API}/me/needs/{need.pk}/messages", body), 422)
    assert snapshot(need) == before


def test_it_refuses_my_message_on_a_closed_need(world: Any, api: Any, need: Need) -> None:
    services.need_cancel(customer=world.customer_a, need=need)
    before = snapshot(need)
    r = api(world.customer_a).post(f"{API}/me/needs/{need.pk}/messages", {"body": "Hello?"})
    assert_error(r, 409)
    assert snapshot(need) == before


def test_it_solves_the_need_when_i_confirm(world: Any, api: Any, need: Need) -> None:
    propose(world, need)
    r = api(world.customer_a).post(f"{API}/me/needs/{need.pk}/confirm")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["status"] == "solved"
    assert body["autoconfirm_at"] is None
    need.refresh_from_db()
    assert same_time(body["solved_at"], need.solved_at)
    event = JournalEvent.objects.get(need=need, kind="resolution_confirmed")
    assert (event.actor_customer_id, event.data) == (
        world.customer_a.pk,
        {"auto": False, "summary": "Sent again"},
    )


def test_it_refuses_to_confirm_what_was_not_proposed(world: Any, api: Any, need: Need) -> None:
    before = snapshot(need)
    body = assert_error(api(world.customer_a).post(f"{API}/me/needs/{need.pk}/confirm"), 409)
    assert body["status"] == "open"
    assert snapshot(need) == before


@pytest.mark.parametrize("after", ["proposal", "confirmation"])
def test_it_reopens_with_the_same_owner(world: Any, api: Any, need: Need, after: str) -> None:
    services.handoff_accept(
        staff=world.colleague,
        handoff=services.handoff_offer(
            staff=world.owner, need=need, to_staff=world.colleague, reason="x"
        ),
    )
    propose(world, Need.objects.get(pk=need.pk))
    if after == "confirmation":
        services.resolution_confirm(customer=world.customer_a, need=need)
    r = api(world.customer_a).post(f"{API}/me/needs/{need.pk}/reopen", {"reason": "Still broken"})
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["status"] == "open"
    assert body["owner"] == {"id": world.colleague.pk, "name": "Cor Colleague"}
    assert (body["reopens"], body["contacts"]) == (1, 2)
    assert (body["proposed_at"], body["autoconfirm_at"], body["solved_at"]) == (None, None, None)
    event = JournalEvent.objects.get(need=need, kind="need_reopened")
    assert event.data == {
        "reason": "Still broken",
        "owner": {"id": world.colleague.pk, "name": "Cor Colleague"},
    }


def test_it_refuses_to_reopen_an_open_need_or_without_a_reason(
    world: Any, api: Any, need: Need
) -> None:
    client = api(world.customer_a)
    before = snapshot(need)
    assert_error(client.post(f"{API}/me/needs/{need.pk}/reopen", {"reason": "x"}), 409)
    propose(world, need)
    before = snapshot(need)
    assert_error(client.post(f"{API}/me/needs/{need.pk}/reopen", {}), 422, "reason")
    assert_error(client.post(f"{API}/me/needs/{need.pk}/reopen", {"reason": ""}), 422, "reason")
    assert snapshot(need) == before


@pytest.mark.parametrize("state", ["open", "awaiting_customer"])
def test_it_lets_me_cancel(world: Any, api: Any, need: Need, state: str) -> None:
    if state == "awaiting_customer":
        propose(world, need)
    r = api(world.customer_a).post(f"{API}/me/needs/{need.pk}/cancel", {"reason": "Found it"})
    assert r.status_code == 200
    assert r.json()["status"] == "cancelled"
    assert r.json()["owner"]["id"] == world.owner.pk
    event = JournalEvent.objects.get(need=need, kind="need_cancelled")
    assert event.data == {"reason": "Found it"}
    r = api(world.customer_a).post(f"{API}/me/needs/{open_need(world.customer_a).pk}/cancel")
    assert r.status_code == 200


@pytest.mark.parametrize("state", ["solved", "cancelled"])
def test_it_refuses_to_cancel_a_closed_need(world: Any, api: Any, need: Need, state: str) -> None:
    propose(world, need)
    if state == "solved":
        services.resolution_confirm(customer=world.customer_a, need=need)
    else:
        services.need_cancel(customer=world.customer_a, need=need)
    before = snapshot(need)
    body = assert_error(api(world.customer_a).post(f"{API}/me/needs/{need.pk}/cancel"), 409)
    assert body["status"] == state
    assert snapshot(need) == before


def test_it_refuses_a_bad_cancel_reason(world: Any, api: Any, need: Need) -> None:
    before = snapshot(need)
    client = api(world.customer_a)
    assert_error(client.post(f"{API}/me/needs/{need.pk}/cancel", {"reason": "x" * 2001}), 422)
    assert_error(client.post(f"{API}/me/needs/{need.pk}/cancel", {"why": "x"}), 422, "why")
    assert snapshot(need) == before


# --- who may call what ---------------------------------------------------------------------

ME_PATHS = [
    ("get", "/me", None),
    ("patch", "/me", {"name": "Changed"}),
    ("get", "/me/needs", None),
    ("post", "/me/needs", {"kind": "question", "summary": "x"}),
    ("get", "/me/needs/{need}", None),
    ("get", "/me/needs/{need}/timeline", None),
    ("post", "/me/needs/{need}/messages", {"body": "hi"}),
    ("post", "/me/needs/{need}/confirm", {}),
    ("post", "/me/needs/{need}/reopen", {"reason": "again"}),
    ("post", "/me/needs/{need}/cancel", {}),
]
NEED_PATHS = [p for p in ME_PATHS if "{need}" in p[1]]


def _call(client: ApiClient, need: Need, method: str, path: str, body: Any) -> Any:
    url = API + path.format(need=need.pk)
    if method == "get":
        return client.get(url)
    return getattr(client, method)(url, body)


@pytest.mark.parametrize(("method", "path", "body"), ME_PATHS)
def test_it_needs_a_valid_customer_token(
    world: Any, api: Any, need: Need, method: str, path: str, body: Any
) -> None:
    propose(world, need)
    before = snapshot(need)
    for client in (api(None), ApiClient("ks_invalid")):
        assert_error(_call(client, need, method, path, body), 401)
    for staff in (world.owner, world.manager, world.carrier, world.stranger):
        assert_error(_call(api(staff), need, method, path, body), 403)
    assert snapshot(need) == before


@pytest.mark.parametrize(("method", "path", "body"), NEED_PATHS)
def test_it_hides_another_customers_need(
    world: Any, api: Any, need: Need, method: str, path: str, body: Any
) -> None:
    propose(world, need)
    before = snapshot(need)
    for other in (world.customer_b, world.customer_y):
        assert_error(_call(api(other), need, method, path, body), 404)
    assert snapshot(need) == before


def test_it_times_proposals_in_the_customers_view(world: Any, api: Any, need: Need) -> None:
    propose(world, need)
    body = api(world.customer_a).get(f"{API}/me/needs/{need.pk}").json()
    delta = parse_datetime(body["autoconfirm_at"]) - parse_datetime(body["proposed_at"])  # type: ignore[operator]
    assert delta == timedelta(days=7)

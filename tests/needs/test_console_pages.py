"""The staff console: every page and form, the happy path and the refusals."""

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from klantstuur.needs import services
from klantstuur.needs.models import (
    EventKind,
    Handoff,
    HandoffStatus,
    JournalEvent,
    Need,
    NeedStatus,
    Remedy,
)


def _need(
    world: Any, customer: Any = None, summary: str = "Cold pancake", owner: Any = None
) -> Need:
    """A need owned by ``owner`` (world.owner unless told), through a real handoff."""
    need = services.need_open(
        customer=customer or world.customer_a,
        kind="complaint",
        summary=summary,
        goal="A warm meal before we go home",
    )
    owner = owner or world.owner
    if need.owner_id != owner.pk:
        offer = services.handoff_offer(staff=need.owner, need=need, to_staff=owner, reason="Yours")
        need = services.handoff_accept(staff=owner, handoff=offer)
    return need


def _url(name: str, *args: int) -> str:
    return reverse(f"console:{name}", args=args)


def _events(need: Need, kind: str) -> list[JournalEvent]:
    return list(JournalEvent.objects.filter(need=need, kind=kind))


# --- access --------------------------------------------------------------------------


def test_it_sends_anonymous_visitors_to_the_login_page(world: Any) -> None:
    need = _need(world)
    for url in (_url("home"), _url("needs"), _url("need", need.pk)):
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"] == f"{_url('login')}?next={url}"


def test_it_records_nothing_for_an_anonymous_post(world: Any) -> None:
    need = _need(world)
    response = Client().post(_url("need_reply", need.pk), {"body": "hi"})
    assert response.status_code == 302
    assert _events(need, EventKind.STAFF_MESSAGE) == []


def test_it_refuses_a_customer_session(world: Any, login: Any) -> None:
    need = _need(world)
    client = login(world.customer_a)
    for url in (_url("home"), _url("needs"), _url("need", need.pk)):
        assert client.get(url).status_code == 403
    assert client.post(_url("need_reply", need.pk), {"body": "hi"}).status_code == 403
    assert _events(need, EventKind.STAFF_MESSAGE) == []


def test_it_refuses_a_carrier_account(world: Any, login: Any) -> None:
    need = _need(world)
    client = login(world.carrier)
    assert client.get(_url("home")).status_code == 403
    assert client.get(_url("need", need.pk)).status_code == 403
    assert client.post(_url("need_note", need.pk), {"body": "x"}).status_code == 403
    assert _events(need, EventKind.INTERNAL_NOTE) == []


def test_it_hides_another_business_need(world: Any, login: Any) -> None:
    need = _need(world)
    client = login(world.stranger)
    assert client.get(_url("need", need.pk)).status_code == 404
    for name, data in (
        ("need_reply", {"body": "hi"}),
        ("need_note", {"body": "hi"}),
        ("need_remedy", {"kind": "refund", "amount": "1"}),
        ("need_resolve", {"summary": "done"}),
        ("need_handoff", {"to_staff": world.stranger.pk, "reason": "x"}),
    ):
        assert client.post(_url(name, need.pk), data).status_code == 404
    assert JournalEvent.objects.filter(need=need).count() == 1


def test_it_logs_staff_in_with_email_and_password(world: Any) -> None:
    client = Client()
    response = client.post(
        _url("login"), {"username": " Owner@X.example ", "password": "test-password-123"}
    )
    assert response.status_code == 302
    assert response["Location"] == _url("home")
    assert client.get(_url("home")).status_code == 200


def test_it_refuses_a_wrong_password(world: Any) -> None:
    response = Client().post(_url("login"), {"username": "owner@x.example", "password": "nope"})
    assert response.status_code == 200
    assert "_auth_user_id" not in response.client.session


def test_it_logs_out(world: Any, login: Any) -> None:
    client = login(world.owner)
    response = client.post(_url("logout"))
    assert response.status_code == 302
    assert client.get(_url("home")).status_code == 302


# --- Mijn klanten ----------------------------------------------------------------------


def test_it_lists_my_needs_and_the_offers_to_me(world: Any, login: Any) -> None:
    mine = _need(world, summary="Mine, waiting")
    services.message_post_by_customer(customer=world.customer_a, need=mine, body="Hello?")
    other = _need(world, world.customer_b, summary="Offered to me")
    services.handoff_offer(staff=world.owner, need=other, to_staff=world.colleague, reason="Busy")
    response = login(world.owner).get(_url("home"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Mine, waiting" in body
    assert "Anna A" in body
    assert "Offered to me" in body  # still mine until accepted
    response = login(world.colleague).get(_url("home"))
    body = response.content.decode()
    assert list(response.context["page"].object_list) == []
    assert [h.pk for h, _form in response.context["offers"]] == [
        Handoff.objects.get(need=other, status=HandoffStatus.OFFERED).pk
    ]
    assert "Busy" in body


def test_it_paginates_my_needs(world: Any, login: Any) -> None:
    for i in range(27):
        _need(world, summary=f"Need {i}")
    client = login(world.owner)
    first = client.get(_url("home"))
    assert len(first.context["page"].object_list) == 25
    second = client.get(_url("home") + "?page=2")
    assert len(second.context["page"].object_list) == 2


def test_it_shows_my_customers_in_a_bounded_number_of_queries(
    world: Any, login: Any, django_assert_max_num_queries: Any
) -> None:
    customers = [world.customer_a, world.customer_b]
    for i in range(30):
        need = _need(world, customers[i % 2], summary=f"Need {i}")
        services.message_post_by_customer(customer=need.customer, need=need, body="?")
    for i in range(3):
        need = _need(world, world.customer_b, summary=f"Offer {i}", owner=world.colleague)
        services.handoff_offer(staff=world.colleague, need=need, to_staff=world.owner, reason="r")
    client = login(world.owner)
    with django_assert_max_num_queries(10):
        response = client.get(_url("home"))
    assert response.status_code == 200
    assert len(response.context["page"].object_list) == 25


# --- all needs of my business --------------------------------------------------------


def test_it_lists_and_filters_the_business_needs(world: Any, login: Any) -> None:
    a = _need(world, summary="First")
    _need(world, world.customer_b, summary="Second", owner=world.colleague)
    services.resolution_propose(staff=world.owner, need=a, summary="Done")
    _need(world, world.customer_y, summary="Other business", owner=world.stranger)
    client = login(world.lead)
    response = client.get(_url("needs"))
    assert [n.summary for n in response.context["page"].object_list] == ["Second", "First"]
    response = client.get(_url("needs"), {"status": NeedStatus.AWAITING_CUSTOMER})
    assert [n.summary for n in response.context["page"].object_list] == ["First"]
    response = client.get(_url("needs"), {"owner": world.colleague.pk})
    assert [n.summary for n in response.context["page"].object_list] == ["Second"]


def test_it_answers_an_unknown_status_filter_with_an_error(world: Any, login: Any) -> None:
    _need(world)
    response = login(world.owner).get(_url("needs"), {"status": "lost"})
    assert response.status_code == 422
    assert "status" in response.context["form"].errors


def test_it_lists_the_business_needs_in_a_bounded_number_of_queries(
    world: Any, login: Any, django_assert_max_num_queries: Any
) -> None:
    for i in range(30):
        _need(world, [world.customer_a, world.customer_b][i % 2], summary=f"Need {i}")
    client = login(world.owner)
    with django_assert_max_num_queries(10):
        response = client.get(_url("needs"))
    assert response.content.decode().count('class="need-row') == 25


# --- the need page ---------------------------------------------------------------------


def test_it_shows_the_need_with_its_full_timeline(world: Any, login: Any) -> None:
    need = _need(world)
    services.message_post_by_customer(customer=world.customer_a, need=need, body="Still cold")
    services.message_post_by_staff(
        staff=world.owner, need=need, body="Kitchen blamed", internal=True
    )
    response = login(world.colleague).get(_url("need", need.pk))
    assert response.status_code == 200
    body = response.content.decode()
    assert "A warm meal before we go home" in body
    assert "Still cold" in body
    assert "Kitchen blamed" in body
    assert "ev-internal_note" in body
    assert [e.kind for e in response.context["events"]] == [
        EventKind.NEED_OPENED,
        EventKind.CUSTOMER_MESSAGE,
        EventKind.INTERNAL_NOTE,
    ]


def test_it_shows_owner_forms_only_to_the_owner(world: Any, login: Any) -> None:
    need = _need(world)
    owner_page = login(world.owner).get(_url("need", need.pk))
    assert owner_page.context["is_owner"] is True
    assert "remedy_form" in owner_page.context
    assert _url("need_remedy", need.pk) in owner_page.content.decode()
    assert "€ 25,00" in owner_page.content.decode()  # my authority
    other_page = login(world.colleague).get(_url("need", need.pk))
    body = other_page.content.decode()
    for name in ("need_remedy", "need_handoff", "need_resolve"):
        assert _url(name, need.pk) not in body


def test_it_shows_the_need_page_in_a_bounded_number_of_queries(
    world: Any, login: Any, django_assert_max_num_queries: Any
) -> None:
    need = _need(world)
    for i in range(10):
        services.message_post_by_customer(customer=world.customer_a, need=need, body=f"c{i}")
        services.message_post_by_staff(
            staff=world.owner, need=need, body=f"s{i}", internal=i % 2 == 0
        )
    services.handoff_offer(staff=world.owner, need=need, to_staff=world.lead, reason="Above me")
    client = login(world.owner)
    with django_assert_max_num_queries(12):
        response = client.get(_url("need", need.pk))
    assert len(response.context["events"]) == 22


def test_it_posts_a_reply_and_redirects(world: Any, login: Any) -> None:
    need = _need(world)
    response = login(world.owner).post(_url("need_reply", need.pk), {"body": "On its way"})
    assert response.status_code == 302
    assert response["Location"] == _url("need", need.pk) + "#timeline"
    [event] = _events(need, EventKind.STAFF_MESSAGE)
    assert event.data == {"body": "On its way"}
    assert event.actor_staff_id == world.owner.pk
    need.refresh_from_db()
    assert need.waiting_since is None


def test_it_answers_an_htmx_reply_with_the_fresh_timeline(world: Any, login: Any) -> None:
    need = _need(world)
    response = login(world.owner).post(
        _url("need_reply", need.pk), {"body": "On its way"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="reply-form"' in body
    assert 'id="timeline"' in body and 'hx-swap-oob="true"' in body
    assert "On its way" in body
    assert len(_events(need, EventKind.STAFF_MESSAGE)) == 1


def test_it_keeps_an_empty_reply_with_an_error(world: Any, login: Any) -> None:
    need = _need(world)
    response = login(world.owner).post(_url("need_reply", need.pk), {"body": "   "})
    assert response.status_code == 422
    assert "body" in response.context["reply_form"].errors
    assert _events(need, EventKind.STAFF_MESSAGE) == []


def test_it_refuses_a_reply_on_a_closed_need_and_keeps_the_text(world: Any, login: Any) -> None:
    need = _need(world)
    services.need_cancel(customer=world.customer_a, need=need)
    response = login(world.owner).post(_url("need_reply", need.pk), {"body": "Hello again"})
    assert response.status_code == 409
    form = response.context["reply_form"]
    assert form.data["body"] == "Hello again"
    assert form.non_field_errors() == ["Deze vraag is afgesloten; de klant kan hem heropenen."]
    assert _events(need, EventKind.STAFF_MESSAGE) == []


def test_it_saves_an_internal_note(world: Any, login: Any) -> None:
    need = _need(world)
    response = login(world.colleague).post(_url("need_note", need.pk), {"body": "Table 21, not 12"})
    assert response.status_code == 302
    [event] = _events(need, EventKind.INTERNAL_NOTE)
    assert event.data == {"body": "Table 21, not 12"}
    assert event.visible_to_customer is False


def test_it_offers_a_handoff(world: Any, login: Any) -> None:
    need = _need(world)
    response = login(world.owner).post(
        _url("need_handoff", need.pk), {"to_staff": world.lead.pk, "reason": "Above my limit"}
    )
    assert response.status_code == 302
    handoff = Handoff.objects.get(need=need, status=HandoffStatus.OFFERED)
    assert (handoff.to_staff_id, handoff.reason, handoff.status) == (
        world.lead.pk,
        "Above my limit",
        HandoffStatus.OFFERED,
    )
    need.refresh_from_db()
    assert need.owner_id == world.owner.pk


def test_it_refuses_a_handoff_by_a_non_owner(world: Any, login: Any) -> None:
    need = _need(world)
    response = login(world.colleague).post(
        _url("need_handoff", need.pk), {"to_staff": world.lead.pk, "reason": "Mine now"}
    )
    assert response.status_code == 403
    assert "Alleen de eigenaar (Olga Owner)" in response.content.decode()
    assert not Handoff.objects.filter(status=HandoffStatus.OFFERED).exists()


def test_it_refuses_a_handoff_to_a_colleague_of_another_business(world: Any, login: Any) -> None:
    need = _need(world)
    response = login(world.owner).post(
        _url("need_handoff", need.pk), {"to_staff": world.stranger.pk, "reason": "x"}
    )
    assert response.status_code == 422
    assert "to_staff" in response.context["handoff_form"].errors
    assert not Handoff.objects.filter(status=HandoffStatus.OFFERED).exists()


def test_it_grants_a_remedy_in_euros(world: Any, login: Any) -> None:
    need = _need(world)
    response = login(world.owner).post(
        _url("need_remedy", need.pk), {"kind": "refund", "amount": "12,50", "note": "Soup"}
    )
    assert response.status_code == 302
    remedy = Remedy.objects.get(need=need)
    assert (remedy.kind, remedy.amount_cents, remedy.note, remedy.granted_by_id) == (
        "refund",
        1250,
        "Soup",
        world.owner.pk,
    )
    assert len(_events(need, EventKind.REMEDY_GRANTED)) == 1


def test_it_shows_the_authority_limit_beside_the_amount(world: Any, login: Any) -> None:
    need = _need(world)
    response = login(world.owner).post(
        _url("need_remedy", need.pk), {"kind": "refund", "amount": "30", "note": "Too much"}
    )
    assert response.status_code == 403
    form = response.context["remedy_form"]
    [message] = form.errors["amount"]
    assert "meer dan je bevoegdheid van €25,00" in message
    assert "Lea Lead" in message
    assert form.data["note"] == "Too much"
    assert 'id="id_amount_error"' in response.content.decode()
    assert not Remedy.objects.exists()
    assert _events(need, EventKind.REMEDY_GRANTED) == []


def test_it_refuses_an_amount_that_is_not_money(world: Any, login: Any) -> None:
    need = _need(world)
    response = login(world.owner).post(
        _url("need_remedy", need.pk), {"kind": "refund", "amount": "twelve"}
    )
    assert response.status_code == 422
    assert "amount" in response.context["remedy_form"].errors
    assert not Remedy.objects.exists()


def test_it_refuses_a_remedy_by_a_non_owner(world: Any, login: Any) -> None:
    need = _need(world)
    response = login(world.lead).post(
        _url("need_remedy", need.pk), {"kind": "refund", "amount": "1"}
    )
    assert response.status_code == 403
    assert not Remedy.objects.exists()


def test_it_proposes_a_resolution(world: Any, login: Any) -> None:
    need = _need(world)
    response = login(world.owner).post(_url("need_resolve", need.pk), {"summary": "New pancake"})
    assert response.status_code == 302
    need.refresh_from_db()
    assert (need.status, need.resolution_summary) == (NeedStatus.AWAITING_CUSTOMER, "New pancake")


def test_it_refuses_a_resolution_by_a_non_owner(world: Any, login: Any) -> None:
    need = _need(world)
    response = login(world.colleague).post(_url("need_resolve", need.pk), {"summary": "Done"})
    assert response.status_code == 403
    need.refresh_from_db()
    assert need.status == NeedStatus.OPEN
    assert _events(need, EventKind.RESOLUTION_PROPOSED) == []


# --- handoffs offered to me ------------------------------------------------------------


def _offer(world: Any) -> tuple[Need, Handoff]:
    need = _need(world)
    return need, services.handoff_offer(
        staff=world.owner, need=need, to_staff=world.colleague, reason="Busy terrace"
    )


def test_it_accepts_a_handoff(world: Any, login: Any) -> None:
    need, handoff = _offer(world)
    response = login(world.colleague).post(_url("handoff_accept", handoff.pk))
    assert response.status_code == 302
    assert response["Location"] == _url("need", need.pk)
    handoffs_before = need.handoffs
    need.refresh_from_db()
    assert (need.owner_id, need.handoffs) == (world.colleague.pk, handoffs_before + 1)
    handoff.refresh_from_db()
    assert handoff.status == HandoffStatus.ACCEPTED


def test_it_refuses_an_accept_by_someone_else(world: Any, login: Any) -> None:
    need, handoff = _offer(world)
    response = login(world.lead).post(_url("handoff_accept", handoff.pk))
    assert response.status_code == 403
    assert "Deze overdracht is aangeboden aan Cor Colleague." in response.content.decode()
    need.refresh_from_db()
    assert need.owner_id == world.owner.pk
    handoff.refresh_from_db()
    assert handoff.status == HandoffStatus.OFFERED


def test_it_hides_another_business_handoff(world: Any, login: Any) -> None:
    _, handoff = _offer(world)
    client = login(world.stranger)
    assert client.post(_url("handoff_accept", handoff.pk)).status_code == 404
    assert client.post(_url("handoff_decline", handoff.pk), {"reason": "no"}).status_code == 404
    handoff.refresh_from_db()
    assert handoff.status == HandoffStatus.OFFERED


def test_it_declines_a_handoff_with_a_reason(world: Any, login: Any) -> None:
    need, handoff = _offer(world)
    response = login(world.colleague).post(
        _url("handoff_decline", handoff.pk), {"reason": "Off now"}
    )
    assert response.status_code == 302
    handoff.refresh_from_db()
    assert (handoff.status, handoff.answer_reason) == (HandoffStatus.DECLINED, "Off now")
    need.refresh_from_db()
    assert need.owner_id == world.owner.pk


def test_it_needs_a_reason_to_decline(world: Any, login: Any) -> None:
    _, handoff = _offer(world)
    response = login(world.colleague).post(_url("handoff_decline", handoff.pk), {"reason": ""})
    assert response.status_code == 422
    [(shown, form)] = response.context["offers"]
    assert shown.pk == handoff.pk and "reason" in form.errors
    handoff.refresh_from_db()
    assert handoff.status == HandoffStatus.OFFERED


def test_it_accepts_from_the_need_page(world: Any, login: Any) -> None:
    need, handoff = _offer(world)
    client = login(world.colleague)
    page = client.get(_url("need", need.pk))
    assert _url("handoff_accept", handoff.pk) in page.content.decode()
    response = client.post(_url("handoff_accept", handoff.pk), {"from": "need"})
    assert response.status_code == 302
    need.refresh_from_db()
    assert need.owner_id == world.colleague.pk


def test_it_refuses_get_on_a_form_endpoint(world: Any, login: Any) -> None:
    need = _need(world)
    assert login(world.owner).get(_url("need_reply", need.pk)).status_code == 405


@pytest.mark.parametrize("language", ["nl", "en"])
def test_it_renders_in_both_languages(world: Any, login: Any, language: str) -> None:
    need = _need(world)
    client = login(world.owner)
    client.cookies["django_language"] = language
    response = client.get(_url("need", need.pk))
    assert response.status_code == 200
    assert f'<html lang="{language}">' in response.content.decode()

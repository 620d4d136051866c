"""The customer portal: magic links, my needs, one timeline, my details."""

import re
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from klantstuur.customers.models import Customer
from klantstuur.needs import services
from klantstuur.needs.models import EventKind, JournalEvent, Need, NeedStatus


def _need(world: Any, customer: Any = None, summary: str = "Cold pancake") -> Need:
    return services.need_open(
        customer=customer or world.customer_a, kind="complaint", summary=summary, goal="Warm food"
    )


def _url(name: str, *args: int) -> str:
    return reverse(f"portal:{name}", args=args)


def _events(need: Need, kind: str) -> list[JournalEvent]:
    return list(JournalEvent.objects.filter(need=need, kind=kind))


def _login_mails() -> list[Any]:
    return [m for m in mail.outbox if "/portal/magic/" in m.body]


# --- magic link ------------------------------------------------------------------------


def test_it_mails_a_magic_link_that_works_once(world: Any) -> None:
    client = Client()
    response = client.post(_url("login"), {"business": "x", "email": "A@Example.com"})
    assert response.status_code == 200
    [message] = _login_mails()
    assert message.to == ["a@example.com"]
    link = re.search(r"https?://\S+/portal/magic/\?t=\S+", message.body)
    assert link is not None
    path = link.group(0).split("://", 1)[1].split("/", 1)[1]
    response = client.get("/" + path)
    assert response.status_code == 302
    assert response["Location"] == _url("home")
    assert client.get(_url("home")).context["me"] == world.customer_a
    again = Client().get("/" + path)
    assert again.status_code == 403
    assert "_auth_user_id" not in again.client.session


def test_it_follows_a_safe_next_after_the_link(world: Any) -> None:
    need = _need(world)
    client = Client()
    client.post(
        _url("login"),
        {"business": "x", "email": "a@example.com", "next": _url("need", need.pk)},
    )
    [message] = _login_mails()
    path = re.search(r"/portal/magic/\?\S+", message.body).group(0)  # type: ignore[union-attr]
    response = client.get(path)
    assert response["Location"] == _url("need", need.pk)


def test_it_ignores_an_offsite_next(world: Any) -> None:
    from klantstuur.accounts.services import magic_link

    link = magic_link(customer=world.customer_a)
    path = link.split("127.0.0.1:8000", 1)[-1] if "127.0.0.1" in link else link
    response = Client().get(path + "&next=//evil.example/")
    assert response["Location"] == _url("home")


def test_it_answers_the_same_for_an_unknown_address(world: Any) -> None:
    known = Client().post(_url("login"), {"business": "x", "email": "a@example.com"})
    unknown = Client().post(_url("login"), {"business": "x", "email": "nobody@example.com"})
    wrong_business = Client().post(_url("login"), {"business": "y", "email": "b@example.com"})
    assert known.status_code == unknown.status_code == wrong_business.status_code == 200

    def text(response: Any) -> str:
        main = response.content.decode().split("<main", 1)[1].split("</main>", 1)[0]
        return main.replace("a@example.com", "E").replace("nobody@example.com", "E")

    assert text(known) == text(unknown)
    assert len(_login_mails()) == 1
    assert "/portal/magic/" not in known.content.decode()


def test_it_shows_the_link_on_screen_in_demo_mode(world: Any, settings: Any, capsys: Any) -> None:
    settings.DEMO_MODE = True
    response = Client().post(_url("login"), {"business": "x", "email": "a@example.com"})
    assert "/portal/magic/?t=" in response.content.decode()
    assert "/portal/magic/?t=" in capsys.readouterr().out


def test_it_presets_the_business_from_the_query(world: Any) -> None:
    response = Client().get(_url("login") + "?business=y")
    assert response.status_code == 200
    assert response.context["form"].initial["business"] == "y"


def test_it_refuses_a_forged_link(world: Any) -> None:
    response = Client().get(_url("magic") + "?t=forged")
    assert response.status_code == 403


# --- access --------------------------------------------------------------------------


def test_it_sends_anonymous_visitors_to_the_magic_link_page(world: Any) -> None:
    need = _need(world)
    for url in (_url("home"), _url("need", need.pk), _url("profile")):
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"] == f"{_url('login')}?next={url}"


def test_it_refuses_a_staff_session(world: Any, login: Any) -> None:
    need = _need(world)
    client = login(world.owner)
    for url in (_url("home"), _url("need", need.pk), _url("profile")):
        assert client.get(url).status_code == 403
    assert client.post(_url("need_message", need.pk), {"body": "x"}).status_code == 403
    assert _events(need, EventKind.CUSTOMER_MESSAGE) == []


def test_it_hides_another_customers_need(world: Any, login: Any) -> None:
    need = _need(world)
    services.resolution_propose(staff=need.owner, need=need, summary="Done")
    client = login(world.customer_b)
    assert client.get(_url("need", need.pk)).status_code == 404
    for name, data in (
        ("need_message", {"body": "hi"}),
        ("need_confirm", {}),
        ("need_reopen", {"reason": "no"}),
        ("need_cancel", {}),
    ):
        assert client.post(_url(name, need.pk), data).status_code == 404
    need.refresh_from_db()
    assert need.status == NeedStatus.AWAITING_CUSTOMER
    assert JournalEvent.objects.filter(need=need).count() == 2


# --- my needs ------------------------------------------------------------------------


def test_it_lists_my_needs_with_their_owner(world: Any, login: Any) -> None:
    mine = _need(world, summary="Mine")
    _need(world, world.customer_b, summary="Not mine")
    response = login(world.customer_a).get(_url("home"))
    assert [n.pk for n in response.context["page"].object_list] == [mine.pk]
    body = response.content.decode()
    assert "Olga Owner" in body
    assert "Not mine" not in body


def test_it_shows_portal_home_in_a_bounded_number_of_queries(
    world: Any, login: Any, django_assert_max_num_queries: Any
) -> None:
    for i in range(30):
        _need(world, summary=f"Need {i}")
    client = login(world.customer_a)
    with django_assert_max_num_queries(8):
        response = client.get(_url("home"))
    assert len(response.context["page"].object_list) == 25


def test_it_opens_a_need(world: Any, login: Any) -> None:
    response = login(world.customer_a).post(
        _url("need_new"),
        {"kind": "question", "summary": "Gluten free?", "goal": "Eat with my mother in law"},
    )
    need = Need.objects.get(customer=world.customer_a)
    assert response.status_code == 302
    assert response["Location"] == _url("need", need.pk)
    assert (need.kind, need.summary, need.goal, need.status) == (
        "question",
        "Gluten free?",
        "Eat with my mother in law",
        NeedStatus.OPEN,
    )


def test_it_keeps_a_need_without_summary_with_an_error(world: Any, login: Any) -> None:
    response = login(world.customer_a).post(
        _url("need_new"), {"kind": "question", "summary": "", "goal": "Keep me"}
    )
    assert response.status_code == 422
    assert "summary" in response.context["form"].errors
    assert response.context["form"].data["goal"] == "Keep me"
    assert not Need.objects.exists()


def test_it_shows_my_timeline_without_internal_notes(world: Any, login: Any) -> None:
    need = _need(world)
    services.message_post_by_staff(
        staff=need.owner, need=need, body="Kitchen forgot", internal=True
    )
    services.message_post_by_staff(staff=need.owner, need=need, body="New one coming")
    services.handoff_offer(staff=need.owner, need=need, to_staff=world.lead, reason="Secret")
    response = login(world.customer_a).get(_url("need", need.pk))
    body = response.content.decode()
    assert response.status_code == 200
    assert "New one coming" in body
    assert "Kitchen forgot" not in body
    assert "Secret" not in body
    assert "Olga Owner" in body
    assert [e.kind for e in response.context["events"]] == [
        EventKind.NEED_OPENED,
        EventKind.STAFF_MESSAGE,
    ]


def test_it_shows_the_need_page_in_a_bounded_number_of_queries(
    world: Any, login: Any, django_assert_max_num_queries: Any
) -> None:
    need = _need(world)
    for i in range(10):
        services.message_post_by_customer(customer=world.customer_a, need=need, body=f"c{i}")
        services.message_post_by_staff(staff=need.owner, need=need, body=f"s{i}")
    client = login(world.customer_a)
    with django_assert_max_num_queries(8):
        response = client.get(_url("need", need.pk))
    assert len(response.context["events"]) == 21


def test_it_writes_to_my_owner(world: Any, login: Any) -> None:
    need = _need(world)
    response = login(world.customer_a).post(_url("need_message", need.pk), {"body": "Any news?"})
    assert response.status_code == 302
    [event] = _events(need, EventKind.CUSTOMER_MESSAGE)
    assert (event.data, event.actor_customer_id) == ({"body": "Any news?"}, world.customer_a.pk)
    need.refresh_from_db()
    assert need.contacts == 2


def test_it_answers_an_htmx_message_with_the_fresh_timeline(world: Any, login: Any) -> None:
    need = _need(world)
    response = login(world.customer_a).post(
        _url("need_message", need.pk), {"body": "Any news?"}, HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="message-form"' in body and 'hx-swap-oob="true"' in body and "Any news?" in body


def test_it_refuses_a_message_on_a_closed_need(world: Any, login: Any) -> None:
    need = _need(world)
    services.need_cancel(customer=world.customer_a, need=need)
    response = login(world.customer_a).post(_url("need_message", need.pk), {"body": "Hello?"})
    assert response.status_code == 409
    assert _events(need, EventKind.CUSTOMER_MESSAGE) == []


def test_it_shows_the_proposal_with_the_autoconfirm_date(world: Any, login: Any) -> None:
    need = _need(world)
    need = services.resolution_propose(staff=need.owner, need=need, summary="Fresh pancake")
    response = login(world.customer_a).get(_url("need", need.pk))
    body = response.content.decode()
    assert "Fresh pancake" in body
    assert _url("need_confirm", need.pk) in body
    assert _url("need_reopen", need.pk) in body
    assert need.autoconfirm_at is not None
    assert str(need.autoconfirm_at.astimezone().day) in body


def test_it_confirms_the_resolution(world: Any, login: Any) -> None:
    need = _need(world)
    services.resolution_propose(staff=need.owner, need=need, summary="Done")
    response = login(world.customer_a).post(_url("need_confirm", need.pk))
    assert response.status_code == 302
    need.refresh_from_db()
    assert need.status == NeedStatus.SOLVED
    assert len(_events(need, EventKind.RESOLUTION_CONFIRMED)) == 1


def test_it_refuses_to_confirm_without_a_proposal(world: Any, login: Any) -> None:
    need = _need(world)
    response = login(world.customer_a).post(_url("need_confirm", need.pk))
    assert response.status_code == 409
    need.refresh_from_db()
    assert need.status == NeedStatus.OPEN


def test_it_reopens_with_a_reason(world: Any, login: Any) -> None:
    need = _need(world)
    services.resolution_propose(staff=need.owner, need=need, summary="Done")
    response = login(world.customer_a).post(_url("need_reopen", need.pk), {"reason": "Still cold"})
    assert response.status_code == 302
    need.refresh_from_db()
    assert (need.status, need.reopens) == (NeedStatus.OPEN, 1)
    [event] = _events(need, EventKind.NEED_REOPENED)
    assert event.data["reason"] == "Still cold"


def test_it_needs_a_reason_to_reopen(world: Any, login: Any) -> None:
    need = _need(world)
    services.resolution_propose(staff=need.owner, need=need, summary="Done")
    response = login(world.customer_a).post(_url("need_reopen", need.pk), {"reason": ""})
    assert response.status_code == 422
    assert "reason" in response.context["reopen_form"].errors
    need.refresh_from_db()
    assert need.status == NeedStatus.AWAITING_CUSTOMER


def test_it_withdraws_a_need(world: Any, login: Any) -> None:
    need = _need(world)
    response = login(world.customer_a).post(_url("need_cancel", need.pk), {"reason": "Found it"})
    assert response.status_code == 302
    need.refresh_from_db()
    assert need.status == NeedStatus.CANCELLED
    assert _events(need, EventKind.NEED_CANCELLED)[0].data == {"reason": "Found it"}


def test_it_refuses_to_withdraw_a_solved_need(world: Any, login: Any) -> None:
    need = _need(world)
    services.resolution_propose(staff=need.owner, need=need, summary="Done")
    services.resolution_confirm(customer=world.customer_a, need=need)
    response = login(world.customer_a).post(_url("need_cancel", need.pk))
    assert response.status_code == 409
    need.refresh_from_db()
    assert need.status == NeedStatus.SOLVED


# --- my details --------------------------------------------------------------------------


def test_it_shows_and_corrects_my_details(world: Any, login: Any) -> None:
    client = login(world.customer_a)
    page = client.get(_url("profile"))
    assert page.context["form"].initial["email"] == "a@example.com"
    response = client.post(
        _url("profile"),
        {
            "name": "Anna de Boer",
            "email": "anna@example.com",
            "phone": "+31 6 1234",
            "language": "en",
        },
    )
    assert response.status_code == 302
    assert response.cookies["django_language"].value == "en"
    customer = Customer.objects.get(pk=world.customer_a.pk)
    assert (customer.name, customer.email, customer.phone, customer.language) == (
        "Anna de Boer",
        "anna@example.com",
        "+31 6 1234",
        "en",
    )
    [event] = JournalEvent.objects.filter(kind=EventKind.CUSTOMER_UPDATED)
    assert event.actor_customer_id == world.customer_a.pk


@pytest.mark.parametrize(
    ("field", "value", "status"),
    [
        ("phone", "call me maybe", 422),
        ("email", "b@example.com", 409),  # customer B's: a conflict, not bad input
        ("email", "", 422),
        ("name", "", 422),
    ],
)
def test_it_refuses_bad_details_and_changes_nothing(
    world: Any, login: Any, field: str, value: str, status: int
) -> None:
    data = {"name": "Anna A", "email": "a@example.com", "phone": "", "language": "nl"}
    data[field] = value
    response = login(world.customer_a).post(_url("profile"), data)
    assert response.status_code == status
    assert field in response.context["form"].errors
    customer = Customer.objects.get(pk=world.customer_a.pk)
    assert (customer.name, customer.email, customer.phone) == ("Anna A", "a@example.com", "")
    assert not JournalEvent.objects.filter(kind=EventKind.CUSTOMER_UPDATED).exists()


def test_it_logs_a_customer_out(world: Any, login: Any) -> None:
    client = login(world.customer_a)
    assert client.post(_url("logout")).status_code == 302
    assert client.get(_url("home")).status_code == 302

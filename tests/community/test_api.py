"""Customers among themselves through the API (API.md, "Customers among themselves")."""

from typing import Any

import pytest
from django.core import mail

from klantstuur.community.models import AnswerReport, PeerAnswer, SharedQuestion
from klantstuur.customers.services import customer_create
from klantstuur.needs.models import JournalEvent, Need
from tests.helpers import API, assert_error, kinds, open_need, settle, snapshot


@pytest.fixture
def asked(world: Any, api: Any) -> Need:
    """Anna A (customer_a) asks, and shares it; Bram B (customer_b) is the peer."""
    world.customer_a.phone = "+31 6 1234 5678"
    world.customer_a.save(update_fields=["phone"])
    need = open_need(world.customer_a, summary="Which chain fits a 9-speed cassette?")
    r = api(world.customer_a).post(f"{API}/me/needs/{need.pk}/share", {})
    assert r.status_code == 200, r.content
    assert r.json() == {"need_id": need.pk, "display_name": "Anna", "shared": True}
    return need


def _answer(api: Any, who: Any, need: Need, body: str = "A 9-speed chain, 116 links.") -> Any:
    r = api(who).post(f"{API}/me/community/{need.pk}/answers", {"body": body})
    assert r.status_code == 201, r.content
    return r.json()


def test_it_lists_shared_open_questions_by_first_name_only(
    world: Any, api: Any, asked: Need
) -> None:
    r = api(world.customer_b).get(f"{API}/me/community")
    assert r.status_code == 200
    item = r.json()["items"][0]
    assert r.json()["count"] == 1
    assert item == {
        "need_id": asked.pk,
        "summary": "Which chain fits a 9-speed cassette?",
        "display_name": "Anna",
        "answers": 0,
        "created_at": item["created_at"],
        "mine": False,
    }
    assert b"a@example.com" not in r.content and b"Anna A" not in r.content


def test_another_business_never_sees_it(world: Any, api: Any, asked: Need) -> None:
    yara = api(world.customer_y)
    assert yara.get(f"{API}/me/community").json() == {
        "items": [],
        "count": 0,
        "count_exact": True,
    }
    before = snapshot(asked)
    assert_error(yara.get(f"{API}/me/community/{asked.pk}"), 404)
    assert_error(yara.post(f"{API}/me/community/{asked.pk}/answers", {"body": "hi"}), 404)
    assert_error(api(world.stranger).post(f"{API}/needs/{asked.pk}/peer-answers/1/endorse"), 404)
    assert snapshot(asked) == before
    assert PeerAnswer.objects.count() == 0


def test_an_answer_reaches_the_asker_and_the_owner_and_is_no_contact(
    world: Any, api: Any, asked: Need, django_capture_on_commit_callbacks: Any
) -> None:
    settle()
    contacts = Need.objects.get(pk=asked.pk).contacts
    with django_capture_on_commit_callbacks(execute=True):
        body = _answer(api, world.customer_b, asked)
    assert body == {
        "id": body["id"],
        "body": "A 9-speed chain, 116 links.",
        "display_name": "Bram",
        "created_at": body["created_at"],
        "endorsed": False,
        "correction": None,
        "helped": False,
        "mine": True,
    }
    settle_mail = list(mail.outbox)
    need = Need.objects.get(pk=asked.pk)
    assert need.contacts == contacts and need.owner_id == asked.owner_id
    assert kinds(need, for_customer=True)[-1] == "peer_answer"
    timeline = api(world.customer_a).get(f"{API}/me/needs/{asked.pk}/timeline").json()["items"]
    assert timeline[-1]["actor"] == {"kind": "fellow_customer", "id": None, "name": "Bram"}
    assert timeline[-1]["data"]["from_fellow_customer"] is True
    # The owner is told by e-mail (the notifications reaction).
    to_owner = [m for m in settle_mail if m.to == [world.owner.user.email]]
    assert len(to_owner) == 1 and "A 9-speed chain" in to_owner[0].body
    assert SharedQuestion.objects.get(need=asked).answers == 1


def test_the_owner_endorses_and_the_asker_marks_it_helped_and_confirms(
    world: Any, api: Any, asked: Need
) -> None:
    answer = _answer(api, world.customer_b, asked)
    url = f"{API}/needs/{asked.pk}/peer-answers/{answer['id']}"
    # Only the owner: a colleague is refused and nothing changes.
    before = snapshot(asked)
    assert_error(api(world.colleague).post(f"{url}/endorse"), 403)
    assert snapshot(asked) == before
    r = api(world.owner).post(f"{url}/endorse")
    assert r.status_code == 200, r.content
    assert r.json()["endorsed"] is True and r.json()["author_id"] == world.customer_b.pk
    peer_view = api(world.customer_b).get(f"{API}/me/community/{asked.pk}").json()
    assert peer_view["items"][0]["endorsed"] is True
    # Another customer cannot mark it for Anna.
    assert_error(
        api(world.customer_b).post(f"{API}/me/needs/{asked.pk}/peer-answers/{answer['id']}/helped"),
        404,
    )
    r = api(world.customer_a).post(f"{API}/me/needs/{asked.pk}/peer-answers/{answer['id']}/helped")
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "awaiting_customer"
    assert r.json()["owner"]["id"] == asked.owner_id
    r = api(world.customer_a).post(f"{API}/me/needs/{asked.pk}/confirm")
    assert r.json()["status"] == "solved"
    need = Need.objects.get(pk=asked.pk)
    assert need.owner_id == asked.owner_id
    assert kinds(need)[-4:] == [
        "peer_answer_endorsed",
        "peer_answer_helped",
        "resolution_proposed",
        "resolution_confirmed",
    ]
    # Solved: no longer in the community list.
    assert api(world.customer_b).get(f"{API}/me/community").json()["count"] == 0


def test_helped_with_confirm_solves_in_one_step(world: Any, api: Any, asked: Need) -> None:
    answer = _answer(api, world.customer_b, asked)
    r = api(world.customer_a).post(
        f"{API}/me/needs/{asked.pk}/peer-answers/{answer['id']}/helped", {"confirm": True}
    )
    assert r.json()["status"] == "solved"


def test_the_owner_corrects_and_staff_hide(world: Any, api: Any, asked: Need) -> None:
    answer = _answer(api, world.customer_b, asked)
    url = f"{API}/needs/{asked.pk}/peer-answers/{answer['id']}"
    r = api(world.owner).post(f"{url}/correct", {"correction": "Use a KMC X9, 114 links."})
    assert r.json()["correction"] == "Use a KMC X9, 114 links."
    assert_error(api(world.owner).post(f"{url}/correct", {"correction": "  "}), 422, "correction")
    r = api(world.colleague).post(f"{url}/hide", {"reason": "Spam"})
    assert r.status_code == 200 and r.json()["hidden"] is True
    assert api(world.customer_b).get(f"{API}/me/community/{asked.pk}").json()["items"] == []
    assert SharedQuestion.objects.get(need=asked).answers == 0
    assert_error(
        api(world.customer_a).post(f"{API}/me/needs/{asked.pk}/peer-answers/{answer['id']}/helped"),
        409,
        "answer_id",
    )
    assert_error(api(world.carrier).post(f"{url}/hide"), 403)


def test_anyone_who_reads_it_may_report_it_once(world: Any, api: Any, asked: Need) -> None:
    carla = customer_create(business=world.x, name="Carla C", email="c@example.com")
    answer = _answer(api, world.customer_b, asked)
    url = f"{API}/me/community/{asked.pk}/answers/{answer['id']}/report"
    assert api(carla).post(url, {"reason": "Rude"}).json()["id"] == answer["id"]
    api(carla).post(url, {"reason": "Rude"})
    api(world.customer_a).post(url)
    assert PeerAnswer.objects.get(pk=answer["id"]).reports == 2
    assert AnswerReport.objects.count() == 2
    assert_error(api(world.customer_b).post(url), 409, "answer_id")
    assert_error(api(world.customer_y).post(url), 404)
    # The asker does not see reports on their timeline; staff do.
    assert "peer_answer_reported" not in kinds(asked, for_customer=True)
    assert kinds(asked).count("peer_answer_reported") == 2


def test_contact_details_never_reach_a_peer(world: Any, api: Any) -> None:
    need = open_need(world.customer_a, summary="Call me on 06-12345678 or a@example.com, 1234 AB")
    api(world.customer_a).post(f"{API}/me/needs/{need.pk}/share", {"display_name": "Fietsfan"})
    listed = api(world.customer_b).get(f"{API}/me/community").json()["items"][0]
    assert listed["summary"] == "Call me on […] or […], […]"
    assert listed["display_name"] == "Fietsfan"
    assert_error(
        api(world.customer_a).post(
            f"{API}/me/needs/{need.pk}/share", {"display_name": "a@example.com"}
        ),
        422,
        "display_name",
    )


def test_the_asker_cannot_answer_their_own_question_nor_a_closed_one(
    world: Any, api: Any, asked: Need
) -> None:
    assert_error(
        api(world.customer_a).post(f"{API}/me/community/{asked.pk}/answers", {"body": "x"}),
        409,
        "need_id",
    )
    assert_error(
        api(world.customer_b).post(f"{API}/me/community/{asked.pk}/answers", {"body": ""}),
        422,
        "body",
    )
    assert_error(
        api(world.customer_b).post(
            f"{API}/me/community/{asked.pk}/answers", {"body": "nul\x00byte"}
        ),
        422,
        "body",
    )


def test_unsharing_hides_it_from_peers(world: Any, api: Any, asked: Need) -> None:
    r = api(world.customer_a).delete(f"{API}/me/needs/{asked.pk}/share")
    assert r.status_code == 204
    assert api(world.customer_b).get(f"{API}/me/community").json()["count"] == 0
    assert_error(
        api(world.customer_b).post(f"{API}/me/community/{asked.pk}/answers", {"body": "x"}), 404
    )
    assert kinds(asked)[-2:] == ["need_shared", "need_unshared"]


def test_rate_limit_per_customer(world: Any, api: Any, asked: Need, settings: Any) -> None:
    settings.KLANTSTUUR = {**settings.KLANTSTUUR, "COMMUNITY_LIMITS": {"answers": (2, 3600)}}
    _answer(api, world.customer_b, asked, "one")
    _answer(api, world.customer_b, asked, "two")
    before = PeerAnswer.objects.count()
    body = assert_error(
        api(world.customer_b).post(f"{API}/me/community/{asked.pk}/answers", {"body": "3"}),
        429,
        "body",
    )
    assert body["retry_after_seconds"] == 3600
    assert PeerAnswer.objects.count() == before


def test_leaving_takes_my_answers_with_me(world: Any, api: Any, asked: Need) -> None:
    answer = _answer(api, world.customer_b, asked, "Ask Noor, she knows.")
    r = api(world.customer_b).post(f"{API}/me/community/leave")
    assert r.json() == {"answers_withdrawn": 1, "questions_unshared": 0}
    assert api(world.customer_a).get(f"{API}/me/community/{asked.pk}").json()["items"] == []
    assert not JournalEvent.objects.filter(data__icontains="Ask Noor").exists()
    assert not PeerAnswer.objects.filter(body__contains="Noor").exists()
    assert PeerAnswer.objects.get(pk=answer["id"]).withdrawn_at is not None
    assert SharedQuestion.objects.get(need=asked).answers == 0

"""Invariants of the community: no peer ever reads another's contact details, peers
never change who owns a need, a peer's answer is never a contact; the figures."""

import json
from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from klantstuur.community import services as community
from klantstuur.community.privacy import redact
from klantstuur.core.errors import DomainError
from klantstuur.customers.services import customer_create
from klantstuur.metrics import projection
from klantstuur.metrics.selectors import figures, scope_for
from klantstuur.needs import services as needs
from klantstuur.needs.models import JournalEvent, Need
from klantstuur.privacy.services import erasure_request, erasures_carry_out
from tests.conftest import ApiClient
from tests.helpers import API, open_need, settle

EMAIL = "bram.bakker@example.com"
PHONE = "+31 6 2345 6789"
POSTCODE = "3512 JK"

# Pieces of text a customer might type; some are the asker's contact details.
piece = st.sampled_from(
    [
        EMAIL,
        PHONE,
        "06-23456789",
        "0623456789",
        POSTCODE,
        "3512JK",
        "chain",
        "9-speed",
        "116 links",
        "Utrecht",
        "call me",
        "?",
        "€ 25",
    ]
)
text = st.lists(piece, min_size=1, max_size=6).map(" ".join)


@given(text)
def test_redact_never_leaves_a_contact_detail(value: str) -> None:
    out = redact(value)
    for secret in (EMAIL, PHONE, "06-23456789", "0623456789", POSTCODE, "3512JK", "23456789"):
        assert secret not in out


def _peer_views(peer: ApiClient, need_id: int) -> list[bytes]:
    return [
        peer.get(f"{API}/me/community").content,
        peer.get(f"{API}/me/community/{need_id}").content,
    ]


@pytest.mark.django_db(transaction=False)
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(summary=text, body=text, display=st.sampled_from(["", "Fietser", "B."]))
def test_no_peer_response_ever_contains_the_askers_details(
    world: Any, api: Any, summary: str, body: str, display: str
) -> None:
    """Whatever the asker and the peers type, every response a peer gets is free of the
    asker's e-mail, phone, postcode and surname; and peers never change the owner."""
    with transaction.atomic():
        asker = customer_create(
            business=world.x, name="Bram Bakker", email=EMAIL, phone=PHONE, language="nl"
        )
        need = open_need(asker, summary=summary[:300])
        owner, contacts = need.owner_id, need.contacts
        me = api(asker)
        share = me.post(f"{API}/me/needs/{need.pk}/share", {"display_name": display})
        assert share.status_code in (200, 422), share.content
        if share.status_code == 422:
            me.post(f"{API}/me/needs/{need.pk}/share", {})
        peer = api(world.customer_b)
        posted = peer.post(f"{API}/me/community/{need.pk}/answers", {"body": body + " " + EMAIL})
        assert posted.status_code == 201, posted.content
        responses = [posted.content, *_peer_views(peer, need.pk)]
        responses += _peer_views(api(world.customer_a), need.pk)
        for content in responses:
            for secret in (EMAIL, PHONE, "23456789", POSTCODE, "3512JK", "Bakker"):
                assert secret.encode() not in content, (secret, content[:400])
        fresh = Need.objects.get(pk=need.pk)
        assert (fresh.owner_id, fresh.contacts) == (owner, contacts)
        transaction.set_rollback(True)


def test_portal_pages_show_a_peer_no_contact_details(world: Any, login: Any) -> None:
    asker = customer_create(business=world.x, name="Bram Bakker", email=EMAIL, phone=PHONE)
    need = open_need(asker, summary=f"Chain for a 9-speed? Mail {EMAIL}")
    community.question_share(customer=asker, need_id=need.pk)
    community.answer_post(customer=world.customer_b, need_id=need.pk, body="KMC X9")
    browser: Client = login(world.customer_b)
    for url in ("/portal/community/", f"/portal/community/{need.pk}/"):
        page = browser.get(url)
        assert page.status_code == 200
        for secret in (EMAIL, PHONE, "Bakker"):
            assert secret.encode() not in page.content
    assert b"Bram" in page.content and b"KMC X9" in page.content


def test_another_business_gets_404_on_every_page(world: Any, login: Any) -> None:
    need = open_need(world.customer_a, summary="Which chain?")
    community.question_share(customer=world.customer_a, need_id=need.pk)
    answer = community.answer_post(customer=world.customer_b, need_id=need.pk, body="X9")
    before = JournalEvent.objects.count()
    yara: Client = login(world.customer_y)
    assert yara.get(f"/portal/community/{need.pk}/").status_code == 404
    assert yara.post(f"/portal/community/{need.pk}/answer", {"body": "x"}).status_code == 404
    url = f"/portal/community/{need.pk}/answers/{answer.pk}/report"
    assert yara.post(url).status_code == 404
    url = f"/portal/community/mine/{need.pk}/answers/{answer.pk}/helped"
    assert yara.post(url).status_code == 404
    assert b"Which chain" not in yara.get("/portal/community/").content
    stranger: Client = login(world.stranger)
    url = f"/console/community/needs/{need.pk}/answers/{answer.pk}/endorse"
    assert stranger.post(url).status_code == 404
    assert JournalEvent.objects.count() == before


def test_erasure_takes_the_answers_and_the_shared_question(world: Any) -> None:
    asked = open_need(world.customer_a, summary="Which chain?")
    community.question_share(customer=world.customer_a, need_id=asked.pk)
    community.answer_post(customer=world.customer_b, need_id=asked.pk, body="Ask at Spaak")
    erasure_request(customer=world.customer_b)
    assert erasures_carry_out(timezone.now()) == 1
    dumped = json.dumps(
        list(JournalEvent.objects.filter(need=asked).values_list("data", flat=True))
    )
    assert "Ask at Spaak" not in dumped and "Bram" not in dumped


def test_the_figures_count_a_need_a_peer_solved_and_the_time_it_took(
    world: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        need = open_need(world.customer_a, summary="Which chain?")
        plain = open_need(world.customer_b, summary="Opening hours?")
        community.question_share(customer=world.customer_a, need_id=need.pk)
        answer = community.answer_post(customer=world.customer_b, need_id=need.pk, body="X9")
        community.answer_endorse(staff=need.owner, need_id=need.pk, answer_id=answer.pk)
        community.answer_mark_helped(
            customer=world.customer_a, need_id=need.pk, answer_id=answer.pk, confirm=True
        )
        needs.resolution_propose(staff=plain.owner, need=plain, summary="9 to 5")
        needs.resolution_confirm(customer=world.customer_b, need=Need.objects.get(pk=plain.pk))
    settle()
    # Read at once from the journal: on a PostgreSQL cluster shared with other databases'
    # long transactions the queue may hold events back (ADR 0010).
    projection.rebuild(business_ids=[world.x.pk])
    today = timezone.localdate()
    f = figures(scope_for(business_id=world.x.pk, today=today + timedelta(days=1)))
    assert f["solved"] == 2
    assert f["peer_help"] == {"solved": 1, "resolution_hours_p50": 0.0, "extra_contacts": 0}


def test_a_peer_cannot_mark_helped_nor_confirm_for_the_asker(world: Any) -> None:
    need = open_need(world.customer_a, summary="Which chain?")
    community.question_share(customer=world.customer_a, need_id=need.pk)
    answer = community.answer_post(customer=world.customer_b, need_id=need.pk, body="X9")
    with pytest.raises(DomainError) as refused:
        community.answer_mark_helped(
            customer=world.customer_b, need_id=need.pk, answer_id=answer.pk, confirm=True
        )
    assert refused.value.status == 404
    assert Need.objects.get(pk=need.pk).status == "open"


ACTIONS = st.lists(
    st.sampled_from(["answer", "endorse", "correct", "hide", "report", "helped", "leave"]),
    min_size=1,
    max_size=8,
)


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(actions=ACTIONS)
def test_peer_actions_never_change_the_owner_nor_count_as_contacts(
    world: Any, actions: list[str]
) -> None:
    """Whatever peers, the owner and staff do to the answers, in any order: the need keeps
    its one owner, its contacts and its handoffs; only the asker's confirmation solves it;
    the question's counter equals its visible answers."""
    from klantstuur.community.models import PeerAnswer, SharedQuestion

    with transaction.atomic():
        need = open_need(world.customer_a, summary="Which chain?")
        community.question_share(customer=world.customer_a, need_id=need.pk)
        start = Need.objects.get(pk=need.pk)
        last: int | None = None
        for action in actions:
            try:
                with transaction.atomic():
                    if action == "answer" or last is None:
                        last = community.answer_post(
                            customer=world.customer_b, need_id=need.pk, body=f"try {action}"
                        ).pk
                    elif action == "endorse":
                        community.answer_endorse(staff=start.owner, need_id=need.pk, answer_id=last)
                    elif action == "correct":
                        community.answer_correct(
                            staff=start.owner, need_id=need.pk, answer_id=last, correction="No"
                        )
                    elif action == "hide":
                        community.answer_hide(
                            staff=world.colleague, need_id=need.pk, answer_id=last
                        )
                    elif action == "report":
                        community.answer_report(
                            customer=world.customer_a, need_id=need.pk, answer_id=last
                        )
                    elif action == "helped":
                        community.answer_mark_helped(
                            customer=world.customer_a, need_id=need.pk, answer_id=last
                        )
                    else:
                        community.community_leave(customer=world.customer_b)
                        last = None
            except DomainError:
                pass
            now = Need.objects.get(pk=need.pk)
            assert (now.owner_id, now.contacts, now.handoffs) == (
                start.owner_id,
                start.contacts,
                start.handoffs,
            )
            assert now.status in ("open", "awaiting_customer")
            visible = PeerAnswer.objects.filter(
                need_id=need.pk, hidden_at__isnull=True, withdrawn_at__isnull=True
            ).count()
            assert SharedQuestion.objects.get(need_id=need.pk).answers == visible
        transaction.set_rollback(True)


def test_a_closed_question_leaves_the_lists_index_and_a_reopened_one_returns(
    world: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from klantstuur.community.models import SharedQuestion
    from klantstuur.community.selectors import community_questions

    with django_capture_on_commit_callbacks(execute=True):
        need = open_need(world.customer_a, summary="Which chain?")
        community.question_share(customer=world.customer_a, need_id=need.pk)
        needs.resolution_propose(staff=need.owner, need=need, summary="X9")
    settle()
    # Awaiting the customer is still open.
    assert SharedQuestion.objects.get(need=need).open is True
    with django_capture_on_commit_callbacks(execute=True):
        needs.resolution_confirm(customer=world.customer_a, need=Need.objects.get(pk=need.pk))
    settle()
    assert SharedQuestion.objects.get(need=need).open is False
    assert list(community_questions(customer=world.customer_b)) == []
    with django_capture_on_commit_callbacks(execute=True):
        needs.need_reopen(
            customer=world.customer_a, need=Need.objects.get(pk=need.pk), reason="Not yet"
        )
    settle()
    assert SharedQuestion.objects.get(need=need).open is True
    assert [q.need_id for q in community_questions(customer=world.customer_b)] == [need.pk]


def test_the_dashboard_shows_what_peers_solved_in_the_readers_language(
    world: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        need = open_need(world.customer_a, summary="Which chain?")
        community.question_share(customer=world.customer_a, need_id=need.pk)
        answer = community.answer_post(customer=world.customer_b, need_id=need.pk, body="X9")
        community.answer_mark_helped(
            customer=world.customer_a, need_id=need.pk, answer_id=answer.pk, confirm=True
        )
    settle()
    projection.rebuild(business_ids=[world.x.pk])
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    client = Client()
    client.force_login(world.manager.user)
    page = client.get("/console/insight/", {"end": tomorrow}, HTTP_ACCEPT_LANGUAGE="nl")
    assert page.status_code == 200
    html = page.content.decode()
    section = html[html.index('data-figures="peer_help"') :].split("</section>")[0]
    assert "Opgelost met hulp van een andere klant</span>" in section
    assert '<strong class="figure-value">1</strong>' in section
    assert '<strong class="figure-value">0,0</strong>' in section
    # Another business's manager sees none of it.
    other = Client()
    other.force_login(world.stranger.user)
    assert other.get("/console/insight/").status_code == 403

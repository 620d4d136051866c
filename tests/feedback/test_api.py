"""Feedback through the API and the services: ratings, surveys, the guard, the closed
loop, root causes, rewards, listening — and every refusal leaves everything unchanged."""

from typing import Any

import pytest

from klantstuur.core.errors import Invalid, NotAllowed, NotFound
from klantstuur.feedback import services as feedback
from klantstuur.feedback.models import (
    ListeningSample,
    Rating,
    Reward,
    SurveyResponse,
)
from klantstuur.metrics import listening, projection
from klantstuur.needs import services
from klantstuur.needs.models import EventKind, JournalEvent, Need, NeedRootCause, RootCause
from tests.helpers import API, assert_error, kinds, open_need, snapshot


def fb_state() -> dict[str, Any]:
    return {
        **snapshot(),
        "ratings": Rating.objects.count(),
        "surveys": SurveyResponse.objects.count(),
        "rewards": Reward.objects.count(),
        "needs_state": sorted(Need.objects.values_list("pk", "status", "contacts", "reopens")),
    }


def proposed(world: Any) -> Need:
    need = open_need(world.customer_a)
    return services.resolution_propose(staff=world.owner, need=need, summary="Done")


def test_it_takes_a_rating_on_a_touchpoint(world: Any, api: Any) -> None:
    need = proposed(world)
    r = api(world.customer_a).post(
        f"{API}/me/feedback",
        {"need_id": need.pk, "touchpoint": "resolution_proposed", "rating": 4, "comment": "Quick"},
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["type"] == "rating" and body["rating"] == 4 and body["need_id"] == need.pk
    assert kinds(need)[-1] == EventKind.FEEDBACK_GIVEN
    # a good rating leaves the journey where it was
    assert Need.objects.get(pk=need.pk).status == "awaiting_customer"


def test_a_low_rating_reopens_the_need_with_its_owner(world: Any, api: Any) -> None:
    need = proposed(world)
    r = api(world.customer_a).post(
        f"{API}/me/feedback", {"need_id": need.pk, "touchpoint": "resolution_proposed", "rating": 1}
    )
    assert r.status_code == 201
    need.refresh_from_db()
    assert (need.status, need.owner_id, need.reopens) == ("open", world.owner.pk, 1)
    assert kinds(need)[-2:] == [EventKind.FEEDBACK_GIVEN, EventKind.NEED_REOPENED]


def test_a_detractor_without_a_journey_opens_a_complaint_for_the_previous_owner(
    world: Any, api: Any
) -> None:
    need = proposed(world)
    services.resolution_confirm(customer=world.customer_a, need=need)
    before = Need.objects.count()
    r = api(world.customer_b).post(f"{API}/me/feedback", {"survey": "nps", "score": 3})
    assert r.status_code == 201, r.content
    assert Need.objects.count() == before + 1
    new = Need.objects.order_by("-pk").first()
    assert new is not None and new.kind == "complaint" and new.customer_id == world.customer_b.pk
    assert new.contacts == 0  # the business reaches out: not a contact the customer made


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"touchpoint": "resolution_proposed", "rating": 0}, "rating"),
        ({"touchpoint": "resolution_proposed", "rating": 6}, "rating"),
        ({"touchpoint": "resolution_proposed", "rating": "5"}, "rating"),
        ({"touchpoint": "resolution_proposed", "rating": True}, "rating"),
        ({"touchpoint": "resolution_proposed", "rating": 3.5}, "rating"),
        ({"touchpoint": "mood", "rating": 3}, "touchpoint"),
        ({"rating": 3}, "touchpoint"),
        ({"touchpoint": "resolution_proposed"}, "rating"),
        ({"survey": "nps", "score": 11}, "score"),
        ({"survey": "nps", "score": -1}, "score"),
        ({"survey": "ces", "score": 0}, "score"),
        ({"survey": "ces", "score": 8}, "score"),
        ({"survey": "csat", "score": 6}, "score"),
        ({"survey": "mood", "score": 3}, "survey"),
        ({"survey": "csat"}, "score"),
        ({"touchpoint": "resolution_proposed", "rating": 3, "comment": "x" * 2001}, "comment"),
        ({"touchpoint": "resolution_proposed", "rating": 3, "extra": 1}, "extra"),
        ({"touchpoint": "served", "rating": 3}, "order_id"),
    ],
)
def test_bad_feedback_is_a_422_naming_the_field_and_changes_nothing(
    world: Any, api: Any, body: dict[str, Any], field: str
) -> None:
    need = proposed(world)
    if "survey" not in body:
        body = {"need_id": need.pk, **body}
    before = fb_state()
    assert_error(api(world.customer_a).post(f"{API}/me/feedback", body), 422, field)
    assert fb_state() == before


def test_feedback_on_someone_elses_need_is_not_found(world: Any, api: Any) -> None:
    need = proposed(world)
    other = open_need(world.customer_y, kind="question")
    before = fb_state()
    for who, need_id in (
        (world.customer_b, need.pk),
        (world.customer_y, need.pk),
        (world.customer_a, other.pk),
    ):
        r = api(who).post(
            f"{API}/me/feedback",
            {"need_id": need_id, "touchpoint": "resolution_proposed", "rating": 5},
        )
        assert_error(r, 404, "need_id")
        r = api(who).post(f"{API}/me/feedback", {"need_id": need_id, "survey": "csat", "score": 5})
        assert_error(r, 404, "need_id")
    assert_error(
        api(world.customer_a).post(
            f"{API}/me/feedback", {"order_id": 999999, "touchpoint": "delivered", "rating": 5}
        ),
        404,
        "order_id",
    )
    assert fb_state() == before


def test_staff_cannot_give_customer_feedback(world: Any, api: Any) -> None:
    need = proposed(world)
    before = fb_state()
    r = api(world.owner).post(
        f"{API}/me/feedback", {"need_id": need.pk, "touchpoint": "answer", "rating": 5}
    )
    assert_error(r, 403)
    assert api(None).post(f"{API}/me/feedback", {}).status_code == 401
    assert fb_state() == before


def test_a_touchpoint_is_rated_once_and_only_after_it_happened(world: Any, api: Any) -> None:
    need = open_need(world.customer_a)
    client = api(world.customer_a)
    body = {"need_id": need.pk, "touchpoint": "resolution_proposed", "rating": 5}
    assert_error(client.post(f"{API}/me/feedback", body), 409, "touchpoint")
    services.resolution_propose(staff=world.owner, need=need, summary="Done")
    assert client.post(f"{API}/me/feedback", body).status_code == 201
    before = fb_state()
    assert_error(client.post(f"{API}/me/feedback", body), 409, "touchpoint")
    assert fb_state() == before


def test_the_guard_asks_a_survey_once_per_period(world: Any, api: Any, settings: Any) -> None:
    settings.KLANTSTUUR = {**settings.KLANTSTUUR, "SURVEY_GUARD_DAYS": 30}
    need = proposed(world)
    client = api(world.customer_a)
    assert feedback.survey_due(customer=world.customer_a, survey="ces")
    r = client.post(f"{API}/me/feedback", {"need_id": need.pk, "survey": "ces", "score": 6})
    assert r.status_code == 201
    assert not feedback.survey_due(customer=world.customer_a, survey="ces")
    before = fb_state()
    assert_error(client.post(f"{API}/me/feedback", {"survey": "ces", "score": 7}), 409, "survey")
    assert fb_state() == before
    # another survey, and another customer, are still due
    assert client.post(f"{API}/me/feedback", {"survey": "csat", "score": 5}).status_code == 201
    assert feedback.survey_due(customer=world.customer_b, survey="ces")


# --- root causes ---------------------------------------------------------------------------


def test_solving_a_complaint_requires_a_root_cause_from_the_list(world: Any, api: Any) -> None:
    cause = feedback.root_cause_create(staff=world.manager, name="Cold kitchen pass")
    other = RootCause.objects.create(business=world.y, name="Elsewhere")
    need = open_need(world.customer_a, kind="complaint")
    client = api(world.owner)
    before = fb_state()
    assert_error(client.post(f"{API}/needs/{need.pk}/resolution", {"summary": "Sorry"}), 422)
    with pytest.raises(Invalid) as exc:
        services.resolution_propose(staff=world.owner, need=need, summary="Sorry")
    assert exc.value.field == "root_cause_id"
    with pytest.raises(Invalid):
        services.resolution_propose(
            staff=world.owner, need=need, summary="Sorry", root_cause_id=other.pk
        )
    assert fb_state() == before and not NeedRootCause.objects.exists()
    services.resolution_propose(
        staff=world.owner, need=need, summary="Sorry", root_cause_id=cause.pk
    )
    assert NeedRootCause.objects.get(need_id=need.pk).root_cause_id == cause.pk
    assert EventKind.ROOT_CAUSE_SET in kinds(need)


def test_a_question_needs_no_root_cause(world: Any) -> None:
    feedback.root_cause_create(staff=world.manager, name="Cold kitchen pass")
    need = services.resolution_propose(
        staff=world.owner, need=open_need(world.customer_a), summary="Answered"
    )
    assert need.status == "awaiting_customer"


def test_only_managers_keep_the_root_cause_list(world: Any) -> None:
    with pytest.raises(NotAllowed):
        feedback.root_cause_create(staff=world.owner, name="Blame the carrier")
    assert not RootCause.objects.exists()


# --- rewards --------------------------------------------------------------------------------


def test_the_owner_gives_a_material_reward_within_their_authority(world: Any) -> None:
    need = open_need(world.customer_a)
    reward = feedback.reward_give(
        staff=world.owner,
        customer_id=world.customer_a.pk,
        need_id=need.pk,
        kind="material",
        description="Free pancake next visit",
        value_cents=950,
    )
    assert reward.value_cents == 950
    assert kinds(need)[-1] == EventKind.REWARD_GIVEN
    assert EventKind.REWARD_GIVEN in kinds(need, for_customer=True)


@pytest.mark.parametrize(
    ("actor", "kwargs", "error"),
    [
        ("owner", {"kind": "material", "value_cents": 2501}, NotAllowed),
        ("colleague", {"kind": "appreciation"}, NotAllowed),  # not the need's owner
        ("kitchen", {"kind": "appreciation"}, NotAllowed),
        ("stranger", {"kind": "appreciation"}, NotFound),
        ("owner", {"kind": "bribe"}, Invalid),
        ("owner", {"kind": "appreciation", "value_cents": 100}, Invalid),
        ("owner", {"kind": "appreciation", "description": " "}, Invalid),
    ],
)
def test_rewards_are_refused_outside_authority(
    world: Any, actor: str, kwargs: dict[str, Any], error: type[Exception]
) -> None:
    need = open_need(world.customer_a)
    before = fb_state()
    args = {"description": "Thanks", **kwargs}
    with pytest.raises(error):
        feedback.reward_give(
            staff=getattr(world, actor), customer_id=world.customer_a.pk, need_id=need.pk, **args
        )
    assert fb_state() == before


# --- listening ------------------------------------------------------------------------------


def test_the_daily_sample_takes_lowest_ratings_most_contacts_and_a_random_share(
    world: Any,
) -> None:
    from django.utils import timezone

    needs = [open_need(world.customer_a, summary=f"Need {i}") for i in range(6)]
    services.message_post_by_customer(customer=world.customer_a, need=needs[0], body="Again")
    services.message_post_by_customer(customer=world.customer_a, need=needs[0], body="Again!")
    services.resolution_propose(staff=world.owner, need=needs[1], summary="Done")
    feedback.rating_give(
        customer=world.customer_a, need_id=needs[1].pk, touchpoint="resolution_proposed", rating=3
    )
    projection.rebuild(business_ids=[world.x.pk])
    now = timezone.now()
    n = listening.listening_sample(business_id=world.x.pk, day=now.date(), now=now)
    reasons = dict(ListeningSample.objects.values_list("need_id", "reason"))
    assert reasons[needs[1].pk] == "lowest_rating"
    assert reasons[needs[0].pk] == "most_contacts"
    assert n == len(reasons) == 4  # two chosen, two random
    # once a day
    assert listening.listening_sample(business_id=world.x.pk, day=now.date(), now=now) == 0
    sample = ListeningSample.objects.get(need_id=needs[0].pk)
    with pytest.raises(NotAllowed):
        feedback.listening_mark(staff=world.owner, sample_id=sample.pk, note="")
    with pytest.raises(NotAllowed):
        feedback.listening_mark(staff=world.stranger, sample_id=sample.pk, note="")
    feedback.listening_mark(staff=world.manager, sample_id=sample.pk, note="Should not take 3")
    event = JournalEvent.objects.filter(need_id=needs[0].pk).order_by("-id").first()
    assert event is not None and event.kind == "internal_note" and not event.visible_to_customer

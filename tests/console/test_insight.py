"""The insight pages (console) and the feedback pages (portal): access, bounded queries, writes."""

import re
from typing import Any

import pytest
from django.utils import timezone

from klantstuur.feedback.models import (
    ImprovementItem,
    ListeningSample,
    Rating,
    Reward,
    SurveyResponse,
)
from klantstuur.metrics import listening, projection
from klantstuur.needs import services
from klantstuur.needs.models import RootCause
from tests.helpers import open_need

PAGES = [
    "/console/insight/",
    "/console/insight/drill/contacts_per_need/",
    "/console/insight/listening/",
    "/console/insight/board/",
    "/console/insight/export.csv",
]


def history(world: Any, n: int = 5) -> list[Any]:
    needs = []
    for i in range(n):
        need = open_need(world.customer_a if i % 2 else world.customer_b, summary=f"Need {i}")
        services.message_post_by_customer(customer=need.customer, need=need, body="Any news?")
        services.resolution_propose(staff=need.owner, need=need, summary="Done")
        services.resolution_confirm(customer=need.customer, need=need)
        needs.append(need)
    projection.rebuild(business_ids=[world.x.pk])
    now = timezone.now()
    listening.listening_sample(business_id=world.x.pk, day=timezone.localdate(), now=now)
    return needs


@pytest.mark.parametrize("path", PAGES)
def test_a_manager_sees_each_page_in_bounded_queries(
    world: Any, login: Any, path: str, django_assert_max_num_queries: Any
) -> None:
    history(world, 3)
    client = login(world.manager)
    client.get(path)  # warm the session
    with django_assert_max_num_queries(20):
        r = client.get(path)
    assert r.status_code == 200
    history(world, 6)
    with django_assert_max_num_queries(20):
        assert client.get(path).status_code == 200


@pytest.mark.parametrize("path", [*PAGES, "/console/insight/journeys/1/"])
@pytest.mark.parametrize("actor", ["owner", "lead", "kitchen", "carrier", "stranger"])
def test_only_managers_see_insight(world: Any, login: Any, path: str, actor: str) -> None:
    assert login(getattr(world, actor)).get(path).status_code == 403


def test_customers_get_403_and_anonymous_the_login(world: Any, login: Any, client: Any) -> None:
    assert login(world.customer_a).get("/console/insight/").status_code == 403
    r = client.get("/console/insight/")
    assert r.status_code == 302 and "/console/login/" in r["Location"]


def test_the_dashboard_shows_the_figures_and_links_each_to_its_journeys(
    world: Any, login: Any
) -> None:
    history(world, 2)
    html = login(world.manager).get("/console/insight/").content.decode()
    for figure in ("contacts_per_need", "need_fcr", "ticket_fcr", "experience_index"):
        assert f"/console/insight/drill/{figure}/" in html
    assert "vendor/chart-4.6.1.umd.min.js" in html
    # Nothing from another host (a CSRF token may well contain the letters "cdn").
    assert not re.search(r'(src|href)="(https?:)?//', html)


def test_the_drill_down_lists_the_journeys_behind_a_number(world: Any, login: Any) -> None:
    needs = history(world, 2)
    html = login(world.manager).get("/console/insight/drill/contacts_per_need/").content.decode()
    for need in needs:
        assert f"/console/insight/journeys/{need.pk}/" in html
    assert login(world.manager).get("/console/insight/drill/nonsense/").status_code == 404


def test_the_journey_of_another_business_is_not_found(world: Any, login: Any) -> None:
    other = open_need(world.customer_y)
    assert login(world.manager).get(f"/console/insight/journeys/{other.pk}/").status_code == 404


def test_bad_period_input_shows_beside_the_field(world: Any, login: Any) -> None:
    r = login(world.manager).get("/console/insight/", {"start": "2025-05-01", "end": "2025-04-01"})
    assert r.status_code == 200
    assert list(r.context["form"].errors) == ["start"]  # beside "From", not above the form
    assert "field-error" in r.content.decode() and 'class="form-error"' not in r.content.decode()
    r = login(world.manager).get("/console/insight/", {"start": "not-a-date", "owner": "x"})
    assert r.status_code == 200


def test_the_csv_has_a_row_per_day_and_per_journey(world: Any, login: Any) -> None:
    history(world, 2)
    client = login(world.manager)
    days = client.get("/console/insight/export.csv").content.decode().splitlines()
    # #14: readable headers, Dutch convention (";" and a decimal comma), a BOM for Excel
    assert days[0].startswith("\ufeffDag;Klantvragen;Contacten") and len(days) == 2
    r = client.get("/console/insight/export.csv", {"rows": "journeys"})
    lines = b"".join(r.streaming_content).decode().splitlines()
    assert lines[0].startswith("\ufeffKlantvraag;Klant;Eigenaar;") and len(lines) == 3
    index = lines[0].split(";").index("Belevingsindex")
    value = lines[1].split(";")[index]
    assert value == "" or ("," in value and len(value.split(",")[1]) <= 3), value


def test_a_manager_marks_a_conversation_listened(world: Any, login: Any) -> None:
    history(world, 2)
    sample = ListeningSample.objects.first()
    assert sample is not None
    client = login(world.manager)
    r = client.post(f"/console/insight/listening/{sample.pk}/listened", {"note": "Too slow"})
    assert r.status_code == 302
    sample.refresh_from_db()
    assert sample.listened_by_id == world.manager.pk and sample.note == "Too slow"
    # twice: a clear refusal, nothing changed
    r = client.post(f"/console/insight/listening/{sample.pk}/listened", {"note": "Again"})
    assert r.status_code == 409
    sample.refresh_from_db()
    assert sample.note == "Too slow"


def test_listening_marks_are_refused_to_others(world: Any, login: Any) -> None:
    history(world, 1)
    sample = ListeningSample.objects.first()
    assert sample is not None
    assert (
        login(world.owner).post(f"/console/insight/listening/{sample.pk}/listened").status_code
        == 403
    )
    assert (
        login(world.stranger).post(f"/console/insight/listening/{sample.pk}/listened").status_code
        == 403
    )
    sample.refresh_from_db()
    assert sample.listened_at is None


def test_the_board_ranks_causes_and_tracks_items(world: Any, login: Any) -> None:
    client = login(world.manager)
    assert client.post("/console/insight/board/causes", {"name": "Wrong table"}).status_code == 302
    assert client.post("/console/insight/board/causes", {"name": "Wrong table"}).status_code == 409
    cause = RootCause.objects.get(business=world.x)
    need = open_need(world.customer_a, kind="complaint")
    services.resolution_propose(
        staff=world.owner, need=need, summary="Sorry", root_cause_id=cause.pk
    )
    projection.rebuild(business_ids=[world.x.pk])
    r = client.post(
        "/console/insight/board/items",
        {"root_cause": cause.pk, "title": "Seat numbers on the handhelds", "owner": world.lead.pk},
    )
    assert r.status_code == 302
    item = ImprovementItem.objects.get()
    assert (
        client.post(f"/console/insight/board/items/{item.pk}", {"status": "done"}).status_code
        == 302
    )
    item.refresh_from_db()
    assert item.status == "done" and item.fixed_at is not None
    html = client.get("/console/insight/board/").content.decode()
    assert "Wrong table" in html and "Seat numbers on the handhelds" in html
    assert "0.25 → 0.0" in html.replace(",", ".")  # one complaint in the 4 weeks before, none since


def test_a_host_gives_a_reward_from_the_loyalty_view(world: Any, login: Any) -> None:
    need = open_need(world.customer_a)
    client = login(world.owner)
    assert client.get(f"/console/insight/customers/{world.customer_a.pk}/").status_code == 200
    r = client.post(
        f"/console/insight/customers/{world.customer_a.pk}/reward",
        {"kind": "material", "description": "Free pancake", "value": "8.50", "need": need.pk},
    )
    assert r.status_code == 302, r.content[:300]
    assert Reward.objects.get().value_cents == 850
    r = client.post(
        f"/console/insight/customers/{world.customer_a.pk}/reward",
        {"kind": "material", "description": "A bike", "value": "900"},
    )
    assert r.status_code == 403 and Reward.objects.count() == 1
    assert client.get(f"/console/insight/customers/{world.customer_y.pk}/").status_code == 404
    assert (
        login(world.kitchen).get(f"/console/insight/customers/{world.customer_a.pk}/").status_code
        == 403
    )


# --- portal ------------------------------------------------------------------------------------


def test_a_customer_rates_with_one_tap(world: Any, login: Any) -> None:
    need = services.resolution_propose(
        staff=world.owner, need=open_need(world.customer_a), summary="Done"
    )
    client = login(world.customer_a)
    url = f"/portal/feedback/rate?need={need.pk}&touchpoint=resolution_proposed"
    assert client.get(url).status_code == 200
    r = client.post(
        "/portal/feedback/rate",
        {"need": need.pk, "touchpoint": "resolution_proposed", "rating": "5"},
        HTTP_HX_REQUEST="true",
    )
    assert r.status_code == 200 and "rate-thanks" in r.content.decode()
    assert Rating.objects.get().rating == 5
    # someone else's need: 404, nothing stored
    assert (
        login(world.customer_b)
        .post("/portal/feedback/rate", {"need": need.pk, "touchpoint": "answer", "rating": "1"})
        .status_code
        == 404
    )
    assert Rating.objects.count() == 1


def test_a_customer_answers_a_survey_in_the_standard_wording(world: Any, login: Any) -> None:
    client = login(world.customer_a)
    r = client.get("/portal/feedback/survey/ces/")
    html = r.content.decode()
    assert "heeft het mij gemakkelijk gemaakt om mijn probleem af te handelen." in html
    assert "Helemaal mee eens" in html
    assert client.post("/portal/feedback/survey/ces/", {"score": "9"}).status_code == 422
    assert client.post("/portal/feedback/survey/ces/", {"score": "6"}).status_code == 200
    assert SurveyResponse.objects.get().score == 6
    assert client.post("/portal/feedback/survey/ces/", {"score": "6"}).status_code == 409
    assert client.get("/portal/feedback/survey/bogus/").status_code == 404
    assert login(world.owner).get("/portal/feedback/survey/ces/").status_code == 403


def test_the_dashboard_says_how_far_the_figures_are_behind(world: Any, login: Any) -> None:
    from tests.helpers import settle

    open_need(world.customer_a)  # written; the metrics reaction has not counted it yet
    page = login(world.manager).get("/console/insight/").content.decode()
    assert 'class="freshness"' in page
    assert "seconden achter: er moet nog 1 gebeurtenis worden meegeteld" in page
    settle()
    page = login(world.manager).get("/console/insight/").content.decode()
    assert "De cijfers bevatten alles wat er is gebeurd." in page

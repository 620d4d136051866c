"""Need-level figures on small hand-built journeys with known answers (docs/metrics.md)."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock

import pytest

from klantstuur.feedback import services as feedback
from klantstuur.metrics import projection
from klantstuur.metrics.models import DailyRollup, NeedFacts
from klantstuur.metrics.selectors import figures, journeys, scope_for
from klantstuur.needs import services
from klantstuur.needs.models import Need
from tests.helpers import API, assert_error

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)  # a Monday, 10:00 in Amsterdam


@contextmanager
def clock(when: datetime) -> Iterator[None]:
    with mock.patch("django.utils.timezone.now", return_value=when):
        yield


@pytest.fixture
def live(django_capture_on_commit_callbacks: Any) -> Callable[..., Any]:
    """Run one step and its after-commit reactions (the metric projection among them)."""

    def run(when: datetime, fn: Callable[..., Any], /, **kwargs: Any) -> Any:
        with clock(when), django_capture_on_commit_callbacks(execute=True):
            return fn(**kwargs)

    return run


def h(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def three_calls(world: Any, live: Any) -> Need:
    """The article's case: three calls, each answered at once, one need."""
    a, owner = world.customer_a, world.owner
    need = live(h(0), services.need_open, customer=a, kind="question", summary="Internet is down")
    live(h(1), services.message_post_by_staff, staff=owner, need=need, body="Switched it on.")
    live(h(48), services.message_post_by_customer, customer=a, need=need, body="Now TV is off")
    live(h(49), services.message_post_by_staff, staff=owner, need=need, body="Switched it on.")
    live(h(96), services.message_post_by_customer, customer=a, need=need, body="Now mobile")
    live(h(97), services.resolution_propose, staff=owner, need=need, summary="All switched on")
    live(h(100), services.resolution_confirm, customer=a, need=need)
    return need


def one_call(world: Any, live: Any) -> Need:
    b, owner = world.customer_b, world.owner
    need = live(h(2), services.need_open, customer=b, kind="question", summary="Opening hours?")
    live(h(4), services.resolution_propose, staff=owner, need=need, summary="9 to 5")
    live(h(6), services.resolution_confirm, customer=b, need=need)
    return need


def scope(world: Any, **kw: Any) -> Any:
    return scope_for(business_id=world.x.pk, today=T0.date() + timedelta(days=10), **kw)


def test_it_shows_three_first_time_right_calls_as_one_need_not_solved_first_time(
    world: Any, live: Any
) -> None:
    three_calls(world, live)
    f = figures(scope(world))
    assert f["needs"] == 1
    assert f["contacts_per_need"] == 3.0
    assert f["ticket_fcr"] == 1.0  # every call answered before the customer came back
    assert f["need_fcr"] == 0.0  # but the customer had to call three times
    assert f["resolution_hours_p50"] == 100.0
    # three contacts: two extra contacts in the index, confirmed at the end
    assert f["experience_index"] == round(0.85 * 0.85, 4)


def test_it_computes_every_figure_on_two_journeys(world: Any, live: Any) -> None:
    three_calls(world, live)
    one_call(world, live)
    f = figures(scope(world))
    assert f["needs"] == 2
    assert f["contacts_per_need"] == 2.0
    assert f["ticket_fcr"] == 1.0
    assert f["need_fcr"] == 0.5
    assert f["resolution_hours_p50"] == 52.0  # median of 100 h and 4 h
    assert f["reopen_rate"] == 0.0
    assert f["handoffs_per_need"] == 0.0
    assert f["promise_kept_rate"] is None
    assert f["solved"] == 2
    assert f["experience_index"] == round((0.7225 + 1.0) / 2, 4)
    assert f["average_rating"] is None and f["responses"] == 0


def test_it_counts_a_chase_against_ticket_fcr_and_times_the_answer(world: Any, live: Any) -> None:
    a, owner = world.customer_a, world.owner
    need = live(h(0), services.need_open, customer=a, kind="question", summary="Refund?")
    live(h(1), services.message_post_by_customer, customer=a, need=need, body="Hello??")
    live(h(3), services.message_post_by_staff, staff=owner, need=need, body="On its way")
    f = figures(scope(world))
    # the first contact was chased (not first-time right), the second was answered
    assert f["ticket_fcr"] == 0.5
    hours = {r["hour_of_week"]: r for r in f["response_by_hour_of_week"]}
    # Monday 10:00 and 11:00 Amsterdam; answered after 3 h and 2 h
    assert hours[10] == {"hour_of_week": 10, "contacts": 1, "answered": 1, "avg_minutes": 180.0}
    assert hours[11] == {"hour_of_week": 11, "contacts": 1, "answered": 1, "avg_minutes": 120.0}


def test_it_counts_reopens_and_handoffs(world: Any, live: Any) -> None:
    a, owner, colleague = world.customer_a, world.owner, world.colleague
    need = live(h(0), services.need_open, customer=a, kind="question", summary="Broken bell")
    offer = live(
        h(1), services.handoff_offer, staff=owner, need=need, to_staff=colleague, reason="Yours"
    )
    live(h(2), services.handoff_accept, staff=colleague, handoff=offer)
    live(h(3), services.resolution_propose, staff=colleague, need=need, summary="Fixed")
    live(h(4), services.need_reopen, customer=a, need=need, reason="Still broken")
    f = figures(scope(world))
    assert f["reopen_rate"] == 1.0
    assert f["handoffs_per_need"] == 1.0
    assert f["contacts_per_need"] == 2.0
    assert f["experience_index"] == round(0.85 * 0.9 * 0.7, 4)
    # the need moved to the colleague: the owner's figures no longer hold it
    assert figures(scope(world, owner_id=colleague.pk))["needs"] == 1
    assert figures(scope(world, owner_id=owner.pk))["needs"] == 0
    assert figures(scope(world, team="host"))["needs"] == 1
    assert Need.objects.get(pk=need.pk).experience_index == round(0.85 * 0.9 * 0.7, 4)


def test_nine_good_touchpoints_and_one_bad_drag_the_journey_down(world: Any, live: Any) -> None:
    a, owner = world.customer_a, world.owner
    need = live(h(0), services.need_open, customer=a, kind="question", summary="Dinner")
    for i in range(9):
        live(h(1), services.message_post_by_staff, staff=owner, need=need, body=f"Answer {i}")
    # the customer rates the answer, then proposal and confirmation touchpoints
    live(h(2), feedback.rating_give, customer=a, need_id=need.pk, touchpoint="answer", rating=5)
    live(h(3), services.resolution_propose, staff=owner, need=need, summary="Done")
    live(
        h(4),
        feedback.rating_give,
        customer=a,
        need_id=need.pk,
        touchpoint="resolution_proposed",
        rating=1,
        comment="Cold food",
    )
    facts = NeedFacts.objects.get(need_id=need.pk)
    assert facts.ratings_count == 2 and facts.rating_min == 1
    # the low rating reopened the need with its owner: closed loop
    need.refresh_from_db()
    assert need.status == "open" and need.owner_id == owner.pk and need.reopens == 1


def test_the_rollups_equal_a_rebuild_from_the_journal(world: Any, live: Any) -> None:
    three_calls(world, live)
    one_call(world, live)
    before = list(DailyRollup.objects.order_by("day", "owner_id").values())
    projection.rebuild(business_ids=[world.x.pk])
    after = list(DailyRollup.objects.order_by("day", "owner_id").values())
    strip = [{k: v for k, v in r.items() if k != "id"} for r in before]
    assert strip == [{k: v for k, v in r.items() if k != "id"} for r in after]


def test_it_drills_down_from_contacts_per_need_to_the_journeys(world: Any, live: Any) -> None:
    three = three_calls(world, live)
    one = one_call(world, live)
    rows = list(journeys(scope(world), "contacts_per_need").values_list("need_id", flat=True))
    assert rows == [three.pk, one.pk]
    assert list(journeys(scope(world), "need_fcr").values_list("need_id", flat=True)) == [three.pk]


def test_the_period_selects_needs_by_their_first_contact_day(world: Any, live: Any) -> None:
    three_calls(world, live)
    assert figures(scope(world, start="2025-03-04", end="2025-03-10"))["needs"] == 0
    assert figures(scope(world, start="2025-03-03", end="2025-03-03"))["needs"] == 1


# --- the endpoint ----------------------------------------------------------------------


def test_the_api_gives_a_manager_the_figures(
    world: Any, live: Any, api: Any, django_assert_max_num_queries: Any
) -> None:
    three_calls(world, live)
    client = api(world.manager)
    with django_assert_max_num_queries(12):
        r = client.get(f"{API}/metrics", **{"from": "2025-03-01", "to": "2025-03-31"})
    assert r.status_code == 200, r.content
    body = r.json()
    for key in [
        "needs",
        "contacts_per_need",
        "resolution_hours_p50",
        "reopen_rate",
        "handoffs_per_need",
        "promise_kept_rate",
        "experience_index",
        "average_rating",
        "ticket_fcr",
        "need_fcr",
        "csat",
        "ces",
        "nps",
        "responses",
    ]:
        assert key in body
    assert body["needs"] == 1 and body["need_fcr"] == 0.0 and body["ticket_fcr"] == 1.0


def test_the_api_drills_down(world: Any, live: Any, api: Any) -> None:
    need = three_calls(world, live)
    r = api(world.manager).get(
        f"{API}/metrics/journeys", figure="contacts_per_need", **{"from": "2025-03-01"}
    )
    assert r.status_code == 200
    assert r.json()["count"] == 1 and r.json()["items"][0]["need_id"] == need.pk


@pytest.mark.parametrize("actor", ["owner", "lead", "kitchen", "carrier", "customer_a"])
def test_the_metrics_are_for_managers_only(world: Any, api: Any, actor: str) -> None:
    assert_error(api(getattr(world, actor)).get(f"{API}/metrics"), 403)


def test_the_metrics_of_another_business_are_not_found(world: Any, api: Any) -> None:
    assert_error(api(world.manager).get(f"{API}/metrics", business="y"), 404, "business")
    assert_error(api(world.manager).get(f"{API}/metrics", owner=str(world.stranger.pk)), 404)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "yesterday"}, "from"),
        ({"from": "2025-02-30"}, "from"),
        ({"from": "2025-03-10", "to": "2025-03-01"}, "from"),
        ({"from": "2000-01-01", "to": "2025-03-01"}, "from"),
        ({"team": "pilots"}, "team"),
        ({"owner": "-1"}, "owner"),
        ({"owner": "9" * 30}, "owner"),
    ],
)
def test_bad_metrics_input_is_a_422_naming_the_field(
    world: Any, api: Any, params: dict[str, str], field: str
) -> None:
    assert_error(api(world.manager).get(f"{API}/metrics", **params), 422, field)


def test_anonymous_gets_401(world: Any, api: Any) -> None:
    assert api(None).get(f"{API}/metrics").status_code == 401

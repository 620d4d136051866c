"""The station board's live fragment: every line's buttons post where they must, with
its status in words, for any number of lines (the links are worked out once per render,
console/floor/board_lines.py)."""

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from klantstuur.orders.models import LineStatus, Order
from tests.conftest import World
from tests.floor.test_api import terrace  # noqa: F401  (fixture)
from tests.floor.test_pages import seated  # noqa: F401  (fixture)


@pytest.fixture(autouse=True)
def _english(settings: Any) -> None:
    settings.LANGUAGE_CODE = "en"


def test_every_line_on_the_board_links_to_its_own_actions(
    world: World,
    login: Any,
    seated: dict[str, Any],  # noqa: F811
    django_assert_max_num_queries: Any,
) -> None:
    party = seated["party"]
    host = login(world.owner)
    grid = {f"q-{seat}-{seated['pancake'].pk}": "1" for seat in (1, 2, 3)}
    assert host.post(f"/console/floor/parties/{party.pk}/order/", grid).status_code == 302
    first, second, third = Order.objects.get(party=party).lines.order_by("id")
    kitchen = login(world.kitchen)
    assert kitchen.post(f"/console/floor/lines/{second.pk}/start/").status_code == 302
    assert kitchen.post(f"/console/floor/lines/{third.pk}/bump/").status_code == 302
    with django_assert_max_num_queries(12):
        r = kitchen.get("/console/floor/stations/pannenkoeken/live/")
    assert r.status_code == 200
    html = r.content.decode()

    def posts_to(url: str) -> int:
        return html.count(f'action="{url}" hx-post="{url}"')

    start, bump, recall = (f"console_floor:line_{x}" for x in ("start", "bump", "recall"))
    assert posts_to(reverse(start, args=[first.pk])) == 1
    assert posts_to(reverse(start, args=[second.pk])) == 0  # already being made
    assert posts_to(reverse(bump, args=[first.pk])) == 1
    assert posts_to(reverse(bump, args=[second.pk])) == 1
    assert posts_to(reverse(bump, args=[third.pk])) == 0  # ready: among the last bumps
    assert posts_to(reverse(recall, args=[third.pk])) == 1
    ticket = reverse("console_floor:ticket_bump", args=["pannenkoeken", first.order_id])
    assert posts_to(ticket) == 1
    # A line not yet started shows its Start button, not a badge (one screen, #13).
    assert html.count(f">{LineStatus.RECEIVED.label}</span>") == 0
    assert html.count(f">{LineStatus.IN_PROGRESS.label}</span>") == 1
    assert html.count(">Start</button>") == 1
    assert html.count(">Ready</button>") == 2
    assert html.count(">Recall</button>") == 1


@pytest.mark.parametrize(
    ("language", "seat", "mixed", "together"),
    [
        ("en", "seat 2", "Main course · fired 19:02 · promised 19:20", "promised 19:20"),
        ("nl", "stoel 2", "Hoofdgerecht · afgeroepen 19:02 · beloofd 19:20", "beloofd 19:20"),
    ],
)
def test_each_line_says_its_seat_course_and_times_in_the_readers_language(
    world: World,
    login: Any,
    seated: dict[str, Any],  # noqa: F811
    language: str,
    seat: str,
    mixed: str,
    together: str,
) -> None:
    """One translated string per line, made in Python (board_lines.line_times): exactly
    what the template's three translations said, in the business's time zone."""
    party = seated["party"]
    host = login(world.owner)
    grid = {f"q-{n}-{seated['pancake'].pk}": "1" for n in (1, 2)}
    assert host.post(f"/console/floor/parties/{party.pk}/order/", grid).status_code == 302
    lines = list(Order.objects.get(party=party).lines.order_by("id"))
    zone = ZoneInfo(party.business.time_zone)
    fired = datetime(2026, 12, 5, 19, 2, tzinfo=zone)
    promised = datetime(2026, 12, 5, 19, 20, tzinfo=zone)
    for line in lines:
        line.course, line.fired_at, line.promised_at = "main", fired, promised
        line.first_promised_at = promised
        line.save()
    kitchen = login(world.kitchen)
    kitchen.cookies["django_language"] = language
    html = kitchen.get("/console/floor/stations/pannenkoeken/live/").content.decode()
    # Fired together: the ticket says course and time once, each line only its promise.
    ticket = mixed.rsplit(" · ", 1)[0]
    assert html.count(f'<p class="ticket-fired">{ticket}</p>') == 1
    assert html.count(f'<small class="promise">{together}</small>') == 2
    assert f'<span class="seat">{seat}</span>' in html
    # Fired apart: each line says its own course and time.
    lines[1].fired_at = fired + timedelta(seconds=30)
    lines[1].save()
    html = kitchen.get("/console/floor/stations/pannenkoeken/live/").content.decode()
    assert html.count(f'<small class="promise">{mixed}</small>') == 2
    assert 'class="ticket-fired"' not in html


def test_the_boards_queries_do_not_grow_with_its_lines(
    world: World,
    login: Any,
    seated: dict[str, Any],  # noqa: F811
) -> None:
    """The board reads only ``boards.BOARD_FIELDS``: a field the template reads beyond them
    would be one query per line, open or among the last bumps."""
    party = seated["party"]
    host = login(world.owner)
    kitchen = login(world.kitchen)
    board = "/console/floor/stations/pannenkoeken/live/"
    counts = []
    for seats in ((1,), (1, 2, 3)):
        grid = {f"q-{seat}-{seated['pancake'].pk}": "1" for seat in seats}
        assert host.post(f"/console/floor/parties/{party.pk}/order/", grid).status_code == 302
        ready = Order.objects.filter(party=party).latest("id").lines.order_by("id").first()
        assert ready is not None
        assert kitchen.post(f"/console/floor/lines/{ready.pk}/bump/").status_code == 302
        with CaptureQueriesContext(connection) as read:
            assert kitchen.get(board).status_code == 200
        counts.append(len(read.captured_queries))
    assert counts[0] == counts[1]

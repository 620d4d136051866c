"""The station board's live fragment: every line's buttons post where they must, with
its status in words, for any number of lines (the links are worked out once per render,
console/floor/board_lines.py)."""

from typing import Any

import pytest
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

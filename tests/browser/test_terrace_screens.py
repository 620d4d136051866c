"""A busy Saturday on one screen (issue #13): a station with 12 tickets of 3 lines, and
the pass with the same 36 plates for 12 tables, fit the kitchen's 1280×800 screen and
the runner's 768×1024 tablet without scrolling — every ticket inside the viewport, the
page no wider than the screen. On a 390×844 phone the page scrolls down, never sideways.
The host picks another course for a line on the order page with a tap.

Screenshots: KLANTSTUUR_SCREENSHOTS=/tmp/shots pytest tests/browser/test_terrace_screens.py
"""

from typing import Any

import pytest

from klantstuur.catalog.models import CatalogItem
from klantstuur.floor import kitchen
from klantstuur.floor.models import Party
from klantstuur.floor.ordering import party_order_place
from klantstuur.floor.services import party_seat, table_create
from klantstuur.orders.models import LineStatus, OrderChannel, OrderLine
from klantstuur.orders.services import LineSpec
from tests.browser.conftest import assert_accessible, shot
from tests.browser.test_terrace import _login
from tests.conftest import World
from tests.floor.test_api import terrace  # noqa: F401  (fixture)

SCREENS = [(1280, 800), (768, 1024)]
PHONE = (390, 844)
TABLES = 12

# Everything the page shows, measured in the browser: how wide the page is, and every
# box of the given selector that sticks out of the viewport.
MEASURE = """sel => {
  const out = [];
  for (const el of document.querySelectorAll(sel)) {
    const r = el.getBoundingClientRect();
    if (r.left < 0 || r.top < 0 || r.right > innerWidth || r.bottom > innerHeight) {
      out.push([el.dataset.order || el.dataset.table || '?', Math.round(r.right),
                Math.round(r.bottom)]);
    }
  }
  return {scrollWidth: document.documentElement.scrollWidth, innerWidth, innerHeight,
          count: document.querySelectorAll(sel).length, outside: out};
}"""


@pytest.fixture
def busy(world: World, terrace: dict[str, Any]) -> dict[str, Any]:  # noqa: F811
    """12 tables, three pancakes each at the griddle (one per seat), all received."""
    names = ["Spek", "Appel-kaneel", "Kaas en ham"]
    items = [terrace["pancake"]] + [
        CatalogItem.objects.create(
            business=world.x,
            name=name,
            price_cents=1250,
            station=terrace["griddle"],
            prep_minutes=10,
            course="main",
        )
        for name in names[1:]
    ]
    tables = [terrace["t12"], terrace["t21"], terrace["t3"]] + [
        table_create(section=terrace["terras"], number=str(30 + n), seats=4)
        for n in range(TABLES - 3)
    ]
    for table in tables:
        party = party_seat(
            business=world.x, table=table, seats=table.seats, actor_staff=world.owner
        )
        specs = [
            LineSpec(item_id=item.pk, quantity=1, seat=n % table.seats + 1)
            for n, item in enumerate(items)
        ]
        party_order_place(
            business=world.x,
            party=party,
            lines=specs,
            channel=OrderChannel.STAFF,
            actor_staff=world.owner,
        )
    assert OrderLine.objects.filter(status=LineStatus.RECEIVED).count() == TABLES * 3
    return terrace


def _fits(page: Any, selector: str, name: str) -> None:
    found = page.evaluate(MEASURE, selector)
    assert found["count"] == TABLES, found
    assert found["scrollWidth"] <= found["innerWidth"], f"{name} scrolls sideways: {found}"
    assert found["outside"] == [], f"{name}: tickets outside the screen: {found}"


def _no_sideways(page: Any, name: str) -> None:
    found = page.evaluate(MEASURE, "body")
    assert found["scrollWidth"] <= found["innerWidth"], f"{name} scrolls sideways: {found}"


def _screen(browser: Any, base: str, world: World, width: int, height: int) -> Any:
    ctx = browser.new_context(viewport={"width": width, "height": height}, locale="nl-NL")
    _login(ctx, base, world.manager)
    page = ctx.new_page()
    page.set_default_timeout(10_000)
    return ctx, page


@pytest.mark.django_db(transaction=True)
def test_twelve_tickets_fit_the_board_and_the_pass_on_one_screen(
    live_server: Any, browser: Any, world: World, busy: dict[str, Any]
) -> None:
    base = live_server.url
    board_url = f"{base}/console/floor/stations/{busy['griddle'].code}/"
    for width, height in [*SCREENS, PHONE]:
        ctx, page = _screen(browser, base, world, width, height)
        try:
            page.goto(board_url)
            page.wait_for_selector(".ticket")
            shot(page, f"board-{width}x{height}")
            if (width, height) == PHONE:
                _no_sideways(page, "the board on a phone")
            else:
                _fits(page, ".ticket", f"the board at {width}×{height}")
                assert_accessible(page)
        finally:
            ctx.close()
    # Every plate bumped: the pass holds 36 plates of 12 tables.
    for line in OrderLine.objects.filter(status=LineStatus.RECEIVED):
        kitchen.line_ready(staff=world.manager, line_id=line.pk)
    for width, height in [*SCREENS, PHONE]:
        ctx, page = _screen(browser, base, world, width, height)
        try:
            page.goto(f"{base}/console/floor/runner/")
            page.wait_for_selector(".pass-ticket")
            assert page.locator(".plate").count() == TABLES * 3
            shot(page, f"pass-{width}x{height}")
            if (width, height) == PHONE:
                _no_sideways(page, "the pass on a phone")
            else:
                _fits(page, ".pass-ticket", f"the pass at {width}×{height}")
                assert_accessible(page)
        finally:
            ctx.close()


@pytest.mark.django_db(transaction=True)
def test_the_host_taps_another_course_for_a_line(
    live_server: Any,
    browser: Any,
    world: World,
    terrace: dict[str, Any],  # noqa: F811
) -> None:
    base = live_server.url
    party = party_seat(business=world.x, table=terrace["t12"], seats=2, actor_staff=world.owner)
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, locale="nl-NL")
    _login(ctx, base, world.owner)
    try:
        host = ctx.new_page()
        host.set_default_timeout(10_000)
        host.goto(f"{base}/console/floor/parties/{party.pk}/order/")
        spek = terrace["pancake"].pk
        # Seat 1's pancake comes first, as a starter; seat 2's is the main.
        host.locator(f"#q-1-{spek}").fill("1")
        assert host.locator(f"#c-1-{spek}").input_value() == "main"
        host.locator(f"#c-1-{spek}").select_option("starter")
        host.locator("label[data-seat-tab='2']").click()
        host.locator(f"#q-2-{spek}").fill("1")
        assert_accessible(host)
        shot(host, "order-course-pick")
        host.get_by_role("button", name="Naar de stations").click()
        host.wait_for_url(f"{base}/console/floor/")
        lines = {x.seat: (x.course, x.status) for x in OrderLine.objects.all()}
        assert lines == {1: ("starter", "received"), 2: ("main", "held")}
        # The floor card fires the mains next, in words.
        host.get_by_role("button", name="Afroepen: Hoofdgerecht").click()
        host.wait_for_url(f"{base}/console/floor/")
        assert OrderLine.objects.get(seat=2).status == LineStatus.RECEIVED
        assert Party.objects.get(pk=party.pk).seats == 2
    finally:
        ctx.close()

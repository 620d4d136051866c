"""A table from seating to receipt, in Chromium, live over SSE (issue #13).

The host seats two guests and orders by seat from the menu grid (the dessert waits
for its course), the griddle starts and bumps, the runner serves each plate at its
seat, the host fires the dessert with one tap on the floor card, the guest rates from
the phone with one tap, the host takes the payment per seat and closes the table after
the confirmation step; the boards are empty of it and the guest's link shows the
receipt, where they rate once more.
"""

from typing import Any

import pytest

from klantstuur.catalog.models import CatalogItem
from klantstuur.feedback.models import Rating
from klantstuur.floor.models import Party, PartyStatus, Payment
from klantstuur.orders.models import LineStatus, OrderLine
from tests.browser.conftest import assert_accessible, shot
from tests.browser.test_terrace import _login, asgi_server  # noqa: F401  (fixture)
from tests.conftest import World
from tests.floor.test_api import terrace  # noqa: F401  (fixture)


def _context(browser: Any, base: str, width: int, height: int) -> Any:
    """Staff who switched the console to English."""
    ctx = browser.new_context(viewport={"width": width, "height": height}, locale="en-GB")
    ctx.add_cookies([{"name": "django_language", "value": "en", "url": base}])
    return ctx


def _dutch_phone(browser: Any) -> Any:
    """A guest's own phone: no switch touched, Dutch (Accept-Language nl-NL)."""
    return browser.new_context(viewport={"width": 390, "height": 844}, locale="nl-NL")


def _page(ctx: Any) -> Any:
    page = ctx.new_page()
    page.set_default_timeout(10_000)
    return page


def _serve(runner: Any, line: OrderLine) -> None:
    plate = runner.locator(f'.plate[data-line="{line.pk}"]')
    plate.wait_for()
    plate.locator("input[name=table]").fill("12")
    plate.locator("button.seat", has_text=str(line.seat)).click()
    runner.wait_for_selector(f'.plate[data-line="{line.pk}"]', state="detached")


@pytest.mark.django_db(transaction=True)
def test_a_table_from_seating_to_receipt(
    asgi_server: str,  # noqa: F811
    browser: Any,
    world: World,
    terrace: dict[str, Any],  # noqa: F811
) -> None:
    base = asgi_server
    ice = CatalogItem.objects.create(
        business=world.x,
        name="Dame blanche",
        price_cents=725,
        station=terrace["bar"],
        prep_minutes=5,
        course="dessert",
        allergens="lactose",
    )
    desk = _context(browser, base, 1280, 800)
    kitchen_ctx = _context(browser, base, 1280, 800)
    runner_ctx = _context(browser, base, 390, 844)
    phone = _dutch_phone(browser)
    try:
        _login(desk, base, world.owner)
        _login(kitchen_ctx, base, world.manager)  # works every station
        _login(runner_ctx, base, world.colleague)
        host = _page(desk)

        # Seating.
        host.goto(f"{base}/console/floor/")
        host.locator("details.seat-form summary").click()
        host.locator("select[name=table]").select_option("12")
        host.locator("input[name=seats]").fill("2")
        host.get_by_role("button", name="Seat", exact=True).click()
        host.wait_for_url("**/order/")
        party = Party.objects.get(table=terrace["t12"])

        # Ordering by seat from the grid: seat 1 a pancake and a cola, seat 2 a pancake and
        # the dessert; tabs only for the party's two seats and shared.
        tabs = host.locator("[data-seat-tab]")
        assert tabs.all_inner_texts() == ["Seat 1", "Seat 2", "Shared"]
        assert_accessible(host)
        host.locator(f"#q-1-{terrace['pancake'].pk}").fill("1")
        host.locator(f"#q-1-{terrace['cola'].pk}").fill("1")
        host.locator("label[data-seat-tab='2']").click()
        host.locator(f"#q-2-{terrace['pancake'].pk}").fill("1")
        host.locator(f"#q-2-{ice.pk}").fill("1")
        shot(host, "evening-order-grid")
        host.get_by_role("button", name="Send to the stations").click()
        host.wait_for_url(f"{base}/console/floor/")
        lines = {(x.item.name, x.seat): x for x in OrderLine.objects.select_related("item")}
        assert lines[("Dame blanche", 2)].status == LineStatus.HELD

        # The guest follows on the phone.
        guest = _page(phone)
        guest.goto(f"{base}/guest/{party.guest_token}/")
        guest.wait_for_selector("#orders[data-version]")
        assert_accessible(guest)

        # The griddle: start, then ready; the dessert is on no board yet.
        board = _page(kitchen_ctx)
        board.goto(f"{base}/console/floor/stations/pannenkoeken/")
        board.wait_for_selector("#board[data-version]")
        assert "2× Spek" in board.inner_text(".all-day")
        assert_accessible(board)
        shot(board, "evening-board")
        for seat in (1, 2):
            line = lines[("Spek", seat)]
            board.locator(f'[data-line="{line.pk}"] button.start').click()
            board.wait_for_selector(f'[data-line="{line.pk}"][data-status="in_progress"]')
            board.locator(f'[data-line="{line.pk}"] button.bump').click()
            board.wait_for_selector(f'[data-line="{line.pk}"]', state="detached")
        bar = _page(kitchen_ctx)
        bar.goto(f"{base}/console/floor/stations/bar/")
        bar.wait_for_selector("#board[data-version]")
        assert "Dame blanche" not in bar.inner_text("#board")
        bar.locator(f'[data-line="{lines[("Cola", 1)].pk}"] button.bump').click()

        # The runner serves each plate at its seat.
        runner = _page(runner_ctx)
        runner.goto(f"{base}/console/floor/runner/")
        runner.wait_for_selector("#pass[data-version]")
        for key in (("Spek", 1), ("Spek", 2), ("Cola", 1)):
            _serve(runner, lines[key])
        guest.wait_for_selector('[data-status="served"]')

        # One tap on the floor card fires the dessert; the bar makes it, the runner runs it.
        host.goto(f"{base}/console/floor/")
        host.get_by_role("button", name="Fire: Dessert").click()
        dessert = lines[("Dame blanche", 2)]
        bar.wait_for_selector(f'[data-line="{dessert.pk}"]')
        assert "lactose" in bar.inner_text(f'[data-line="{dessert.pk}"]')
        bar.locator(f'[data-line="{dessert.pk}"] button.bump').click()
        _serve(runner, dessert)

        # The guest rates from the phone with one tap; thanks in place.
        guest.wait_for_selector(".rate-form button[aria-label='4 van 5']")
        guest.locator(".rate-form button[aria-label='4 van 5']").first.click()
        guest.wait_for_selector(".rate-thanks")
        assert list(Rating.objects.values_list("rating", flat=True)) == [4]
        shot(guest, "evening-guest-rated")

        # The bill per seat, paid seat by seat.
        host.goto(f"{base}/console/floor/parties/{party.pk}/bill/")
        assert_accessible(host)
        host.get_by_role("button", name="Pay seat 1").click()
        host.wait_for_selector("text=Payment received.")
        host.get_by_role("button", name="Pay seat 2").click()
        host.wait_for_selector("text=Everything is paid.")
        assert sorted(Payment.objects.values_list("amount_cents", flat=True)) == [
            1150 + 350,
            1150 + 725,
        ]

        # Closing takes a confirmation.
        host.get_by_role("button", name="Close the table…").click()
        host.wait_for_selector("text=Close table 12?")
        assert_accessible(host)
        host.get_by_role("button", name="Yes, the guests have paid and left").click()
        host.wait_for_url(f"{base}/console/floor/")
        assert Party.objects.get(pk=party.pk).status == PartyStatus.LEFT

        # The boards are empty of it.
        for page in (board, bar):
            page.reload()
            page.wait_for_selector("#board[data-version]")
            assert page.locator(".ticket-line").count() == 0
        runner.reload()
        assert runner.locator(".plate").count() == 0

        # The guest link: the receipt and a thank-you, and one more rating — in the
        # phone's language, whatever the staff's screens speak.
        guest.goto(f"{base}/guest/{party.guest_token}/")
        assert "Bedankt voor jullie bezoek!" in guest.inner_text("main")
        assert "€ 33,75" in guest.inner_text(".receipt")
        assert_accessible(guest)
        shot(guest, "evening-receipt")
        guest.locator(".rate-form button[aria-label='5 van 5']").last.click()
        # The served plates were rated already; now the ordering is too: two thank-yous.
        guest.locator(".rate-thanks").nth(1).wait_for()  # no string eval under the CSP
        assert sorted(Rating.objects.values_list("rating", flat=True)) == [4, 5]
    finally:
        for ctx in (desk, kitchen_ctx, runner_ctx, phone):
            ctx.close()

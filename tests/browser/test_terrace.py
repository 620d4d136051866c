"""The pancake terrace in Chromium, live over SSE under ASGI (uvicorn in a thread).

A guest orders on a phone → the griddle's board shows it without reload → the
kitchen bumps → the runner tries the wrong table (refused) → delivers at the
right seat → the guest page shows "served" without reload.
"""

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from klantstuur.businesses.models import StaffMember
from klantstuur.floor.models import Party
from klantstuur.floor.services import party_seat
from klantstuur.live import broker
from klantstuur.orders.models import Checkpoint, LineStatus, OrderLine
from tests.browser.conftest import shot
from tests.conftest import World
from tests.floor.test_api import terrace  # noqa: F401  (fixture)


@pytest.fixture
def asgi_server(transactional_db: Any) -> Iterator[str]:
    """The real ASGI application (SSE needs it), on a free port, sharing the test database."""
    import uvicorn

    from klantstuur.asgi import application

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = uvicorn.Config(
        application,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="off",
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(5)
    # The LISTEN connection (PostgreSQL) must not outlive the test database.
    broker.stop_listener()


def _login(context: Any, base: str, staff: StaffMember) -> None:
    client = Client()
    client.force_login(staff.user, backend="django.contrib.auth.backends.ModelBackend")
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": base}])


@pytest.mark.django_db(transaction=True)
def test_a_plate_reaches_the_right_seat_live(
    asgi_server: str,
    browser: Any,
    world: World,
    terrace: dict[str, Any],  # noqa: F811
) -> None:
    base = asgi_server
    party: Party = party_seat(
        business=world.x, table=terrace["t12"], seats=3, actor_staff=world.owner
    )
    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-GB")
    desk = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    # The UI is Dutch by default; this test reads the English texts (the NL/EN switch's cookie).
    for ctx in (phone, desk):
        ctx.add_cookies([{"name": "django_language", "value": "en", "url": base}])
    try:
        _login(desk, base, world.kitchen)
        board = desk.new_page()
        board.set_default_timeout(10_000)
        board.goto(f"{base}/console/floor/stations/pannenkoeken/")
        board.wait_for_selector("#board[data-version]")  # the stream is open
        assert board.locator(".ticket-line").count() == 0

        guest = phone.new_page()
        guest.set_default_timeout(10_000)
        guest.goto(f"{base}/guest/{party.guest_token}/")
        guest.wait_for_selector("#orders[data-version]")
        # The menu grid: the tab of seat 2, one Spek, a note for that seat.
        guest.locator("label[data-seat-tab='2']").click()
        guest.locator(f"#q-2-{terrace['pancake'].pk}").fill("1")
        guest.locator("input[name=note-2]").fill("extra stroop")
        guest.get_by_role("button", name="Send my order").click()
        guest.wait_for_selector('[data-status="received"]')
        shot(guest, "terrace-guest-ordered")

        # The board shows it without reload.
        board.wait_for_selector(".ticket-line:has-text('Spek')")
        assert "extra stroop" in board.inner_text("#board")
        assert "Olga Owner" in board.inner_text("#board")
        shot(board, "terrace-board")
        line = OrderLine.objects.get(order__party=party)

        # The runner's pass is open before the bump.
        runner_ctx = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-GB")
        runner_ctx.add_cookies([{"name": "django_language", "value": "en", "url": base}])
        _login(runner_ctx, base, world.colleague)
        runner = runner_ctx.new_page()
        runner.set_default_timeout(10_000)
        runner.goto(f"{base}/console/floor/runner/")
        runner.wait_for_selector("#pass[data-version]")

        board.locator(f'[data-line="{line.pk}"] button.bump').click()
        board.wait_for_selector(f'[data-line="{line.pk}"]', state="detached")
        guest.wait_for_selector('[data-status="ready"]')

        plate = runner.locator(f'.plate[data-line="{line.pk}"]')
        plate.wait_for()
        shot(runner, "terrace-pass")
        plate.locator("input[name=table]").fill("21")
        plate.locator("button.seat", has_text="2").click()
        runner.wait_for_selector("[role=alert]:has-text('table 12, not 21')")
        assert OrderLine.objects.get(pk=line.pk).status == LineStatus.READY
        assert Checkpoint.objects.filter(code="wrong_delivery_prevented", line=line).count() == 1

        plate = runner.locator(f'.plate[data-line="{line.pk}"]')
        plate.locator("input[name=table]").fill("12")
        # A live refresh (someone else's bump) keeps the refusal and what the runner typed.
        version = runner.get_attribute("#pass", "data-version")
        runner.evaluate("document.querySelector('#pass').liveRefresh()")
        runner.wait_for_selector(f'#pass:not([data-version="{version}"])')
        assert "table 12, not 21" in plate.inner_text()
        assert plate.locator("input[name=table]").input_value() == "12"
        plate.locator("button.seat", has_text="2").click()
        runner.wait_for_selector(f'.plate[data-line="{line.pk}"]', state="detached")

        # The guest page shows "served" without reload.
        guest.wait_for_selector('[data-status="served"]')
        shot(guest, "terrace-guest-served")
        assert OrderLine.objects.get(pk=line.pk).status == LineStatus.SERVED
        runner_ctx.close()
    finally:
        phone.close()
        desk.close()

"""The core journey in a real browser: magic link → write → reply → propose → confirm."""

import re
from typing import Any

import pytest
from django.core import mail

from klantstuur.needs import services
from klantstuur.needs.models import EventKind, JournalEvent, NeedStatus
from tests.browser.conftest import shot
from tests.conftest import PASSWORD, World


@pytest.mark.django_db(transaction=True)
def test_it_lets_the_customer_steer_a_need_to_solved(
    world: World, live_server: Any, phone: Any, desk: Any, settings: Any
) -> None:
    settings.SITE_URL = live_server.url
    need = services.need_open(
        customer=world.customer_a, kind="question", summary="Kan ik zaterdag om 18 uur reserveren?"
    )
    assert need.owner == world.owner

    # The customer asks for a link and follows it from the e-mail.
    phone.goto(f"{live_server.url}/portal/login/?business=x")
    phone.fill("input[name=email]", "a@example.com")
    phone.click("form[action='/portal/login/'] button[type=submit]")
    links = [m for m in mail.outbox if m.to == ["a@example.com"] and "/portal/magic/" in m.body]
    assert len(links) == 1
    link = re.search(r"https?://\S+/portal/magic/\?t=\S+", links[0].body)
    assert link, links[0].body
    phone.goto(link.group(0))
    phone.wait_for_url(re.compile(r"/portal/$"))
    assert "Olga Owner" in phone.content()  # the owner is named on the customer's list

    # The customer writes on the need, and sees it on the timeline at once.
    phone.goto(f"{live_server.url}/portal/needs/{need.pk}/")
    phone.fill("#message-form textarea[name=body]", "Met vier personen, graag op het terras.")
    phone.click("#message-form button[type=submit]")
    phone.locator("#timeline", has_text="Met vier personen").wait_for()
    shot(phone, "core-1-customer-wrote")

    # The owner logs in, sees the message, replies and proposes a resolution.
    desk.goto(f"{live_server.url}/console/login/")
    desk.fill("input[name=username]", "owner@x.example")
    desk.fill("input[name=password]", PASSWORD)
    desk.click("form[action='/console/login/'] button[type=submit]")
    desk.wait_for_url(re.compile(r"/console/$"))
    desk.goto(f"{live_server.url}/console/needs/{need.pk}/")
    assert "Met vier personen" in desk.locator("#timeline").inner_text()
    desk.fill("#reply-form textarea[name=body]", "Gereserveerd: tafel 12 op het terras, 18:00.")
    desk.click("#reply-form button[type=submit]")
    desk.locator("#timeline", has_text="tafel 12").wait_for()
    desk.locator("#resolve summary").click()
    desk.fill("#resolve textarea[name=summary]", "Tafel 12 staat voor jullie klaar om 18:00.")
    desk.click("#resolve button[type=submit]")
    desk.wait_for_load_state()
    shot(desk, "core-2-owner-proposed")

    # The customer sees the reply and the proposal, and confirms it.
    phone.goto(f"{live_server.url}/portal/needs/{need.pk}/")
    assert "tafel 12 op het terras" in phone.locator("#timeline").inner_text()
    phone.click(f"form[action='/portal/needs/{need.pk}/confirm'] button[type=submit]")
    phone.wait_for_load_state()
    shot(phone, "core-3-customer-confirmed")

    need.refresh_from_db()
    assert need.status == NeedStatus.SOLVED
    assert need.owner == world.owner
    assert need.contacts == 2  # opening it, and the one message
    kinds = list(JournalEvent.objects.filter(need=need).values_list("kind", flat=True))
    assert kinds == [
        EventKind.NEED_OPENED,
        EventKind.CUSTOMER_MESSAGE,
        EventKind.STAFF_MESSAGE,
        EventKind.RESOLUTION_PROPOSED,
        EventKind.RESOLUTION_CONFIRMED,
    ]

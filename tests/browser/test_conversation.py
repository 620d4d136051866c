"""A live conversation in Chromium (issue #11): the owner's console page and the
customer's portal page (a phone) on one need, over the real ASGI server. Each sees the
other is there; a message from either side appears on the other's screen without a
reload; an internal note never reaches the customer's screen."""

from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from klantstuur.accounts.services import customer_user
from tests.browser.conftest import assert_accessible, shot
from tests.browser.test_terrace import asgi_server  # noqa: F401  (fixture)
from tests.conftest import World
from tests.helpers import open_need
from tests.mail.conftest import compose, send, smtp_port  # noqa: F401  (fixture)


def _login(context: Any, base: str, user: Any) -> None:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": base}])
    context.add_cookies([{"name": "django_language", "value": "en", "url": base}])


@pytest.mark.django_db(transaction=True)
def test_a_message_arrives_live_on_the_other_side(
    asgi_server: str,  # noqa: F811
    browser: Any,
    world: World,
) -> None:
    base = asgi_server
    need = open_need(world.customer_a, summary="Mijn bel is stuk")
    desk = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-GB")
    try:
        _login(desk, base, world.owner.user)
        _login(phone, base, customer_user(customer=world.customer_a))
        owner = desk.new_page()
        owner.set_default_timeout(10_000)
        owner.goto(f"{base}/console/needs/{need.pk}/")
        owner.wait_for_selector("#conversation[data-connected]")
        customer = phone.new_page()
        customer.set_default_timeout(10_000)
        customer.goto(f"{base}/portal/needs/{need.pk}/")
        customer.wait_for_selector("#conversation[data-connected]")

        # Each sees the other is on the page.
        owner.wait_for_selector("#presence.is-present")
        assert "Anna A is on this page now." in owner.inner_text("#presence")
        customer.wait_for_selector("#presence.is-present")
        # The portal speaks the customer's own language (Dutch).
        assert "Olga Owner is nu op deze pagina." in customer.inner_text("#presence")

        # Neither page reloads: a mark on each window must survive.
        for page in (owner, customer):
            page.evaluate("window.__stayed = true")

        customer.fill("#message-form textarea[name=body]", "Het belletje rammelt.")
        customer.click("#message-form button[type=submit]")
        owner.wait_for_selector(
            "#timeline li.ev-customer_message:has-text('Het belletje rammelt.')"
        )

        owner.fill("#reply-form textarea[name=body]", "Ik stuur een nieuwe bel.")
        owner.click("#reply-form button[type=submit]")
        owner.locator("details.panel summary", has_text="Internal note").click()
        owner.fill("#note-form textarea[name=body]", "Intern: garantie checken")
        owner.click("#note-form button[type=submit]")
        owner.wait_for_selector("#timeline li.ev-internal_note")
        customer.wait_for_selector(
            "#timeline li.ev-staff_message:has-text('Ik stuur een nieuwe bel.')"
        )
        customer.wait_for_timeout(500)
        assert "garantie" not in customer.inner_text("#conversation")
        assert owner.evaluate("window.__stayed") is True
        assert customer.evaluate("window.__stayed") is True
        shot(customer, "conversation-customer-live")
        shot(owner, "conversation-owner-live")
        assert_accessible(customer)

        # The customer leaves: the owner's page says so.
        customer.close()
        owner.wait_for_selector("#presence:not(.is-present)")
    finally:
        desk.close()
        phone.close()


@pytest.mark.django_db(transaction=True)
def test_a_mail_to_the_shop_appears_on_the_owners_list_live(
    asgi_server: str,  # noqa: F811
    smtp_port: int,  # noqa: F811
    browser: Any,
    world: World,
) -> None:
    """The README's tour: write to the shop, watch the need appear on the owner's screen."""
    base = asgi_server
    desk = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    try:
        _login(desk, base, world.owner.user)
        owner = desk.new_page()
        owner.set_default_timeout(10_000)
        owner.goto(f"{base}/console/")
        owner.wait_for_selector("#my-needs[data-version]")  # the stream is open
        owner.evaluate("window.__stayed = true")
        send(smtp_port, compose(sender="Anna A <a@example.com>", subject="Mijn slot klemt"))
        owner.wait_for_selector("#my-needs :text('Mijn slot klemt')")
        assert owner.evaluate("window.__stayed") is True
        shot(owner, "conversation-mail-on-owners-list")
    finally:
        desk.close()

"""Every page a customer or guest sees passes axe-core's WCAG 2 AA rules, on the demo's data.

The demo is the richest data we have: needs with every kind of event, orders in every delivery
state, parties at the table. The test follows the portal's own links from each customer's home
and order list, so a page added later is checked without being listed here.
"""

from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client

from klantstuur.accounts.services import customer_user
from klantstuur.customers.models import Customer
from klantstuur.floor.models import Party
from tests.browser.conftest import axe_violations

# Links that act or leave rather than show a page.
SKIP = ("/portal/logout/", "/portal/magic/", "/portal/needs/new")


def _login(context: Any, base: str, customer: Customer) -> None:
    client = Client()
    client.force_login(
        customer_user(customer=customer), backend="django.contrib.auth.backends.ModelBackend"
    )
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    context.add_cookies(
        [{"name": django_settings.SESSION_COOKIE_NAME, "value": cookie, "url": base}]
    )


def _portal_pages(page: Any, base: str) -> list[str]:
    found: set[str] = {"/portal/", "/portal/me/"}
    for start in ("/portal/", "/portal/orders/"):
        page.goto(base + start)
        for href in page.eval_on_selector_all(
            "a[href^='/portal/']", "els => els.map(e => e.getAttribute('href'))"
        ):
            path = href.split("#")[0].split("?")[0]
            if not path.startswith(SKIP):
                found.add(path)
    return sorted(found)


@pytest.mark.django_db(transaction=True)
def test_every_customer_and_guest_page_of_the_demo_passes_wcag_2_aa(
    live_server: Any, browser: Any, settings: Any
) -> None:
    from klantstuur.demo.data import load_demo

    settings.SITE_URL = live_server.url
    load_demo()
    base = live_server.url
    failures: dict[str, list[dict[str, Any]]] = {}
    checked = 0
    phone, desk = {"width": 390, "height": 844}, {"width": 1280, "height": 900}
    customers = list(Customer.objects.filter(email__in=["anna@example.com", "bram@example.com"]))
    # Phone first for everyone; the wide layout once (its colours are the same).
    for viewport, who in ((phone, customers), (desk, customers[:1])):
        for customer in who:
            context = browser.new_context(viewport=viewport, locale="nl-NL")
            page = context.new_page()
            page.set_default_timeout(10_000)
            _login(context, base, customer)
            for path in _portal_pages(page, base):
                response = page.goto(base + path)
                assert response.status == 200, (path, response.status)
                checked += 1
                if found := axe_violations(page):
                    failures[f"{viewport['width']} {customer.email} {path}"] = found
            context.close()
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="nl-NL")
    page = context.new_page()
    for party in Party.objects.all():
        response = page.goto(f"{base}/guest/{party.guest_token}/")
        assert response.status == 200, (party.pk, response.status)
        checked += 1
        if found := axe_violations(page):
            failures[f"guest {party.pk}"] = found
    context.close()
    assert checked >= 20
    assert failures == {}

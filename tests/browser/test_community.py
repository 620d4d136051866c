"""Issue #16 in a real browser: Bram shares a question, Anna answers it from her phone,
Milan (the owner) endorses the answer, Bram marks it as the one that helped and
confirms; the figures count one need solved with a peer's help and no extra contact."""

from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone

from klantstuur.accounts.services import customer_user
from klantstuur.businesses.models import Role
from klantstuur.businesses.services import business_create, staff_create
from klantstuur.customers.services import customer_create
from klantstuur.metrics import projection
from klantstuur.metrics.selectors import figures, scope_for
from klantstuur.needs import services
from klantstuur.needs.models import EventKind, JournalEvent, Need, NeedStatus
from tests.browser.conftest import assert_accessible, shot
from tests.conftest import PASSWORD

BRAM = {"email": "bram@example.com", "phone": "+31 6 1111 2222"}


def _login(context: Any, base: str, user: Any) -> None:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    context.add_cookies(
        [{"name": django_settings.SESSION_COOKIE_NAME, "value": cookie, "url": base}]
    )


def _phone(browser: Any, base: str, user: Any) -> Any:
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="nl-NL")
    _login(context, base, user)
    page = context.new_page()
    page.set_default_timeout(10_000)
    return page


@pytest.mark.django_db(transaction=True)
def test_bram_asks_anna_answers_milan_endorses_bram_confirms(
    live_server: Any, browser: Any, settings: Any
) -> None:
    settings.SITE_URL = base = live_server.url
    shop = business_create(slug="fietsenwinkel", name="Fietsenwinkel Spaak")
    milan = staff_create(
        business=shop,
        email="milan@fietsenwinkel.example",
        name="Milan",
        role=Role.AGENT,
        authority_cents=5000,
        password=PASSWORD,
    )
    bram = customer_create(business=shop, name="Bram Bakker", **BRAM)
    anna = customer_create(business=shop, name="Anna de Vries", email="anna@example.com")
    need = services.need_open(
        customer=bram, kind="question", summary="Past een 9-speed ketting op mijn 8-speed cassette?"
    )
    assert need.owner == milan

    # Bram shares his question from his phone, under his first name.
    bram_phone = _phone(browser, base, customer_user(customer=bram))
    bram_phone.goto(f"{base}/portal/needs/{need.pk}/")
    assert_accessible(bram_phone)
    bram_phone.click(f"form[action='/portal/community/mine/{need.pk}/share'] button")
    bram_phone.locator("#community", has_text="Bram").wait_for()
    shot(bram_phone, "community-1-bram-shared")

    # Anna finds it among the questions of other customers and answers from her phone.
    anna_phone = _phone(browser, base, customer_user(customer=anna))
    anna_phone.goto(f"{base}/portal/community/")
    assert_accessible(anna_phone)
    anna_phone.click(f"a[href='/portal/community/{need.pk}/']")
    anna_phone.wait_for_url(f"{base}/portal/community/{need.pk}/")
    assert_accessible(anna_phone)
    for secret in ("Bakker", BRAM["email"], BRAM["phone"]):
        assert secret not in anna_phone.content()
    anna_phone.fill("textarea[name=body]", "Ja, dat past. Ik reed er een jaar mee, 116 schakels.")
    anna_phone.click(f"form[action='/portal/community/{need.pk}/answer'] button")
    anna_phone.locator("#answers-h").wait_for()
    assert "116 schakels" in anna_phone.content()
    shot(anna_phone, "community-2-anna-answered")

    # Milan, the owner, endorses it in the console.
    desk = browser.new_context(viewport={"width": 1280, "height": 900}, locale="nl-NL")
    _login(desk, base, milan.user)
    console = desk.new_page()
    console.goto(f"{base}/console/needs/{need.pk}/")
    answer_id = console.locator("#community li").first.get_attribute("id").split("-")[-1]
    console.click(
        f"form[action='/console/community/needs/{need.pk}/answers/{answer_id}/endorse'] button"
    )
    console.locator("#community .endorsed").wait_for()
    shot(console, "community-3-milan-endorsed")

    # Bram sees the endorsed answer, marks it as the one that helped and confirms.
    bram_phone.goto(f"{base}/portal/needs/{need.pk}/")
    assert "116 schakels" in bram_phone.locator("#timeline").inner_text()
    bram_phone.locator("#community .endorsed").wait_for()
    bram_phone.click(
        f"form[action='/portal/community/mine/{need.pk}/answers/{answer_id}/helped'] button"
    )
    bram_phone.locator("#proposal").wait_for()
    assert_accessible(bram_phone)
    bram_phone.click(f"form[action='/portal/needs/{need.pk}/confirm'] button")
    bram_phone.locator(".badge-solved").first.wait_for()
    shot(bram_phone, "community-4-bram-confirmed")
    desk.close()

    need = Need.objects.get(pk=need.pk)
    assert (need.status, need.owner_id, need.contacts) == (NeedStatus.SOLVED, milan.pk, 1)
    assert list(JournalEvent.objects.filter(need=need).values_list("kind", flat=True)) == [
        EventKind.NEED_OPENED,
        EventKind.NEED_SHARED,
        EventKind.PEER_ANSWER,
        EventKind.PEER_ANSWER_ENDORSED,
        EventKind.PEER_ANSWER_HELPED,
        EventKind.RESOLUTION_PROPOSED,
        EventKind.RESOLUTION_CONFIRMED,
    ]
    # The projection is the journal queue's to keep (ADR 0010); on a PostgreSQL cluster
    # shared with other databases' long transactions it may lag, so rebuild it from the
    # journal here: the same rules, read at once.
    projection.rebuild(business_ids=[shop.pk])
    today = timezone.localdate()
    f = figures(scope_for(business_id=shop.pk, today=today + timedelta(days=1)))
    assert f["solved"] == 1
    assert f["peer_help"]["solved"] == 1
    assert f["peer_help"]["extra_contacts"] == 0
    assert f["contacts"] == 1

"""A manager opens the dashboard, drills down from contacts-per-need to a journey,
and marks a conversation listened (Chromium, headless)."""

from typing import Any

import pytest
from django.utils import timezone

from klantstuur.feedback.models import ListeningSample
from klantstuur.metrics import listening, projection
from klantstuur.needs import services
from tests.conftest import PASSWORD

from .conftest import shot


@pytest.mark.django_db(transaction=True)
def test_a_manager_drills_down_and_marks_a_conversation_listened(
    world: Any, live_server: Any, desk: Any
) -> None:
    a = world.customer_a
    need = services.need_open(customer=a, kind="question", summary="Where is my parcel?")
    services.message_post_by_customer(customer=a, need=need, body="Hello?")
    services.message_post_by_staff(staff=world.owner, need=need, body="Looking into it")
    services.resolution_propose(staff=world.owner, need=need, summary="Found it")
    projection.rebuild(business_ids=[world.x.pk])
    listening.listening_sample(business_id=world.x.pk, day=timezone.localdate(), now=timezone.now())

    page = desk
    page.goto(f"{live_server.url}/console/login/?next=/console/insight/")
    page.fill("input[name=username]", world.manager.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/console/insight/")
    figure = page.locator('a[data-figure="contacts_per_need"]')
    assert "2" in figure.inner_text()
    # The foot of the page says how far the figures are behind the journal.
    assert page.locator(".freshness").inner_text().strip() == (
        "De cijfers bevatten alles wat er is gebeurd."
    )
    shot(page, "insight-dashboard")
    figure.click()
    page.wait_for_url("**/console/insight/drill/contacts_per_need/**")
    page.locator(f'a[data-journey="{need.pk}"]').click()
    page.wait_for_url(f"**/console/insight/journeys/{need.pk}/")
    assert "Where is my parcel?" in page.content()
    page.fill("textarea[name=note]", "The customer had to ask twice.")
    page.click("#mark-listened")
    page.wait_for_url(f"**/console/insight/journeys/{need.pk}/")
    shot(page, "insight-journey-listened")
    sample = ListeningSample.objects.get(need_id=need.pk)
    assert sample.listened_by_id == world.manager.pk
    assert sample.note == "The customer had to ask twice."

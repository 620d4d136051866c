"""Integrations in a real browser: a manager subscribes a webhook in the console and reads
its log; a customer makes a key for their own software on "Mijn koppelingen" (phone)."""

from typing import Any

import pytest

from klantstuur.accounts.models import ApiToken
from klantstuur.integrations import sender
from klantstuur.integrations.models import WebhookEndpoint
from klantstuur.needs import consumers
from tests.browser.conftest import assert_accessible, shot
from tests.browser.test_reschedule import _login
from tests.conftest import World
from tests.helpers import open_need
from tests.integrations.receiver import receiving


@pytest.mark.django_db(transaction=True)
def test_a_manager_subscribes_a_webhook_and_reads_its_log(
    world: World, live_server: Any, desk: Any
) -> None:
    with receiving() as receiver:
        _login(desk.context, live_server.url, world.manager.user)
        desk.goto(f"{live_server.url}/console/webhooks/")
        assert_accessible(desk)
        desk.fill("input[name=url]", receiver.url)
        desk.check("input[name=events][value=need_opened]")
        desk.click("form[action='/console/webhooks/'] button[type=submit]")
        secret = desk.locator("#webhook-secret").inner_text()
        assert secret.startswith("whsec_")
        assert_accessible(desk)
        shot(desk, "console-webhooks-secret")
        endpoint = WebhookEndpoint.objects.get()
        open_need(world.customer_a)
        # On PostgreSQL an event is read once older than every running transaction
        # (ADR 0010); another test's transaction may hold it back for a while.
        consumers.drain(settle_seconds=60)
        sender.deliver_all()
        desk.click(f"a[href='/console/webhooks/{endpoint.pk}/']")
        desk.wait_for_url(f"**/console/webhooks/{endpoint.pk}/")
        assert "need_opened" in desk.content() and "204" in desk.content()
        assert_accessible(desk)
        shot(desk, "console-webhook-log")
        assert len(receiver.received) == 1


@pytest.mark.django_db(transaction=True)
def test_a_customer_makes_a_key_on_mijn_koppelingen(
    world: World, live_server: Any, phone: Any
) -> None:
    _login(phone.context, live_server.url, _user(world))
    phone.goto(f"{live_server.url}/portal/connections/")
    assert_accessible(phone)
    phone.click("details:has(form[action='/portal/connections/tokens']) summary")
    phone.fill("input[name=name]", "Mijn assistent")
    phone.check("input[name=scope][value=read]")
    phone.click("form[action='/portal/connections/tokens'] button[type=submit]")
    key = phone.locator("#new-token").inner_text()
    assert key.startswith("ks_")
    assert ApiToken.objects.get(name="Mijn assistent").key_hash == ApiToken.hash_key(key)
    assert_accessible(phone)
    shot(phone, "portal-connections-key")


def _user(world: World) -> Any:
    from klantstuur.accounts.services import customer_user

    return customer_user(customer=world.customer_a)

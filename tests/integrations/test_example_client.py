"""The example client of docs/integrations.md works against a running Klantstuur: it
subscribes, verifies what arrives and reacts through the API."""

import importlib.util
import threading
from http.server import HTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from klantstuur.accounts.services import customer_user, token_create
from klantstuur.integrations import sender
from klantstuur.needs import consumers
from klantstuur.needs import services as needs
from klantstuur.needs.models import JournalEvent
from tests.conftest import World
from tests.helpers import open_need

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "webhook_client.py"


def _example() -> Any:
    spec = importlib.util.spec_from_file_location("webhook_client", EXAMPLE)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.django_db(transaction=True)
def test_the_example_subscribes_verifies_and_reacts(world: World, live_server: Any) -> None:
    example = _example()
    _, key = token_create(user=customer_user(customer=world.customer_a), name="example")
    api = httpx.Client(
        base_url=live_server.url, headers={"Authorization": f"Bearer {key}"}, timeout=10
    )
    server = HTTPServer(("127.0.0.1", 0), example.BaseHTTPRequestHandler)
    url = f"http://127.0.0.1:{server.server_address[1]}/klantstuur"
    secret = example.subscribe(api, url, customer=True)
    server.RequestHandlerClass = example.handler(secret, api, customer=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        need = open_need(world.customer_a)
        needs.message_post_by_staff(staff=need.owner, need=need, body="Komt morgen", internal=False)
        consumers.drain()
        assert sender.deliver_all() == 1  # the staff message (need_opened was not asked for)
        thanks = JournalEvent.objects.filter(need=need, kind="customer_message")
        assert [e.data["body"] for e in thanks] == ["Thank you, received."]
        # The same message again (a retry): the Idempotency-Key keeps it to one thank-you.
        from klantstuur.integrations.models import WebhookDelivery
        from klantstuur.integrations.services import delivery_resend

        delivery_resend(delivery=WebhookDelivery.objects.get())
        sender.deliver_all()
        assert thanks.count() == 1
    finally:
        server.shutdown()
        server.server_close()

"""The demo's shop listens to its own webhooks from the start."""

from typing import Any

from django.test import Client

from klantstuur.customers.models import Customer
from klantstuur.integrations.models import WebhookDelivery, WebhookEndpoint
from klantstuur.needs import consumers
from tests.helpers import open_need


def test_the_demo_shop_has_an_endpoint_that_hears_new_needs(db: Any, settings: Any) -> None:
    from klantstuur.demo.data import load_demo

    load_demo()
    (endpoint,) = WebhookEndpoint.objects.all()
    assert endpoint.business.slug == "fietsenwinkel"
    assert endpoint.url.endswith("/demo/webhook-inbox") and "need_opened" in endpoint.events
    assert WebhookDelivery.objects.count() == 0  # the history is not news
    anna = Customer.objects.get(business__slug="fietsenwinkel", email="anna@example.com")
    open_need(anna, summary="Demo")
    consumers.drain()
    assert list(WebhookDelivery.objects.values_list("event_type", flat=True)) == ["need_opened"]
    settings.DEMO_MODE = True
    assert (
        Client().post("/demo/webhook-inbox", b"{}", content_type="application/json").status_code
        == 204
    )

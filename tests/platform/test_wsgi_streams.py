"""A live stream under WSGI answers 204 (an EventSource stops) instead of buffering for
ever; under ASGI it streams (tests/platform/test_asgi.py, tests/live)."""

from typing import Any

import pytest
from django.test import Client

from klantstuur.accounts.services import customer_user
from tests.conftest import World
from tests.helpers import open_need


@pytest.mark.django_db
def test_a_need_stream_under_wsgi_answers_204_and_a_refusal_stays_a_refusal(world: World) -> None:
    need = open_need(world.customer_a)
    client = Client()
    client.force_login(customer_user(customer=world.customer_a))
    response: Any = client.get(f"/portal/needs/{need.pk}/stream/")
    assert response.status_code == 204
    other = Client()
    other.force_login(customer_user(customer=world.customer_b))
    assert other.get(f"/portal/needs/{need.pk}/stream/").status_code in (403, 404)

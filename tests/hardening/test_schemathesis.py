"""Issue #15: schemathesis against the served OpenAPI schema, with a staff, a customer,
a guest and a carrier token: no operation answers 5xx, and every documented answer
matches its schema. Bounded examples per operation so the normal suite (and CI) runs it,
on SQLite and on PostgreSQL."""

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from klantstuur.accounts.services import customer_user, token_create
from klantstuur.floor.services import party_seat, section_create, table_create
from tests.conftest import build_world

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


@pytest.fixture
def tokens(db: Any) -> Iterator[dict[str, str]]:
    """The four tokens. Like Django's test client, the requests must not close the test's
    connection at their end (request_finished): on PostgreSQL's pool the next request
    would open another one inside the test's transaction."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield _tokens()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _tokens() -> dict[str, str]:
    world = build_world()
    return {
        "staff": token_create(user=world.manager.user)[1],
        "customer": token_create(user=customer_user(customer=world.customer_a))[1],
        "carrier": token_create(user=world.carrier.user)[1],
        "guest": _guest_token(world),
    }


def _guest_token(world: Any) -> str:
    section = section_create(business=world.x, name="Terras", host=world.owner)
    table = table_create(section=section, number="1", seats=4)
    party = party_seat(business=world.x, table=table, seats=2, actor_staff=world.owner)
    return str(party.guest_token)


# Schema mismatches that another open issue owns, listed so they stay seen; each is
# still checked for 5xx. Remove an entry when its issue lands.
KNOWN_MISMATCH: dict[tuple[str, str], str] = {}


@schema.parametrize()
@settings(
    max_examples=2,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_operation_answers_5xx_or_off_schema(case: Any, tokens: dict[str, str]) -> None:
    for who, token in tokens.items():
        response = case.call(headers={"Authorization": f"Bearer {token}"})
        assert response.status_code < 500, (who, case.method, case.formatted_path, response.text)
        checks = [not_a_server_error]
        if (case.method.upper(), case.path) not in KNOWN_MISMATCH:
            checks.append(response_schema_conformance)
        case.validate_response(response, checks=checks)

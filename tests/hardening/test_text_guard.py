# ruff: noqa: F811  (the shop fixture shared from tests/delivery/test_api.py)
"""Issue #15: NUL bytes, control characters and lone surrogates never reach a view or
the database: 404 in a path, 422 naming the field elsewhere. Every reproduction of the
issue runs here on both databases (PostgreSQL is where NUL gave 500s)."""

import json
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from klantstuur.core import text_guard
from klantstuur.customers.models import Customer
from klantstuur.delivery.instructions.models import StandingInstruction
from klantstuur.orders.models import Order
from tests.conftest import World
from tests.delivery.test_api import place_order, shop  # noqa: F401

API = "/api/v1"
REASON = "Contains characters that are not allowed (control characters)."


@pytest.fixture(autouse=True)
def _english(settings: Any) -> None:
    settings.LANGUAGE_CODE = "en"


def _field(r: Any, status: int, field: str) -> None:
    assert r.status_code == status, r.content
    assert r.json()["errors"] == [{"field": field, "reason": REASON}]


def test_a_nul_in_an_api_path_is_not_found(world: World, api: Any) -> None:
    r = api(world.kitchen).get(f"{API}/stations/pa%00n/tickets")
    assert r.status_code == 404
    assert r.json() == {"detail": "No such endpoint."}


def test_a_nul_in_the_carrier_webhook_slug_is_not_found(db: Any) -> None:
    r = Client().post(f"{API}/webhooks/carrier/fiets%00", {}, content_type="application/json")
    assert r.status_code == 404
    assert r.json() == {"detail": "No such endpoint."}


def test_a_nul_in_a_guest_link_is_not_found(db: Any) -> None:
    r = Client().get("/guest/a%00b/")
    assert r.status_code == 404
    assert b"<html" in r.content


def test_a_nul_in_a_standing_instruction_names_the_field(world: World, api: Any) -> None:
    body = {
        "condition": "not_at_home",
        "action": "leave_with_neighbour",
        "params": {"house_number": "14", "name": "Jan\u0000sen"},
    }
    _field(api(world.customer_a).post(f"{API}/me/instructions", body), 422, "params.name")
    assert not StandingInstruction.objects.exists()


@pytest.mark.parametrize("key", ["name", "street"])
def test_a_nul_in_a_delivery_place_names_the_field(
    world: World,
    api: Any,
    shop: dict[str, Any],
    key: str,
) -> None:
    place = {"kind": "address", "street": "Markt 1", "postcode": "1012 AB", "name": "Jansen"}
    place[key] = "x\u0000y"
    _field(place_order(api, world, shop, place=place), 422, f"delivery.place.{key}")
    assert not Order.objects.exists()


def test_a_nul_in_the_console_customer_search_names_the_field(world: World, login: Any) -> None:
    r = login(world.manager).get("/console/insight/customers/?q=%00")
    assert r.status_code == 422
    assert b"q: " + REASON.encode() in r.content


def test_five_thousand_query_parameters_get_the_apis_json(world: World, api: Any) -> None:
    query = "&".join(f"p{i}=1" for i in range(5000))
    r = api(world.owner).client.get(f"{API}/needs?{query}", **api(world.owner)._headers())
    assert r.status_code == 400
    assert r.json() == {
        "detail": "query: Too many parameters.",
        "errors": [{"field": "query", "reason": "Too many parameters."}],
    }


def test_five_thousand_query_parameters_on_a_page_are_a_plain_400(db: Any) -> None:
    r = Client().get("/console/login/?" + "&".join(f"p{i}=1" for i in range(5000)))
    assert r.status_code == 400
    assert b"Too many parameters." in r.content


def test_a_lone_surrogate_deep_in_json_names_its_path(world: World, api: Any) -> None:
    raw = '{"customer_id": 1, "lines": [{"item": 1, "quantity": 1, "note": "a\\ud800"}]}'
    r = api(world.owner).client.post(
        f"{API}/orders", raw, content_type="application/json", **api(world.owner)._headers()
    )
    _field(r, 422, "lines.0.note")


def test_a_valid_surrogate_pair_and_line_breaks_pass(world: World, api: Any) -> None:
    raw = json.dumps({"name": "Emoji \U0001f600\nline\ttab"})  # ensure_ascii: \ud83d\ude00
    assert "\\ud83d" in raw
    r = api(world.owner).client.post(
        f"{API}/customers", raw, content_type="application/json", **api(world.owner)._headers()
    )
    assert r.status_code == 201, r.content
    assert Customer.objects.get(pk=r.json()["id"]).name == "Emoji \U0001f600\nline\ttab"


def test_a_control_character_in_a_form_field_names_it(world: World, login: Any) -> None:
    from tests.helpers import open_need

    need = open_need(world.customer_a, by=world.owner)
    r = login(world.owner).post(f"/console/needs/{need.pk}/reply", {"body": "hi\x07"})
    assert r.status_code == 422
    assert b"body: " in r.content


def test_a_nul_in_a_header_is_refused(world: World, api: Any) -> None:
    client = api(world.owner)
    r = client.post(f"{API}/customers", {"name": "Ok"}, headers={"Idempotency-Key": "k\x00"})
    _field(r, 400, "Idempotency-Key")
    r = Client().get(f"{API}/needs", HTTP_AUTHORIZATION="Bearer a\x00b")
    _field(r, 400, "Authorization")


def test_a_cookie_with_a_nul_is_dropped(world: World, login: Any) -> None:
    client = Client()
    client.cookies["sessionid"] = "abc\x00def"
    r = client.get("/console/")
    assert r.status_code == 302  # to the login page: as if no session cookie was sent


BAD_CHARS = st.sampled_from(["\x00", "\x01", "\x1b", "\x7f", "\x85", "\ud800", "\udfff"])


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(text=st.text(max_size=30))
def test_any_text_is_refused_or_stored_unchanged(db: Any, text: str) -> None:
    """The invariant: what the guard lets through, the database stores as it is."""
    if text_guard.refused(text):
        assert any(text_guard.BAD.fullmatch(c) for c in text)
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s", [text])
        assert cursor.fetchone()[0] == text


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    before=st.text(max_size=10),
    bad=BAD_CHARS,
    after=st.text(max_size=10),
    where=st.sampled_from(["query", "json"]),
)
def test_any_hostile_text_gets_a_4xx_never_a_500(
    world: World, api: Any, before: str, bad: str, after: str, where: str
) -> None:
    client = api(world.owner)
    if where == "query" and bad >= "\ud800":
        bad = "\x00"  # a URL carries bytes: a lone surrogate in one decodes as U+FFFD
    text = before + bad + after
    if where == "query":
        r = client.client.get(f"{API}/needs", {"owner": text}, **client._headers())
        field = "owner"
    else:
        raw = json.dumps({"name": text, "email": None})
        r = client.client.post(
            f"{API}/customers", raw, content_type="application/json", **client._headers()
        )
        field = "name"
    _field(r, 422, field)


def test_utf8_in_a_header_is_not_mistaken_for_a_control_character(world: World) -> None:
    # "€" sent as UTF-8 bytes reads as "â\x82¬" in WSGI's Latin-1 headers.
    r = Client().get("/healthz", HTTP_USER_AGENT="€-browser".encode().decode("latin-1"))
    assert r.status_code == 200

"""Issue #14: no raw code of the vocabulary reaches a customer. Every customer page (in
several states) and the delivery e-mail, rendered in Dutch and English; the visible text
(not attributes, scripts or styles) is searched for the codes."""

from html.parser import HTMLParser
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from klantstuur.accounts.models import User
from klantstuur.delivery.models import (
    DeliveryStatus,
    ReturnReason,
    ReturnRequest,
    ReturnStatus,
)
from klantstuur.delivery.notify import REASON_LABELS
from klantstuur.needs.models import EventKind, NeedStatus
from klantstuur.orders.checkpoints import CheckpointCode
from klantstuur.orders.models import OrderStatus
from klantstuur.privacy.erasure import OBLIGATION_WORDS
from tests.conftest import World
from tests.delivery.test_api import API, _order, commits, shop

__all__ = ["commits", "shop"]

CODES = sorted(
    {
        *(c.value for c in CheckpointCode),
        *DeliveryStatus.values,
        *EventKind.values,
        *NeedStatus.values,
        *OrderStatus.values,
        *ReturnStatus.values,
        *REASON_LABELS,
        *OBLIGATION_WORDS,
        "wrong_size",  # the business's return reason below: shown by its label
    }
    - {"open", "cancelled", "delivered", "placed", "solved", "requested", "arrived", "other"},
    key=len,
    reverse=True,
)  # single plain words are words in English too; the codes with "_" are the tell


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in ("script", "style", "template"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "template") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def visible(html: str) -> str:
    p = _Text()
    p.feed(html)
    return " ".join(p.parts)


def test_the_search_finds_a_code() -> None:
    assert raw_codes(visible('<p class="out_for_delivery">Nog open: open_needs</p>')) == [
        "open_needs"
    ]


def raw_codes(text: str) -> list[str]:
    return [c for c in CODES if "_" in c and c in text]


@pytest.mark.parametrize("language", ["nl", "en"])
def test_no_customer_page_or_email_shows_a_raw_code(
    world: World, api: Any, shop: dict[str, Any], commits: Any, language: str
) -> None:
    ReturnReason.objects.create(
        business=world.x, code="wrong_size", label_nl="Verkeerde maat", label_en="Wrong size"
    )
    carrier = api(world.carrier)
    scheduled = _order(api, world, shop)
    out = _order(api, world, shop)
    for s in ("info_received", "in_transit", "out_for_delivery"):
        carrier.post(f"{API}/carrier/events", {"order_id": out.pk, "status": s})
    failed = _order(api, world, shop)
    mail.outbox.clear()
    with commits():
        carrier.post(
            f"{API}/carrier/events",
            {"order_id": failed.pk, "status": "attempt_failed", "reason": "not_at_home"},
        )
    delivered = _order(api, world, shop)
    carrier.post(f"{API}/carrier/events", {"order_id": delivered.pk, "status": "delivered"})
    me = api(world.customer_a)
    r = me.post(
        f"{API}/me/orders/{delivered.pk}/returns",
        {"reason_code": "wrong_size", "method": "pickup"},
    )
    assert r.status_code == 201, r.content
    ret = ReturnRequest.objects.get()
    # An exchange that arrived: its exchange order is on her list and has its own page.
    swapped = _order(api, world, shop)
    carrier.post(f"{API}/carrier/events", {"order_id": swapped.pk, "status": "delivered"})
    r = me.post(
        f"{API}/me/orders/{swapped.pk}/returns",
        {"reason_code": "wrong_size", "method": "pickup", "outcome": "exchange"},
    )
    assert r.status_code == 201, r.content
    swap = ReturnRequest.objects.get(pk=r.json()["id"])
    swap.need.owner.__class__.objects.filter(pk=swap.need.owner_id).update(authority_cents=10**6)
    assert api(swap.need.owner).post(f"{API}/returns/{swap.pk}/arrived", {}).status_code == 200
    swap.refresh_from_db()
    assert swap.exchange_order_id is not None
    assert me.post(f"{API}/me/erasure").status_code == 202

    User.objects.filter(customer=world.customer_a).update(language=language)
    web = Client()
    web.force_login(
        User.objects.get(customer=world.customer_a),
        backend="django.contrib.auth.backends.ModelBackend",
    )
    pages = [
        "/portal/",
        "/portal/orders/",
        *(f"/portal/orders/{o.pk}/" for o in (scheduled, out, failed, delivered)),
        f"/portal/orders/{scheduled.pk}/change",
        f"/portal/orders/returns/{ret.pk}/label/",
        f"/portal/needs/{failed.need_id}/",
        f"/portal/needs/{ret.need_id}/",
        f"/portal/orders/{swap.exchange_order_id}/",
        f"/portal/orders/{swapped.pk}/",
        f"/portal/orders/returns/{swap.pk}/label/",
        f"/portal/needs/{swap.need_id}/",
        "/portal/orders/instructions/",
        "/portal/orders/my-data/",
        "/portal/orders/notifications/",
    ]
    found = {}
    for url in pages:
        response = web.get(url)
        assert response.status_code == 200, url
        assert f'<html lang="{language}"' in response.content.decode()
        text = visible(response.content.decode())
        if raw_codes(text):
            found[url] = raw_codes(text)
    for m in mail.outbox:
        if raw_codes(m.subject + "\n" + m.body):
            found[f"mail: {m.subject}"] = raw_codes(m.subject + m.body)
    assert mail.outbox, "the failed attempt sends an e-mail"
    assert found == {}


# --- the floor (issue #13): course codes ("main") and line states on every floor page,
# board and guest page, in Dutch and English ---------------------------------------------

FLOOR_WORDS = ("drinks", "starter", "main", "dessert")  # plain words: whole, lower case


def floor_raw_codes(text: str) -> list[str]:
    import re

    from klantstuur.floor.models import PartyStatus
    from klantstuur.orders.models import LineStatus

    codes = {*LineStatus.values, *PartyStatus.values} - {"ready", "served", "left", "cancelled"}
    words = [w for w in (*FLOOR_WORDS, *codes) if re.search(rf"(?<![\w-]){w}(?![\w-])", text)]
    return sorted(words)


def test_the_floor_search_finds_a_course_code() -> None:
    assert floor_raw_codes(visible("<p data-c='main'>1× Spek · main · in_progress</p>")) == [
        "in_progress",
        "main",
    ]
    assert floor_raw_codes(visible("<p>Main course · Hoofdgerecht</p>")) == []


@pytest.mark.parametrize("language", ["nl", "en"])
def test_no_floor_board_or_guest_page_shows_a_course_code(
    world: World, api: Any, language: str
) -> None:
    from klantstuur.catalog.models import CatalogItem, Station
    from klantstuur.floor import kitchen
    from klantstuur.floor.models import Party
    from klantstuur.floor.services import section_create, table_create
    from klantstuur.orders.models import OrderLine

    terras = section_create(business=world.x, name="Terras", host=world.owner)
    table_create(section=terras, number="12", seats=4)
    griddle = Station.objects.create(business=world.x, code="pannenkoeken", name="Pannenkoeken")
    menu = {
        course: CatalogItem.objects.create(
            business=world.x, name=f"Item {n}", price_cents=500, station=griddle, course=course
        )
        for n, course in enumerate(FLOOR_WORDS)
    }
    owner = api(world.owner)
    body = owner.post("/api/v1/floor/parties", {"table": "12", "seats": 3}).json()
    party = Party.objects.get(pk=body["id"])
    lines = [
        {"item": menu["drinks"].pk, "seat": 1},
        {"item": menu["starter"].pk, "seat": 1},
        {"item": menu["main"].pk, "seat": 2},
        {"item": menu["dessert"].pk, "seat": 3},
        {"item": menu["main"].pk, "seat": 3, "course": "starter"},
    ]
    r = owner.post("/api/v1/orders", {"party_id": party.pk, "lines": lines})
    assert r.status_code == 201, r.content
    # Every state at once: held, received, being made, ready, on its way, served.
    drink, starter, *_rest = OrderLine.objects.filter(order__party=party).order_by("id")
    kitchen.line_ready(staff=world.manager, line_id=drink.pk)
    kitchen.line_deliver(staff=world.owner, line_id=drink.pk, table="12", seat=1)
    kitchen.line_start(staff=world.manager, line_id=starter.pk)
    other = OrderLine.objects.filter(order__party=party, course="starter").exclude(pk=starter.pk)
    kitchen.line_ready(staff=world.manager, line_id=other.get().pk)

    staff = Client()
    staff.force_login(world.owner.user, backend="django.contrib.auth.backends.ModelBackend")
    staff.cookies["django_language"] = language
    guest = Client(HTTP_ACCEPT_LANGUAGE=language)
    token = party.guest_token
    pages = {
        "/console/floor/": staff,
        "/console/floor/live/": staff,
        f"/console/floor/parties/{party.pk}/order/": staff,
        f"/console/floor/parties/{party.pk}/bill/": staff,
        f"POST /console/floor/parties/{party.pk}/close/": staff,  # the confirmation step
        "/console/floor/stations/pannenkoeken/": staff,
        "/console/floor/stations/pannenkoeken/live/": staff,
        "/console/floor/runner/": staff,
        f"/guest/{token}/": guest,
        f"/guest/{token}/live/": guest,
    }
    found = {}
    for url, client in pages.items():
        response = client.post(url[5:]) if url.startswith("POST ") else client.get(url)
        assert response.status_code == 200, url
        assert f'<html lang="{language}"' in response.content.decode() or "/live/" in url
        if floor_raw_codes(visible(response.content.decode())):
            found[url] = floor_raw_codes(visible(response.content.decode()))
    # After leaving: the receipt.
    OrderLine.objects.filter(order__party=party).exclude(status="served").update(status="cancelled")
    paid = owner.post(
        f"/api/v1/floor/parties/{party.pk}/payments", {"amount_cents": 500, "method": "cash"}
    )
    assert paid.status_code == 201, paid.content
    assert owner.post(f"/api/v1/floor/parties/{party.pk}/leave").status_code == 200
    receipt = guest.get(f"/guest/{token}/")
    assert receipt.status_code == 200
    if floor_raw_codes(visible(receipt.content.decode())):
        found["receipt"] = floor_raw_codes(visible(receipt.content.decode()))
    assert found == {}

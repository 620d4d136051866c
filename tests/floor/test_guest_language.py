"""The guest page speaks the guest's language (issue #13): their NL/EN switch, else
their phone's Accept-Language, else the business's default — money, words and the
messages after a tap alike."""

from typing import Any

import pytest
from django.test import Client

from klantstuur.floor.models import Party
from klantstuur.orders.models import LineStatus, OrderLine
from tests.conftest import World
from tests.floor.test_api import terrace  # noqa: F401  (fixture)

NL_PHONE = "nl-NL,nl;q=0.9,en-US;q=0.8,en;q=0.7"
EN_PHONE = "en-GB,en;q=0.9"


@pytest.fixture
def party(world: World, api: Any, terrace: dict[str, Any]) -> Party:  # noqa: F811
    body = api(world.owner).post("/api/v1/floor/parties", {"table": "12", "seats": 2}).json()
    lines = [
        {"item": terrace["pancake"].pk, "seat": 1, "quantity": 2},
        {"item": terrace["cola"].pk, "seat": 2},
    ]
    r = api(world.owner).post("/api/v1/orders", {"party_id": body["id"], "lines": lines})
    assert r.status_code == 201, r.content
    return Party.objects.get(pk=body["id"])


def _page(party: Party, **headers: str) -> tuple[str, Any]:
    r = Client(**headers).get(f"/guest/{party.guest_token}/")
    assert r.status_code == 200
    return r.content.decode(), r


@pytest.mark.parametrize(
    ("accept", "lang", "money", "words"),
    [
        (NL_PHONE, "nl", "€ 26,50", "Je bestelling"),
        (EN_PHONE, "en", "€26.50", "Your order"),
    ],
)
def test_the_guest_page_follows_the_phones_language(
    party: Party, accept: str, lang: str, money: str, words: str
) -> None:
    html, r = _page(party, HTTP_ACCEPT_LANGUAGE=accept)
    assert f'<html lang="{lang}"' in html
    assert money in html and words in html
    assert r["Content-Language"] == lang
    assert "Accept-Language" in r["Vary"]
    # The live fragment the page refetches speaks the same.
    fragment = Client(HTTP_ACCEPT_LANGUAGE=accept).get(f"/guest/{party.guest_token}/live/")
    assert money in fragment.content.decode()


@pytest.mark.parametrize(("default", "money"), [("nl", "€ 26,50"), ("en", "€26.50")])
def test_without_a_language_from_the_phone_the_business_default(
    world: World, party: Party, default: str, money: str
) -> None:
    world.x.language = default
    world.x.save(update_fields=["language"])
    html, _r = _page(party)
    assert f'<html lang="{default}"' in html and money in html
    html, _r = _page(party, HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9")  # not spoken here
    assert f'<html lang="{default}"' in html


def test_the_guests_own_switch_wins_over_the_phone(party: Party) -> None:
    guest = Client(HTTP_ACCEPT_LANGUAGE=NL_PHONE)
    guest.cookies["django_language"] = "en"
    html = guest.get(f"/guest/{party.guest_token}/").content.decode()
    assert '<html lang="en"' in html and "€26.50" in html


def test_the_message_after_a_tap_and_the_receipt_in_the_phones_language(
    world: World, api: Any, party: Party
) -> None:
    guest = Client(HTTP_ACCEPT_LANGUAGE=NL_PHONE)
    r = guest.post(f"/guest/{party.guest_token}/call/", follow=True)
    assert "komt naar je tafel" in r.content.decode()
    english = Client(HTTP_ACCEPT_LANGUAGE=EN_PHONE)
    r = english.post(f"/guest/{party.guest_token}/bill/", follow=True)
    assert "Your host brings the bill." in r.content.decode()
    # Paid and left: the receipt in either language.
    OrderLine.objects.filter(order__party=party).update(status=LineStatus.SERVED)
    owner = api(world.owner)
    r = owner.post(
        f"/api/v1/floor/parties/{party.pk}/payments", {"amount_cents": 2650, "method": "card"}
    )
    assert r.status_code == 201, r.content
    assert owner.post(f"/api/v1/floor/parties/{party.pk}/leave").status_code == 200
    nl, _r = _page(party, HTTP_ACCEPT_LANGUAGE=NL_PHONE)
    en, _r = _page(party, HTTP_ACCEPT_LANGUAGE=EN_PHONE)
    assert "Bedankt voor jullie bezoek!" in nl and "€ 26,50" in nl
    assert "Thank you for your visit!" in en and "€26.50" in en


def test_the_check_in_page_too(world: World, terrace: dict[str, Any]) -> None:  # noqa: F811
    url = f"/guest/t/{terrace['t21'].qr_token}/"
    assert '<html lang="en"' in Client(HTTP_ACCEPT_LANGUAGE=EN_PHONE).get(url).content.decode()
    assert '<html lang="nl"' in Client(HTTP_ACCEPT_LANGUAGE=NL_PHONE).get(url).content.decode()

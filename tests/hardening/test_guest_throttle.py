"""Issue #15: guessing guest links and table QR codes is throttled per client address
(``core.throttle``, ``guest-token-ip``): 429 with ``Retry-After`` and a clear message in
the reader's language. Only wrong tokens count: a busy table of phones behind one
restaurant Wi-Fi, using its own link, is never slowed."""

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.http import Http404, HttpRequest, HttpResponse
from django.test import Client, RequestFactory

from klantstuur.core import throttle
from klantstuur.floor.models import Party
from tests.conftest import World
from tests.floor.test_api import terrace  # noqa: F401  (fixture)

WIFI = "198.51.100.20"
LIMIT = 30  # guest-token-ip: 30 wrong tokens per address per 10 minutes


@pytest.fixture
def party(world: World, api: Any, terrace: dict[str, Any]) -> Party:  # noqa: F811
    body = api(world.owner).post("/api/v1/floor/parties", {"table": "3", "seats": 6}).json()
    return Party.objects.get(pk=body["id"])


def _guess(client: Client, n: int) -> None:
    for i in range(n):
        assert client.get(f"/guest/guess-{i:04d}-abcdefgh/").status_code == 404


def test_wrong_guest_links_from_one_address_are_throttled_even_the_right_one(
    world: World, party: Party
) -> None:
    guesser = Client(REMOTE_ADDR=WIFI)
    _guess(guesser, LIMIT)
    for url in (
        "/guest/guess-next/",
        f"/guest/{party.guest_token}/",  # past the limit even a right link waits
        "/guest/t/guess-qr/",
    ):
        r = guesser.get(url)
        assert r.status_code == 429, url
        assert 1 <= int(r["Retry-After"]) <= 10 * 60
    r = guesser.post(f"/guest/{party.guest_token}/call/")
    assert r.status_code == 429
    party.refresh_from_db()
    assert party.host_called_at is None  # nothing done
    # In the reader's language: Dutch by default, English when they chose it.
    page = guesser.get("/guest/guess-next/").content.decode()
    assert "Te veel pogingen" in page
    guesser.cookies["django_language"] = "en"
    page = guesser.get("/guest/guess-next/").content.decode()
    assert "Too many attempts" in page and "Please try again in" in page
    # Another address is not held back.
    assert (
        Client(REMOTE_ADDR="198.51.100.21").get(f"/guest/{party.guest_token}/").status_code == 200
    )


def test_wrong_table_codes_count_the_same_way(world: World, party: Party) -> None:
    guesser = Client(REMOTE_ADDR=WIFI)
    for i in range(LIMIT):
        assert guesser.get(f"/guest/t/qr-guess-{i}/").status_code == 404
    r = guesser.post(f"/guest/t/{party.table.qr_token}/", {"seats": "2"})
    assert r.status_code == 429 and "Retry-After" in r


def test_a_busy_table_of_eight_phones_on_one_wifi_is_never_throttled(
    world: World,
    party: Party,
    terrace: dict[str, Any],  # noqa: F811
) -> None:
    url = f"/guest/{party.guest_token}/"
    phones = [Client(REMOTE_ADDR=WIFI) for _ in range(8)]
    statuses: list[int] = []
    for _round in range(6):  # an evening's worth of looking, refreshing and tapping
        for phone in phones:
            statuses.append(phone.get(url).status_code)
            statuses.append(phone.get(url + "live/").status_code)
            statuses.append(phone.get(f"/guest/t/{party.table.qr_token}/").status_code)
    for n, phone in enumerate(phones):
        seat = n % 6 + 1  # eight phones at a table of six: some share a seat
        body = {f"q-{seat}-{terrace['pancake'].pk}": "1", "tab": str(seat)}
        statuses.append(phone.post(url + "order/", body).status_code)
        statuses.append(phone.post(url + "call/").status_code)
        rating = {"touchpoint": "order_taken", "rating": "5"}
        statuses.append(phone.post(url + "feedback/", rating).status_code)
        # A rating for an order that is not the party's: 404, but the link is real.
        statuses.append(phone.post(url + "feedback/", {**rating, "order": "999999"}).status_code)
    assert len(statuses) == 8 * 6 * 3 + 8 * 4
    assert 429 not in statuses
    assert statuses.count(404) == 8
    assert throttle.wait("guest-token-ip", WIFI) is None
    # One guest mistyping a link a few times does not lock the table out either.
    _guess(phones[0], 5)
    assert phones[1].get(url).status_code == 200


def test_the_async_stream_view_is_guarded_the_same_way() -> None:
    calls: list[str] = []

    @throttle.guessing_throttled("guest-token-ip")
    async def stream(request: HttpRequest, token: str) -> HttpResponse:
        calls.append(token)
        if token != "right":
            raise Http404
        return HttpResponse("ok")

    def get(token: str) -> Any:
        request = RequestFactory().get(f"/guest/{token}/stream/", REMOTE_ADDR=WIFI)
        # In a thread of its own: the browser tests' Playwright keeps an event loop
        # running in the main thread for the rest of a serial run.
        with ThreadPoolExecutor(1) as pool:
            try:
                return pool.submit(asyncio.run, stream(request, token=token)).result().status_code
            except Http404:
                return 404

    assert [get("right") for _ in range(50)] == [200] * 50
    assert [get(f"wrong{i}") for i in range(LIMIT)] == [404] * LIMIT
    assert get("right") == 429
    assert len(calls) == 50 + LIMIT

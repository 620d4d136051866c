"""The live conversation on a need over the real ASGI server: the API's streams, the
customer's stream without internal notes, catching up by Last-Event-ID, presence."""

import contextlib
import json
import queue
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from klantstuur.accounts.services import customer_user, token_create
from klantstuur.businesses.models import StaffMember
from klantstuur.customers.models import Customer
from klantstuur.needs import services
from klantstuur.needs.models import JournalEvent
from tests.browser.test_terrace import asgi_server  # noqa: F401  (fixture)
from tests.conftest import World
from tests.helpers import open_need

pytestmark = pytest.mark.django_db(transaction=True)


def _token(actor: StaffMember | Customer) -> str:
    user = actor.user if isinstance(actor, StaffMember) else customer_user(customer=actor)
    return token_create(user=user)[1]


class Stream:
    """One SSE stream read in a thread: frames as dicts {event, id, data}."""

    def __init__(self, url: str, token: str, last_event_id: int | None = None) -> None:
        self.frames: queue.Queue[dict[str, Any]] = queue.Queue()
        self.status: queue.Queue[int] = queue.Queue()
        self._stop = threading.Event()
        headers = {"Authorization": f"Bearer {token}"}
        if last_event_id is not None:
            headers["Last-Event-ID"] = str(last_event_id)
        self._thread = threading.Thread(target=self._run, args=(url, headers), daemon=True)
        self._thread.start()

    def _run(self, url: str, headers: dict[str, str]) -> None:
        # The server stops at the end of the test, mid-stream.
        with contextlib.suppress(httpx.HTTPError):
            self._read(url, headers)

    def _read(self, url: str, headers: dict[str, str]) -> None:
        with (
            httpx.Client(timeout=httpx.Timeout(30, read=60)) as client,
            client.stream("GET", url, headers=headers) as response,
        ):
            self.status.put(response.status_code)
            frame: dict[str, Any] = {}
            for line in response.iter_lines():
                if self._stop.is_set():
                    return
                if not line:
                    if frame:
                        frame["t"] = time.monotonic()  # when it arrived on this side
                        self.frames.put(frame)
                    frame = {}
                elif line.startswith("event: "):
                    frame["event"] = line[7:]
                elif line.startswith("id: "):
                    frame["id"] = int(line[4:])
                elif line.startswith("data: "):
                    frame["data"] = json.loads(line[6:])

    def next(self, timeout: float = 5.0, event: str | None = None) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            frame = self.frames.get(timeout=max(deadline - time.monotonic(), 0.01))
            if frame.get("event") == event:
                return frame

    def drain(self, seconds: float) -> list[dict[str, Any]]:
        time.sleep(seconds)
        out = []
        while not self.frames.empty():
            out.append(self.frames.get())
        return out

    def close(self) -> None:
        self._stop.set()


@pytest.fixture
def streams() -> Iterator[list[Stream]]:
    opened: list[Stream] = []
    yield opened
    for s in opened:
        s.close()


def test_a_message_reaches_the_other_side_within_a_second(
    asgi_server: str,  # noqa: F811
    world: World,
    streams: list[Stream],
) -> None:
    need = open_need(world.customer_a)
    staff = Stream(f"{asgi_server}/api/v1/needs/{need.pk}/stream", _token(world.owner))
    customer = Stream(f"{asgi_server}/api/v1/me/needs/{need.pk}/stream", _token(world.customer_a))
    streams += [staff, customer]
    assert staff.status.get(timeout=10) == 200
    assert customer.status.get(timeout=10) == 200
    staff.next(event="hello")
    customer.next(event="hello")

    started = time.monotonic()
    services.message_post_by_customer(customer=world.customer_a, need=need, body="Nog nieuws?")
    seen = staff.next()
    # From before the post to the frame's arrival (not to this thread reading it: the
    # post's own call also runs the deferred reactions inline in tests).
    assert seen["t"] - started < 1.0
    event = JournalEvent.objects.filter(need=need).latest("id")
    assert seen["id"] == event.pk
    assert seen["data"]["kind"] == "customer_message"
    assert seen["data"]["need_id"] == need.pk

    # An internal note reaches the staff stream and never the customer's.
    services.message_post_by_staff(staff=world.owner, need=need, body="VIP", internal=True)
    services.message_post_by_staff(staff=world.owner, need=need, body="Morgen")
    assert [staff.next()["data"]["kind"], staff.next()["data"]["kind"]] == [
        "internal_note",
        "staff_message",
    ]
    kinds = [f["data"]["kind"] for f in customer.drain(1.0) if f.get("event") is None]
    assert kinds == ["customer_message", "staff_message"]


def test_a_stream_catches_up_by_last_event_id_without_internal_notes(
    asgi_server: str,  # noqa: F811
    world: World,
    streams: list[Stream],
) -> None:
    need = open_need(world.customer_a)
    first = JournalEvent.objects.filter(need=need).latest("id").pk
    services.message_post_by_staff(staff=world.owner, need=need, body="Intern", internal=True)
    services.message_post_by_staff(staff=world.owner, need=need, body="Hallo Anna")
    services.message_post_by_customer(customer=world.customer_a, need=need, body="Hoi")
    customer = Stream(
        f"{asgi_server}/api/v1/me/needs/{need.pk}/stream",
        _token(world.customer_a),
        last_event_id=first,
    )
    staff = Stream(
        f"{asgi_server}/api/v1/needs/{need.pk}/stream", _token(world.owner), last_event_id=first
    )
    streams += [customer, staff]
    assert [customer.next()["data"]["kind"], customer.next()["data"]["kind"]] == [
        "staff_message",
        "customer_message",
    ]
    assert [staff.next()["data"]["kind"] for _ in range(3)] == [
        "internal_note",
        "staff_message",
        "customer_message",
    ]
    # Then live, and nothing twice.
    services.message_post_by_staff(staff=world.owner, need=need, body="Verzonden")
    assert customer.next()["data"]["kind"] == "staff_message"
    assert [f for f in customer.drain(0.5) if f.get("event") is None] == []


def test_each_side_sees_the_other_is_present(
    asgi_server: str,  # noqa: F811
    world: World,
    streams: list[Stream],
) -> None:
    need = open_need(world.customer_a)
    owner = Stream(f"{asgi_server}/api/v1/needs/{need.pk}/stream", _token(world.owner))
    streams.append(owner)
    owner.next(event="hello")
    customer = Stream(f"{asgi_server}/api/v1/me/needs/{need.pk}/stream", _token(world.customer_a))
    streams.append(customer)
    joined = owner.next(event="presence")["data"]
    assert (joined["side"], joined["state"]) == ("customer", "join")
    # The owner's stream answers the join: the customer learns the owner is there.
    here = customer.next(event="presence")["data"]
    assert (here["side"], here["state"]) == ("owner", "here")


@pytest.mark.parametrize(
    ("path", "actor", "status"),
    [
        ("/api/v1/needs/{id}/stream", None, 401),
        ("/api/v1/needs/{id}/stream", "customer_a", 403),
        ("/api/v1/needs/{id}/stream", "carrier", 403),
        ("/api/v1/needs/{id}/stream", "stranger", 404),
        ("/api/v1/me/needs/{id}/stream", None, 401),
        ("/api/v1/me/needs/{id}/stream", "owner", 403),
        ("/api/v1/me/needs/{id}/stream", "customer_b", 404),
        ("/api/v1/me/needs/{id}/stream", "customer_y", 404),
    ],
)
def test_another_customer_or_business_is_refused(
    asgi_server: str,  # noqa: F811
    world: World,
    path: str,
    actor: str | None,
    status: int,
) -> None:
    need = open_need(world.customer_a)
    before = JournalEvent.objects.count()
    headers = {}
    if actor is not None:
        headers["Authorization"] = f"Bearer {_token(getattr(world, actor))}"
    response = httpx.get(asgi_server + path.format(id=need.pk), headers=headers, timeout=20)
    assert response.status_code == status
    assert response.headers["Content-Type"] == "application/json"
    assert response.json()["detail"]
    assert JournalEvent.objects.count() == before

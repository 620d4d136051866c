"""Shared actors for every test (STYLE.md §6).

anonymous · customer A · customer B (same business) · staff of business X
(owner, colleague, lead, manager, kitchen, carrier) · staff of business Y ·
a customer of business Y.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from klantstuur.accounts.services import customer_user, token_create
from klantstuur.businesses.models import Business, Role, StaffMember
from klantstuur.businesses.services import business_create, staff_create
from klantstuur.customers.models import Customer
from klantstuur.customers.services import customer_create

PASSWORD = "test-password-123"


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hashing() -> Any:
    """The world makes seven logins per test; PBKDF2 would make that seconds."""
    from django.test import override_settings

    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(scope="session")
def django_db_modify_db_settings(
    django_db_modify_db_settings_parallel_suffix: None,
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """A run with browser tests on SQLite uses a file database (WAL, as the demo runs), not
    Django's in-memory shared cache. There the server's threads and the test share tables
    under shared-cache locks: a page read while another request writes fails at once with
    "database table is locked" (a 503 on a live fragment, and a browser waiting 10 s for
    text that came only at the 30-second refresh: the terrace tests' flaky waits)."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    browser = any("tests/browser" in str(item.fspath) for item in request.session.items)
    if browser and db["ENGINE"].endswith("sqlite3"):
        folder = tmp_path_factory.mktemp("sqlite")
        db.setdefault("TEST", {})["NAME"] = str(folder / "test.sqlite3")


@pytest.fixture(autouse=True)
def _immediate_tasks(settings: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.DEMO_MODE = False
    # The journal's deferred reactions run right after each commit, in the test.
    settings.KLANTSTUUR = {**settings.KLANTSTUUR, "REACTIONS_INLINE": True}
    # Webhook receivers in the tests listen on loopback.
    settings.KLANTSTUUR["WEBHOOKS_ALLOW_PRIVATE"] = True
    # Throttle counters (issue #15) start at zero in every test.
    from django.core.cache import cache

    cache.clear()


@dataclass
class World:
    x: Business
    y: Business
    owner: StaffMember  # host in X, authority 2500
    colleague: StaffMember  # host in X, authority 2500
    lead: StaffMember  # lead in X, authority 50000
    manager: StaffMember  # manager in X
    kitchen: StaffMember
    carrier: StaffMember
    stranger: StaffMember  # agent in Y
    customer_a: Customer  # in X
    customer_b: Customer  # in X
    customer_y: Customer  # in Y


@pytest.fixture
def world(db: Any) -> World:
    return build_world()


def build_world() -> World:
    """The actors; a fixture of wider scope (the permission matrix) builds them once."""
    x = business_create(slug="x", name="Business X")
    y = business_create(slug="y", name="Business Y")

    def staff(b: Business, email: str, name: str, role: str, cents: int = 0) -> StaffMember:
        return staff_create(
            business=b, email=email, name=name, role=role, authority_cents=cents, password=PASSWORD
        )

    # The owner is made first so that new needs of a fresh customer go to them
    # (fewest open needs, then lowest id).
    owner = staff(x, "owner@x.example", "Olga Owner", Role.HOST, 2500)
    colleague = staff(x, "colleague@x.example", "Cor Colleague", Role.HOST, 2500)
    lead = staff(x, "lead@x.example", "Lea Lead", Role.LEAD, 50000)
    manager = staff(x, "manager@x.example", "Max Manager", Role.MANAGER, 100000)
    kitchen = staff(x, "kitchen@x.example", "Kim Kitchen", Role.KITCHEN)
    carrier = staff(x, "carrier@x.example", "Carrier X", Role.CARRIER)
    stranger = staff(y, "stranger@y.example", "Stan Stranger", Role.AGENT, 5000)
    return World(
        x=x,
        y=y,
        owner=owner,
        colleague=colleague,
        lead=lead,
        manager=manager,
        kitchen=kitchen,
        carrier=carrier,
        stranger=stranger,
        customer_a=customer_create(business=x, name="Anna A", email="a@example.com"),
        customer_b=customer_create(business=x, name="Bram B", email="b@example.com"),
        customer_y=customer_create(business=y, name="Yara Y", email="a@example.com"),
    )


class ApiClient:
    """A test client that speaks JSON with a bearer token."""

    def __init__(self, token: str | None) -> None:
        self.client = Client()
        self.token = token

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = {"HTTP_AUTHORIZATION": f"Bearer {self.token}"} if self.token else {}
        for key, value in (extra or {}).items():
            headers["HTTP_" + key.upper().replace("-", "_")] = value
        return headers

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(path, params, **self._headers())

    def post(self, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
        return self.client.post(
            path,
            body if body is not None else {},
            content_type="application/json",
            **self._headers(headers),
        )

    def patch(self, path: str, body: Any, headers: dict[str, str] | None = None) -> Any:
        return self.client.patch(
            path, body, content_type="application/json", **self._headers(headers)
        )

    def put(self, path: str, body: Any, headers: dict[str, str] | None = None) -> Any:
        return self.client.put(
            path, body, content_type="application/json", **self._headers(headers)
        )

    def delete(self, path: str, headers: dict[str, str] | None = None) -> Any:
        return self.client.delete(path, **self._headers(headers))


@pytest.fixture
def api() -> Callable[[StaffMember | Customer | None], ApiClient]:
    """``api(world.owner)`` or ``api(world.customer_a)`` or ``api(None)`` (anonymous)."""

    def make(actor: StaffMember | Customer | None) -> ApiClient:
        if actor is None:
            return ApiClient(None)
        user = actor.user if isinstance(actor, StaffMember) else customer_user(customer=actor)
        _, key = token_create(user=user)
        return ApiClient(key)

    return make


@pytest.fixture
def login() -> Callable[[StaffMember | Customer], Client]:
    """A browser-like client with a session for a staff member or a customer."""

    def make(actor: StaffMember | Customer) -> Client:
        client = Client()
        user = actor.user if isinstance(actor, StaffMember) else customer_user(customer=actor)
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return client

    return make

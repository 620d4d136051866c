"""The victim's world for the permission matrix: business X and its customer A with one of
everything a route can point at, built once per module, and the attackers' credentials.

Built through the services and the API, like a user would, so that the matrix follows the
code when it is refactored. ``snapshot`` reads every row of every project table, so a
refused request that changed anything at all shows up.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.apps import apps
from django.conf import settings
from django.db import connection
from django.test import Client, override_settings
from django.utils import timezone

from klantstuur.accounts.services import customer_user, token_create
from klantstuur.businesses.models import StaffMember
from klantstuur.catalog.models import CatalogItem, Station
from klantstuur.community import services as community
from klantstuur.customers.models import Customer
from klantstuur.delivery.models import DeliverySettings, DeliveryWindow, PickupPoint
from klantstuur.feedback import services as feedback
from klantstuur.feedback.models import ListeningSample
from klantstuur.floor.services import section_create, table_create
from klantstuur.metrics import listening, projection
from klantstuur.needs import services as needs
from tests.conftest import ApiClient, World, build_world
from tests.helpers import open_need

API = "/api/v1"
AMS = ZoneInfo("Europe/Amsterdam")
# What only business X and its customer A may see; a scoped list shown to anyone else
# must not contain it.
SECRET_SUMMARY = "Victim need: the parcel for Anna"
SECRET_NAME = "Anna A"

# Who knocks: each is refused (or shown only their own) on the victim's routes.
ATTACKERS = ("anonymous", "customer_b", "customer_y", "stranger")
# Staff of the victim's own business, for routes that a role does not open.
ROLES = ("owner", "colleague", "lead", "manager", "kitchen", "carrier")

# Settings the test-wide autouse fixtures set, for a scene built before they run.
SCENE_SETTINGS = {
    "TASKS": {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}},
    "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    "DEMO_MODE": False,
    "PASSWORD_HASHERS": ["django.contrib.auth.hashers.MD5PasswordHasher"],
}


@dataclass
class Scene:
    world: World
    ids: dict[str, Any]
    tokens: dict[str, str | None] = field(default_factory=dict)
    sessions: dict[str, str | None] = field(default_factory=dict)
    start: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict)

    def actor(self, name: str) -> StaffMember | Customer | None:
        return None if name == "anonymous" else getattr(self.world, name)

    def api(self, name: str) -> ApiClient:
        return ApiClient(self.tokens[name])

    def browser(self, name: str) -> Client:
        client = Client()
        key = self.sessions[name]
        if key is not None:
            client.cookies[settings.SESSION_COOKIE_NAME] = key
        return client


def _tomorrow() -> date:
    return timezone.localtime(timezone.now(), AMS).date() + timedelta(days=1)


def _ok(response: Any, status: int = 201) -> Any:
    assert response.status_code == status, (response.status_code, response.content[:500])
    return response.json()


def _shop(w: World, staff: ApiClient, carrier: ApiClient, me: ApiClient) -> dict[str, Any]:
    DeliverySettings.objects.create(business=w.x, horizon_days=14, webhook_secret="whsec_x")
    DeliveryWindow.objects.create(
        business=w.x, starts=time(18), ends=time(21), capacity=50, cutoff_minutes=360
    )
    PickupPoint.objects.create(
        business=w.x, code="tabak-centrum", name="Tabak Centrum", address="Markt 1"
    )
    item = CatalogItem.objects.create(business=w.x, name="Remblokken", price_cents=1995)
    body = {
        "customer_id": w.customer_a.pk,
        "lines": [{"item": item.pk, "quantity": 1}],
        "delivery": {"date": _tomorrow().isoformat(), "window": "18:00-21:00"},
    }
    order = _ok(staff.post(f"{API}/orders", body))
    delivered = _ok(staff.post(f"{API}/orders", body))
    _ok(carrier.post(f"{API}/carrier/events", {"order_id": delivered["id"], "status": "delivered"}))
    ret = _ok(
        me.post(
            f"{API}/me/orders/{delivered['id']}/returns", {"reason": "Too big", "method": "pickup"}
        )
    )
    instruction = _ok(
        me.post(
            f"{API}/me/instructions",
            {
                "condition": "not_at_home",
                "action": "leave_with_neighbour",
                "params": {"house_number": "14", "name": "Jansen"},
            },
        )
    )
    return {
        "item": item.pk,
        "order": order["id"],
        "line": order["lines"][0]["id"],
        "delivered": delivered["id"],
        "return": ret["id"],
        "instruction": instruction["id"],
    }


def _terrace(w: World, staff: ApiClient) -> dict[str, Any]:
    terras = section_create(business=w.x, name="Terras", host=w.owner)
    table = table_create(section=terras, number="12", seats=4)
    free = table_create(section=terras, number="21", seats=2)
    griddle = Station.objects.create(business=w.x, code="pannenkoeken", name="Pannenkoeken")
    griddle.members.add(w.kitchen)
    pancake = CatalogItem.objects.create(
        business=w.x, name="Spek", price_cents=1150, station=griddle, prep_minutes=12
    )
    party = _ok(
        staff.post(
            f"{API}/floor/parties", {"table": "12", "seats": 2, "customer_id": w.customer_a.pk}
        )
    )
    order = _ok(
        staff.post(
            f"{API}/orders", {"party_id": party["id"], "lines": [{"item": pancake.pk, "seat": 1}]}
        )
    )
    return {
        "section": terras.pk,
        "table": table.pk,
        "qr": free.qr_token,
        "party": party["id"],
        "guest": party["guest_url"].rstrip("/").rsplit("/", 1)[-1],
        "party_order": order["id"],
        "party_line": order["lines"][0]["id"],
        "station": griddle.code,
        "pancake": pancake.pk,
    }


def _insight(w: World) -> dict[str, Any]:
    done = open_need(w.customer_a, summary="Answered before")
    needs.resolution_propose(staff=done.owner, need=done, summary="Done")
    needs.resolution_confirm(customer=w.customer_a, need=done)
    projection.rebuild(business_ids=[w.x.pk])
    listening.listening_sample(business_id=w.x.pk, day=timezone.localdate(), now=timezone.now())
    cause = feedback.root_cause_create(staff=w.manager, name="Wrong table")
    item = feedback.improvement_create(
        staff=w.manager, root_cause_id=cause.pk, title="Seat numbers", owner_id=w.lead.pk
    )
    return {
        "sample": ListeningSample.objects.filter(business=w.x).first().pk,  # type: ignore[union-attr]
        "board_item": item.pk,
        "cause": cause.pk,
    }


def _integrations(w: World) -> dict[str, Any]:
    """X's webhook endpoint with one delivery, customer A's own endpoint and token."""
    from klantstuur.integrations.models import WebhookDelivery, WebhookEndpoint

    now = timezone.now()
    hook = WebhookEndpoint.objects.create(
        business=w.x, url="https://hooks.x.example/in", events=["need_opened"], secret="whsec_eA=="
    )
    delivery = WebhookDelivery.objects.create(
        endpoint=hook,
        event_type="need_opened",
        webhook_id="msg_1",
        ordering_key="need:1",
        body="{}",
        status="delivered",
        next_attempt_at=now,
        queued_at=now,
    )
    mine = WebhookEndpoint.objects.create(
        business=w.x,
        customer=w.customer_a,
        url="https://hooks.anna.example/in",
        events=["staff_message"],
        secret="whsec_eA==",
    )
    token, _key = token_create(user=customer_user(customer=w.customer_a), name="assistant")
    return {
        "webhook": hook.pk,
        "webhook_delivery": delivery.pk,
        "my_webhook": mine.pk,
        "my_token": token.pk,
    }


def _community(w: World) -> dict[str, Any]:
    """A question customer_a shared (not the secret one), answered by customer_b."""
    asked = open_need(w.customer_a, summary="Which chain fits?")
    assert asked.owner_id == w.owner.pk
    community.question_share(customer=w.customer_a, need_id=asked.pk)
    answer = community.answer_post(customer=w.customer_b, need_id=asked.pk, body="A 9-speed.")
    return {"peer_need": asked.pk, "peer_answer": answer.pk}


def _neighbours(w: World, order_id: int) -> dict[str, Any]:
    """customer_b accepts parcels; customer_a asked them to take the order's parcel."""
    community.neighbour_offer(
        customer=w.customer_b, postcode="3512JK", house_number="14", hours_at_home="evenings"
    )
    req = community.neighbour_ask(
        customer=w.customer_a, order_id=order_id, neighbour_id=w.customer_b.pk, house_number="12"
    )
    return {"neighbour": w.customer_b.pk, "neighbour_request": req.pk}


def build_scene() -> Scene:
    """Call inside a transaction that is rolled back afterwards."""
    with override_settings(**SCENE_SETTINGS):
        w = build_world()
        scene = Scene(world=w, ids={})
        for name in (*ATTACKERS, *ROLES, "customer_a"):
            who = scene.actor(name)
            if who is None:
                scene.tokens[name] = scene.sessions[name] = None
                continue
            user = who.user if isinstance(who, StaffMember) else customer_user(customer=who)
            scene.tokens[name] = token_create(user=user)[1]
            browser = Client()
            browser.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
            scene.sessions[name] = browser.cookies[settings.SESSION_COOKIE_NAME].value
        staff, me = scene.api("owner"), scene.api("customer_a")
        need = open_need(w.customer_a, summary=SECRET_SUMMARY)
        handoff = _ok(
            staff.post(
                f"{API}/needs/{need.pk}/handoffs", {"to_staff_id": w.colleague.pk, "reason": "x"}
            )
        )
        scene.ids.update(
            need=need.pk,
            handoff=handoff["id"],
            customer=w.customer_a.pk,
            lead_id=w.lead.pk,
            colleague_id=w.colleague.pk,
            **_shop(w, staff, scene.api("carrier"), me),
            **_terrace(w, staff),
            **_insight(w),
            **_integrations(w),
            **_community(w),
        )
        scene.ids.update(_neighbours(w, scene.ids["order"]))
    return scene


# Tables whose rows a request may touch without changing anything anyone asked for.
_VOLATILE = {"accounts.User", "accounts.ApiToken"}
_TASKS = "django_tasks_database"


def _tables() -> list[str]:
    return [
        model._meta.db_table
        for model in apps.get_models()
        if model._meta.label not in _VOLATILE
        and (model.__module__.startswith("klantstuur.") or model._meta.app_label == _TASKS)
    ]


def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every project table (and queued tasks), as values.

    Plain SQL: this runs twice per test of the matrix, and the ORM would double its time.
    """
    state: dict[str, list[tuple[Any, ...]]] = {}
    with connection.cursor() as cursor:
        for table in _tables():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            state[table] = sorted(cursor.fetchall(), key=repr)
    return state


def changes(before: dict[str, Any], after: dict[str, Any]) -> Iterator[str]:
    for label, rows in after.items():
        if rows != before.get(label):
            gone = [r for r in before.get(label, []) if r not in rows]
            new = [r for r in rows if r not in before.get(label, [])]
            yield f"{label}: -{gone} +{new}"

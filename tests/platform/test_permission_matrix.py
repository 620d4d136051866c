"""Who may call what, generated from the routes themselves.

Every django-ninja operation and every page URL is listed in ``ROUTES`` with what each
actor who has no business there gets: anonymous, another customer of the same business
and of another business, another business's staff, and staff of the victim's own
business whose role does not open the route. Each route x actor is one test; each asserts
the exact refusal and that not one row of the project's tables changed. A new route
fails ``test_every_route_is_classified`` until it is added here.

The codes are the project's deliberate ones (API.md): the API answers 401 without a
token, 403 to a customer on a staff path (and to staff on /me/ paths), 404 for what the
caller may not know exists (another business's or customer's records); pages send
anonymous visitors to the login page (302) and answer a wrong kind of user with 403.
"SCOPED" marks a list that an actor legitimately sees for their own business or self: it
answers 200 and must not show the victim's records.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver

from klantstuur.api.v1 import api as ninja_api

from .permission_scene import (
    ATTACKERS,
    ROLES,
    SECRET_NAME,
    SECRET_SUMMARY,
    Scene,
    build_scene,
    changes,
    snapshot,
)

SCOPED = "scoped"  # 200, showing only the actor's own records
LOGIN = "login"  # 302 to the login page of the interface
Expect = int | str


@dataclass(frozen=True)
class Route:
    method: str  # what the matrix sends
    url: str  # with {names} of the scene's ids
    body: Any = None
    expect: dict[str, Expect] = field(default_factory=dict)
    api: bool = False


def _api(expect: dict[str, Expect], method: str, url: str, body: Any = None) -> Route:
    return Route(method, "/api/v1" + url, body, expect, api=True)


def _page(expect: dict[str, Expect], method: str, url: str, body: Any = None) -> Route:
    return Route(method, url, body, expect)


# --- what is on the map --------------------------------------------------------------------


def api_operations() -> set[str]:
    """``METHOD /api/v1/path`` for every operation of every router of the API."""
    found = set()
    for prefix, router in ninja_api._routers:
        for path, view in router.path_operations.items():
            for operation in view.operations:
                full = ("/api/v1/" + prefix.strip("/") + "/" + path.lstrip("/")).replace("//", "/")
                found |= {f"{method} {full.rstrip('/')}" for method in operation.methods}
    return found


def _walk(patterns: list[Any], namespace: str = "", prefix: str = "") -> Iterator[Any]:
    for p in patterns:
        if isinstance(p, URLResolver):
            inner = ":".join(filter(None, [namespace, p.namespace or ""]))
            yield from _walk(p.url_patterns, inner, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield ":".join(filter(None, [namespace, p.name or ""])), prefix + str(p.pattern), p


def page_names() -> set[str]:
    """Every other URL pattern, by name: pages, the API's own documents; not Django's admin
    (tests/platform/test_admin.py) and not the API operations (listed one by one above)."""
    names = set()
    for name, route, pattern in _walk(get_resolver().url_patterns):
        if route.startswith("admin/") or pattern.callback.__module__ == "ninja.operation":
            continue
        names.add(name)
    return names


# --- who gets what, by kind of route ---------------------------------------------------------
# Staff paths: no token 401; a customer or the carrier integration account 403; another
# business's staff 404 for X's records (they may not know they exist), their own list else.
STAFF_WRITE: dict[str, Expect] = {
    "anonymous": 401,
    "customer_b": 403,
    "customer_y": 403,
    "carrier": 403,
}
STAFF_OBJ = STAFF_WRITE | {"stranger": 404}
STAFF_LIST = STAFF_WRITE | {"stranger": SCOPED}
KITCHEN_ONLY: dict[str, Expect] = {"owner": 403, "colleague": 403}  # hosts do not cook
SHIFT_ROLES_ONLY: dict[str, Expect] = {"stranger": 403, "owner": 403, "kitchen": 403}
MANAGER_ONLY = STAFF_WRITE | {"stranger": 403, "owner": 403, "lead": 403, "kitchen": 403}
CARRIER_ONLY: dict[str, Expect] = {
    "anonymous": 401,
    "customer_b": 403,
    "customer_y": 403,
    "stranger": 403,
    "owner": 403,
    "kitchen": 403,
}
# /me/ paths: no token 401; staff 403; another customer 404 for A's records, their own else.
ME_SELF: dict[str, Expect] = {"anonymous": 401, "stranger": 403, "owner": 403, "carrier": 403}
ME_OBJ = ME_SELF | {"customer_b": 404, "customer_y": 404}
ME_LIST = ME_SELF | {"customer_b": SCOPED, "customer_y": SCOPED}
# /me/party: only with a party's guest token.
GUEST_ONLY: dict[str, Expect] = {"anonymous": 401, "customer_b": 403, "stranger": 403}
UNSIGNED: dict[str, Expect] = {"anonymous": 401, "customer_b": 401, "stranger": 401}
# Console pages: anonymous to the login page; customers and the carrier account 403.
CONSOLE: dict[str, Expect] = {
    "anonymous": LOGIN,
    "customer_b": 403,
    "customer_y": 403,
    "carrier": 403,
}
CONSOLE_OBJ = CONSOLE | {"stranger": 404}
CONSOLE_LIST = CONSOLE | {"stranger": SCOPED}
MANAGER_PAGE = CONSOLE | {"stranger": 403, "owner": 403, "lead": 403, "kitchen": 403}
# A live stream is refused before it starts: 403 even to anonymous (no page to log in to).
STREAM: dict[str, Expect] = {"anonymous": 403, "customer_b": 403, "customer_y": 403}
# Portal pages: anonymous to the login page; staff 403; another customer 404 for A's records.
PORTAL_SELF: dict[str, Expect] = {"anonymous": LOGIN, "stranger": 403, "owner": 403, "carrier": 403}
PORTAL_OBJ = PORTAL_SELF | {"customer_b": 404, "customer_y": 404}
PORTAL_LIST = PORTAL_SELF | {"customer_b": SCOPED, "customer_y": SCOPED}
# The guest link: the token is the key; without the right one it does not exist.
GUEST_PAGE: dict[str, Expect] = {"anonymous": 404, "customer_b": 404, "stranger": 404}
# The owner's word on a peer's answer: every other colleague is refused.
NOT_THE_OWNER: dict[str, Expect] = {"colleague": 403, "lead": 403, "manager": 403, "kitchen": 403}

# Open to all: nothing to refuse.
PUBLIC: dict[str, Expect] = {}


# --- the API -------------------------------------------------------------------------------

_OPEN_FOR_A = {"customer_id": "{customer}", "kind": "question", "summary": "Mallory was here"}
_DELIVERY = {"date": "2099-01-01", "window": "18:00-21:00"}

API_ROUTES: dict[str, Route] = {
    "POST /api/v1/customers": _api(STAFF_WRITE, "post", "/customers", {"name": "Mallory"}),
    "GET /api/v1/customers/{customer_id}": _api(STAFF_OBJ, "get", "/customers/{customer}"),
    "GET /api/v1/staff": _api(STAFF_LIST, "get", "/staff"),
    "POST /api/v1/needs": _api(STAFF_OBJ, "post", "/needs", _OPEN_FOR_A),
    "GET /api/v1/needs": _api(STAFF_LIST, "get", "/needs"),
    "GET /api/v1/needs/{need_id}": _api(STAFF_OBJ, "get", "/needs/{need}"),
    "GET /api/v1/needs/{need_id}/timeline": _api(STAFF_OBJ, "get", "/needs/{need}/timeline"),
    "POST /api/v1/needs/{need_id}/messages": _api(
        STAFF_OBJ, "post", "/needs/{need}/messages", {"body": "hi"}
    ),
    "POST /api/v1/needs/{need_id}/handoffs": _api(
        STAFF_OBJ | {"colleague": 403},
        "post",
        "/needs/{need}/handoffs",
        {"to_staff_id": "{lead_id}", "reason": "x"},
    ),
    "POST /api/v1/handoffs/{handoff_id}/accept": _api(
        STAFF_OBJ | {"owner": 403, "lead": 403}, "post", "/handoffs/{handoff}/accept", {}
    ),
    "POST /api/v1/handoffs/{handoff_id}/decline": _api(
        STAFF_OBJ | {"owner": 403, "lead": 403},
        "post",
        "/handoffs/{handoff}/decline",
        {"reason": "no"},
    ),
    "POST /api/v1/needs/{need_id}/remedies": _api(
        STAFF_OBJ | {"colleague": 403},
        "post",
        "/needs/{need}/remedies",
        {"kind": "refund", "amount_cents": 100},
    ),
    "POST /api/v1/needs/{need_id}/resolution": _api(
        STAFF_OBJ | {"colleague": 403}, "post", "/needs/{need}/resolution", {"summary": "done"}
    ),
    "GET /api/v1/me": _api(ME_LIST, "get", "/me"),
    "PATCH /api/v1/me": _api(ME_SELF, "patch", "/me", {"name": "Mallory"}),
    "GET /api/v1/me/needs": _api(ME_LIST, "get", "/me/needs"),
    "POST /api/v1/me/needs": _api(
        ME_SELF, "post", "/me/needs", {"kind": "question", "summary": "x"}
    ),
    "GET /api/v1/me/needs/{need_id}": _api(ME_OBJ, "get", "/me/needs/{need}"),
    "GET /api/v1/me/needs/{need_id}/timeline": _api(ME_OBJ, "get", "/me/needs/{need}/timeline"),
    "POST /api/v1/me/needs/{need_id}/messages": _api(
        ME_OBJ, "post", "/me/needs/{need}/messages", {"body": "hi"}
    ),
    "POST /api/v1/me/needs/{need_id}/confirm": _api(ME_OBJ, "post", "/me/needs/{need}/confirm", {}),
    "POST /api/v1/me/needs/{need_id}/reopen": _api(
        ME_OBJ, "post", "/me/needs/{need}/reopen", {"reason": "again"}
    ),
    "POST /api/v1/me/needs/{need_id}/cancel": _api(ME_OBJ, "post", "/me/needs/{need}/cancel", {}),
    "GET /api/v1/catalog": _api(
        {"anonymous": 401, "customer_y": SCOPED, "stranger": SCOPED}, "get", "/catalog"
    ),
    "POST /api/v1/orders": _api(
        STAFF_WRITE | {"stranger": 422},
        "post",
        "/orders",
        {"party_id": "{party}", "lines": [{"item": "{pancake}", "seat": 1}]},
    ),
    "GET /api/v1/orders/{order_id}": _api(STAFF_OBJ, "get", "/orders/{order}"),
    "POST /api/v1/me/orders": _api(
        ME_SELF,
        "post",
        "/me/orders",
        {"lines": [{"item": "{item}", "quantity": 1}], "delivery": _DELIVERY},
    ),
    "GET /api/v1/me/orders": _api(ME_LIST, "get", "/me/orders"),
    "GET /api/v1/me/orders/{order_id}": _api(ME_OBJ, "get", "/me/orders/{order}"),
    "POST /api/v1/floor/parties": _api(
        STAFF_WRITE | {"stranger": 422}, "post", "/floor/parties", {"table": "21", "seats": 2}
    ),
    "GET /api/v1/floor/parties": _api(STAFF_LIST, "get", "/floor/parties"),
    "GET /api/v1/floor/parties/{party_id}": _api(STAFF_OBJ, "get", "/floor/parties/{party}"),
    "POST /api/v1/floor/parties/{party_id}/leave": _api(
        STAFF_OBJ, "post", "/floor/parties/{party}/leave"
    ),
    # issue #13: the bill and the close-out
    "GET /api/v1/floor/parties/{party_id}/bill": _api(
        STAFF_OBJ, "get", "/floor/parties/{party}/bill"
    ),
    "POST /api/v1/floor/parties/{party_id}/payments": _api(
        STAFF_OBJ | {"kitchen": 403},
        "post",
        "/floor/parties/{party}/payments",
        {"amount_cents": 1, "method": "card"},
    ),
    "GET /api/v1/me/party/bill": _api(GUEST_ONLY, "get", "/me/party/bill"),
    "GET /api/v1/floor/tables": _api(STAFF_LIST, "get", "/floor/tables"),
    "POST /api/v1/floor/sections/{section_id}/host": _api(
        STAFF_WRITE | SHIFT_ROLES_ONLY,
        "post",
        "/floor/sections/{section}/host",
        {"staff_id": "{colleague_id}"},
    ),
    "GET /api/v1/me/party": _api(GUEST_ONLY, "get", "/me/party"),
    "POST /api/v1/me/party/call-host": _api(
        GUEST_ONLY, "post", "/me/party/call-host", {"reason": "x"}
    ),
    "POST /api/v1/me/party/bill": _api(GUEST_ONLY, "post", "/me/party/bill"),
    "GET /api/v1/stations/{station}/tickets": _api(STAFF_OBJ, "get", "/stations/{station}/tickets"),
    "POST /api/v1/stations/{station}/tickets/{order_id}/ready": _api(
        STAFF_OBJ | KITCHEN_ONLY, "post", "/stations/{station}/tickets/{party_order}/ready"
    ),
    "POST /api/v1/order-lines/{line_id}/start": _api(
        STAFF_OBJ | KITCHEN_ONLY, "post", "/order-lines/{party_line}/start"
    ),
    "POST /api/v1/order-lines/{line_id}/ready": _api(
        STAFF_OBJ | KITCHEN_ONLY, "post", "/order-lines/{party_line}/ready"
    ),
    "POST /api/v1/order-lines/{line_id}/recall": _api(
        STAFF_OBJ | KITCHEN_ONLY, "post", "/order-lines/{party_line}/recall"
    ),
    "POST /api/v1/order-lines/{line_id}/pick-up": _api(
        STAFF_OBJ, "post", "/order-lines/{party_line}/pick-up"
    ),
    "POST /api/v1/order-lines/{line_id}/delivered": _api(
        STAFF_OBJ, "post", "/order-lines/{party_line}/delivered", {"table": "12", "seat": 1}
    ),
    "POST /api/v1/orders/{order_id}/fire": _api(
        STAFF_OBJ, "post", "/orders/{party_order}/fire", {"course": "main"}
    ),
    "GET /api/v1/runner/plates": _api(STAFF_LIST, "get", "/runner/plates"),
    "GET /api/v1/delivery-options": _api(
        {"anonymous": 401, "customer_y": SCOPED, "stranger": SCOPED, "carrier": 403},
        "get",
        "/delivery-options",
    ),
    "GET /api/v1/me/orders/{order_id}/delivery": _api(ME_OBJ, "get", "/me/orders/{order}/delivery"),
    "PUT /api/v1/me/orders/{order_id}/delivery": _api(
        ME_OBJ, "put", "/me/orders/{order}/delivery", _DELIVERY
    ),
    "GET /api/v1/orders/{order_id}/delivery": _api(STAFF_OBJ, "get", "/orders/{order}/delivery"),
    "POST /api/v1/carrier/events": _api(
        CARRIER_ONLY, "post", "/carrier/events", {"order_id": "{order}", "status": "delivered"}
    ),
    "POST /api/v1/carrier/events/batch": _api(
        CARRIER_ONLY,
        "post",
        "/carrier/events/batch",
        {"events": [{"order_id": "{order}", "status": "delivered"}]},
    ),
    "POST /api/v1/orders/{order_id}/scans": _api(
        STAFF_OBJ, "post", "/orders/{order}/scans", {"code": "picked"}
    ),
    "POST /api/v1/order-lines/{line_id}/out-of-stock": _api(
        STAFF_OBJ, "post", "/order-lines/{line}/out-of-stock", {"note": "gone"}
    ),
    "POST /api/v1/mail/inbound": _api(UNSIGNED, "post", "/mail/inbound", {"x": 1}),
    "POST /api/v1/webhooks/carrier/{slug}": _api(
        UNSIGNED, "post", "/webhooks/carrier/x", {"order_id": "{order}", "status": "delivered"}
    ),
    "GET /api/v1/me/instructions": _api(ME_LIST, "get", "/me/instructions"),
    "POST /api/v1/me/instructions": _api(
        ME_SELF,
        "post",
        "/me/instructions",
        {"condition": "not_at_home", "action": "return_to_sender"},
    ),
    "DELETE /api/v1/me/instructions/{instruction_id}": _api(
        ME_OBJ, "delete", "/me/instructions/{instruction}"
    ),
    "GET /api/v1/me/export": _api(ME_LIST, "get", "/me/export"),
    "POST /api/v1/me/erasure": _api(ME_SELF, "post", "/me/erasure"),
    "PATCH /api/v1/me/preferences": _api(
        ME_SELF, "patch", "/me/preferences", {"notify_by_email": False}
    ),
    "GET /api/v1/me/notifications": _api(ME_LIST, "get", "/me/notifications"),
    "POST /api/v1/me/orders/{order_id}/returns": _api(
        ME_OBJ, "post", "/me/orders/{delivered}/returns", {"reason": "x", "method": "pickup"}
    ),
    # issue #14: calendar file, return reasons, return label, erasure withdrawn
    "GET /api/v1/me/orders/{order_id}/delivery.ics": _api(
        ME_OBJ, "get", "/me/orders/{order}/delivery.ics"
    ),
    "GET /api/v1/return-reasons": _api(
        {"anonymous": 401, "customer_y": SCOPED, "stranger": SCOPED, "carrier": 403},
        "get",
        "/return-reasons",
    ),
    "GET /api/v1/me/returns/{return_id}/label.svg": _api(
        ME_OBJ, "get", "/me/returns/{return}/label.svg"
    ),
    "DELETE /api/v1/me/erasure": _api(ME_SELF, "delete", "/me/erasure"),
    "POST /api/v1/returns/{return_id}/arrived": _api(
        STAFF_OBJ, "post", "/returns/{return}/arrived", {}
    ),
    "POST /api/v1/me/feedback": _api(
        ME_SELF, "post", "/me/feedback", {"need_id": "{need}", "touchpoint": "chat", "rating": 1}
    ),
    "GET /api/v1/metrics": _api(MANAGER_ONLY, "get", "/metrics"),
    "GET /api/v1/metrics/journeys": _api(MANAGER_ONLY, "get", "/metrics/journeys"),
    # integrations (#12)
    "GET /api/v1/root-causes": _api(STAFF_LIST, "get", "/root-causes"),
    "POST /api/v1/webhook-endpoints": _api(
        MANAGER_ONLY, "post", "/webhook-endpoints", {"url": "https://e.example", "events": ["x"]}
    ),
    "GET /api/v1/webhook-endpoints": _api(MANAGER_ONLY, "get", "/webhook-endpoints"),
    "DELETE /api/v1/webhook-endpoints/{endpoint_id}": _api(
        MANAGER_ONLY, "delete", "/webhook-endpoints/{webhook}"
    ),
    "GET /api/v1/webhook-endpoints/{endpoint_id}/deliveries": _api(
        MANAGER_ONLY, "get", "/webhook-endpoints/{webhook}/deliveries"
    ),
    "POST /api/v1/webhook-endpoints/{endpoint_id}/rotate-secret": _api(
        MANAGER_ONLY, "post", "/webhook-endpoints/{webhook}/rotate-secret"
    ),
    "POST /api/v1/webhook-endpoints/{endpoint_id}/enable": _api(
        MANAGER_ONLY, "post", "/webhook-endpoints/{webhook}/enable"
    ),
    "POST /api/v1/webhook-endpoints/{endpoint_id}/ping": _api(
        MANAGER_ONLY, "post", "/webhook-endpoints/{webhook}/ping"
    ),
    "POST /api/v1/webhook-endpoints/{endpoint_id}/deliveries/{delivery_id}/resend": _api(
        MANAGER_ONLY, "post", "/webhook-endpoints/{webhook}/deliveries/{webhook_delivery}/resend"
    ),
    "POST /api/v1/me/webhook-endpoints": _api(
        ME_SELF, "post", "/me/webhook-endpoints", {"url": "https://e.example", "events": ["x"]}
    ),
    "GET /api/v1/me/webhook-endpoints": _api(ME_LIST, "get", "/me/webhook-endpoints"),
    "DELETE /api/v1/me/webhook-endpoints/{endpoint_id}": _api(
        ME_OBJ, "delete", "/me/webhook-endpoints/{my_webhook}"
    ),
    "GET /api/v1/me/webhook-endpoints/{endpoint_id}/deliveries": _api(
        ME_OBJ, "get", "/me/webhook-endpoints/{my_webhook}/deliveries"
    ),
    "POST /api/v1/me/tokens": _api(ME_SELF, "post", "/me/tokens", {"name": "x", "scope": "read"}),
    "GET /api/v1/me/tokens": _api(ME_LIST, "get", "/me/tokens"),
    "DELETE /api/v1/me/tokens/{token_id}": _api(ME_OBJ, "delete", "/me/tokens/{my_token}"),
    # customers among themselves (#16): {need} is not shared; {peer_need} is, with an answer
    # by customer_b ({peer_answer}).
    "POST /api/v1/me/needs/{need_id}/share": _api(ME_OBJ, "post", "/me/needs/{need}/share", {}),
    "DELETE /api/v1/me/needs/{need_id}/share": _api(ME_OBJ, "delete", "/me/needs/{need}/share"),
    "POST /api/v1/me/needs/{need_id}/peer-answers/{answer_id}/helped": _api(
        ME_OBJ, "post", "/me/needs/{peer_need}/peer-answers/{peer_answer}/helped", {}
    ),
    "GET /api/v1/me/community": _api(ME_LIST, "get", "/me/community"),
    "GET /api/v1/me/community/{need_id}": _api(ME_OBJ, "get", "/me/community/{need}"),
    "POST /api/v1/me/community/{need_id}/answers": _api(
        ME_OBJ, "post", "/me/community/{need}/answers", {"body": "hi"}
    ),
    "POST /api/v1/me/community/{need_id}/answers/{answer_id}/report": _api(
        ME_SELF | {"customer_b": 409, "customer_y": 404},
        "post",
        "/me/community/{peer_need}/answers/{peer_answer}/report",
        {},
    ),
    "POST /api/v1/me/community/leave": _api(ME_SELF, "post", "/me/community/leave", {}),
    "GET /api/v1/needs/{need_id}/peer-answers": _api(
        STAFF_OBJ, "get", "/needs/{peer_need}/peer-answers"
    ),
    "POST /api/v1/needs/{need_id}/peer-answers/{answer_id}/endorse": _api(
        STAFF_OBJ | NOT_THE_OWNER,
        "post",
        "/needs/{peer_need}/peer-answers/{peer_answer}/endorse",
        {},
    ),
    "POST /api/v1/needs/{need_id}/peer-answers/{answer_id}/correct": _api(
        STAFF_OBJ | NOT_THE_OWNER,
        "post",
        "/needs/{peer_need}/peer-answers/{peer_answer}/correct",
        {"correction": "x"},
    ),
    "POST /api/v1/needs/{need_id}/peer-answers/{answer_id}/hide": _api(
        STAFF_OBJ, "post", "/needs/{peer_need}/peer-answers/{peer_answer}/hide", {}
    ),
    # neighbours who accept parcels: customer_b is one; customer_a asked them ({order})
    "GET /api/v1/me/neighbour": _api(ME_SELF | {"customer_y": 404}, "get", "/me/neighbour"),
    "PUT /api/v1/me/neighbour": _api(
        ME_SELF,
        "put",
        "/me/neighbour",
        {"postcode": "3512JK", "house_number": "1", "hours_at_home": "x"},
    ),
    "DELETE /api/v1/me/neighbour": _api(ME_SELF, "delete", "/me/neighbour"),
    "GET /api/v1/me/neighbours": _api(ME_LIST, "get", "/me/neighbours?postcode=3512JK"),
    "POST /api/v1/me/orders/{order_id}/neighbour-requests": _api(
        ME_OBJ,
        "post",
        "/me/orders/{order}/neighbour-requests",
        {"neighbour_id": "{neighbour}", "house_number": "12"},
    ),
    "GET /api/v1/me/neighbour-requests": _api(ME_LIST, "get", "/me/neighbour-requests"),
    "POST /api/v1/me/neighbour-requests/{request_id}/accept": _api(
        ME_SELF | {"customer_y": 404}, "post", "/me/neighbour-requests/{neighbour_request}/accept"
    ),
    "POST /api/v1/me/neighbour-requests/{request_id}/decline": _api(
        ME_SELF | {"customer_y": 404}, "post", "/me/neighbour-requests/{neighbour_request}/decline"
    ),
}

# --- the pages -----------------------------------------------------------------------------

PAGE_ROUTES: dict[str, Route] = {
    "healthz": _page(PUBLIC, "get", "/healthz"),
    "api-v1:openapi-json": _page(PUBLIC, "get", "/api/v1/openapi.json"),
    "api-v1:openapi-view": _page(PUBLIC, "get", "/api/v1/docs"),
    "api-v1:api-root": _page({"anonymous": 404}, "get", "/api/v1/"),
    "set_language": _page(PUBLIC, "post", "/i18n/setlang/", {"language": "en"}),
    "demo:landing": _page(PUBLIC, "get", "/"),
    "demo:login": _page(
        {"anonymous": 404, "customer_b": 404, "stranger": 404},
        "post",
        "/demo/login",
        {"persona": "owner"},
    ),
    "demo:webhook_inbox": _page(
        {"anonymous": 404, "customer_b": 404, "stranger": 404}, "post", "/demo/webhook-inbox"
    ),
    # console: needs
    "console:home": _page(CONSOLE_LIST, "get", "/console/"),
    "console:login": _page(PUBLIC, "get", "/console/login/"),
    "console:logout": _page(PUBLIC, "post", "/console/logout/"),
    "console:needs": _page(CONSOLE_LIST, "get", "/console/needs/"),
    "console:need": _page(CONSOLE_OBJ, "get", "/console/needs/{need}/"),
    "console:need_reply": _page(CONSOLE_OBJ, "post", "/console/needs/{need}/reply", {"body": "hi"}),
    "console:need_note": _page(CONSOLE_OBJ, "post", "/console/needs/{need}/note", {"body": "hi"}),
    "console:need_handoff": _page(
        CONSOLE_OBJ, "post", "/console/needs/{need}/handoff", {"to": "{lead_id}", "reason": "x"}
    ),
    "console:need_remedy": _page(
        CONSOLE_OBJ | {"colleague": 403},
        "post",
        "/console/needs/{need}/remedy",
        {"kind": "refund", "amount": "1.00"},
    ),
    "console:need_resolve": _page(
        CONSOLE_OBJ | {"colleague": 403},
        "post",
        "/console/needs/{need}/resolution",
        {"summary": "x"},
    ),
    "console:handoff_accept": _page(
        CONSOLE_OBJ | {"owner": 403, "lead": 403}, "post", "/console/handoffs/{handoff}/accept"
    ),
    "console:handoff_decline": _page(
        CONSOLE_OBJ | {"owner": 403, "lead": 403},
        "post",
        "/console/handoffs/{handoff}/decline",
        {"reason": "no"},
    ),
    # console: floor
    "console_floor:floor": _page(CONSOLE_LIST, "get", "/console/floor/"),
    "console_floor:floor_fragment": _page(CONSOLE_LIST, "get", "/console/floor/live/"),
    "console_floor:floor_stream": _page(STREAM, "get", "/console/floor/stream/"),
    "console_floor:seat": _page(
        CONSOLE | {"stranger": "->/console/floor/"},
        "post",
        "/console/floor/seat/",
        {"table": "21", "seats": "2"},
    ),
    "console_floor:take_order": _page(
        CONSOLE_OBJ,
        "post",
        "/console/floor/parties/{party}/order/",
        {"item": "{pancake}", "seat": "1"},
    ),
    "console_floor:host_came": _page(CONSOLE_OBJ, "post", "/console/floor/parties/{party}/came/"),
    "console_floor:leave": _page(CONSOLE_OBJ, "post", "/console/floor/parties/{party}/leave/"),
    # issue #13: the bill, payments, the close-out's confirmation, firing from the card
    "console_floor:bill": _page(CONSOLE_OBJ, "get", "/console/floor/parties/{party}/bill/"),
    "console_floor:pay": _page(
        CONSOLE_OBJ | {"kitchen": 403},
        "post",
        "/console/floor/parties/{party}/pay/",
        {"amount": "1", "method": "card"},
    ),
    "console_floor:close": _page(
        CONSOLE_OBJ | {"kitchen": 403},
        "post",
        "/console/floor/parties/{party}/close/",
        {"confirm": "1", "void": "1", "reason": "x"},
    ),
    "console_floor:fire_next": _page(CONSOLE_OBJ, "post", "/console/floor/parties/{party}/fire/"),
    "console_floor:fire": _page(
        CONSOLE_OBJ, "post", "/console/floor/orders/{party_order}/fire/", {"course": "main"}
    ),
    "console_floor:stations": _page(CONSOLE_LIST, "get", "/console/floor/stations/"),
    "console_floor:board": _page(CONSOLE_OBJ, "get", "/console/floor/stations/{station}/"),
    "console_floor:board_fragment": _page(
        CONSOLE_OBJ, "get", "/console/floor/stations/{station}/live/"
    ),
    "console_floor:board_stream": _page(STREAM, "get", "/console/floor/stations/{station}/stream/"),
    "console_floor:ticket_bump": _page(
        CONSOLE_OBJ | {"owner": "->/console/floor/stations/pannenkoeken/"},
        "post",
        "/console/floor/stations/{station}/tickets/{party_order}/bump/",
    ),
    "console_floor:line_bump": _page(
        CONSOLE_OBJ | {"owner": "->/console/floor/stations/pannenkoeken/"},
        "post",
        "/console/floor/lines/{party_line}/bump/",
    ),
    "console_floor:line_start": _page(
        CONSOLE_OBJ | {"owner": "->/console/floor/stations/pannenkoeken/"},
        "post",
        "/console/floor/lines/{party_line}/start/",
    ),
    "console_floor:line_recall": _page(
        CONSOLE_OBJ, "post", "/console/floor/lines/{party_line}/recall/"
    ),
    "console_floor:runner": _page(CONSOLE_LIST, "get", "/console/floor/runner/"),
    "console_floor:runner_fragment": _page(CONSOLE_LIST, "get", "/console/floor/runner/live/"),
    "console_floor:runner_stream": _page(STREAM, "get", "/console/floor/runner/stream/"),
    "console_floor:pick_up": _page(
        CONSOLE_OBJ, "post", "/console/floor/lines/{party_line}/pickup/"
    ),
    "console_floor:deliver": _page(
        CONSOLE_OBJ,
        "post",
        "/console/floor/lines/{party_line}/deliver/",
        {"table": "12", "seat": "1"},
    ),
    "console_floor:serve_table": _page(
        CONSOLE | {"stranger": 403}, "post", "/console/floor/runner/serve-table/", {"table": "12"}
    ),
    "console_floor:shift": _page(
        CONSOLE | {"stranger": 403, "owner": 403, "kitchen": 403},
        "post",
        "/console/floor/shift/",
        {"section": "{section}", "host": "{colleague_id}"},
    ),
    "console_floor:qr_codes": _page(
        CONSOLE | {"stranger": 403, "owner": 403, "kitchen": 403}, "get", "/console/floor/qr/"
    ),
    "console_floor:guest_link": _page(CONSOLE_OBJ, "get", "/console/floor/parties/{party}/link/"),
    # console: insight
    "console_insight:dashboard": _page(MANAGER_PAGE, "get", "/console/insight/"),
    "console_insight:drill": _page(
        MANAGER_PAGE, "get", "/console/insight/drill/contacts_per_need/"
    ),
    "console_insight:journey": _page(MANAGER_PAGE, "get", "/console/insight/journeys/{need}/"),
    "console_insight:export": _page(MANAGER_PAGE, "get", "/console/insight/export.csv"),
    "console_insight:listening": _page(MANAGER_PAGE, "get", "/console/insight/listening/"),
    "console_insight:listen": _page(
        MANAGER_PAGE, "post", "/console/insight/listening/{sample}/listened", {"note": "x"}
    ),
    "console_insight:board": _page(MANAGER_PAGE, "get", "/console/insight/board/"),
    "console_insight:failed_mail": _page(MANAGER_PAGE, "get", "/console/insight/failed-mail/"),
    "console_insight:cause_add": _page(
        MANAGER_PAGE, "post", "/console/insight/board/causes", {"name": "New"}
    ),
    "console_insight:item_add": _page(
        MANAGER_PAGE,
        "post",
        "/console/insight/board/items",
        {"root_cause": "{cause}", "title": "T", "owner": "{lead_id}"},
    ),
    "console_insight:item_move": _page(
        MANAGER_PAGE, "post", "/console/insight/board/items/{item}", {"status": "doing"}
    ),
    "console_insight:customers": _page(
        CONSOLE_LIST | {"kitchen": 403}, "get", "/console/insight/customers/"
    ),
    "console_insight:customer": _page(
        CONSOLE_OBJ | {"kitchen": 403}, "get", "/console/insight/customers/{customer}/"
    ),
    "console_insight:reward": _page(
        CONSOLE_OBJ | {"kitchen": 403},
        "post",
        "/console/insight/customers/{customer}/reward",
        {"kind": "voucher", "value": "5"},
    ),
    # console: delivery
    "console_delivery:orders": _page(CONSOLE_LIST, "get", "/console/delivery/orders/"),
    "console_delivery:order": _page(CONSOLE_OBJ, "get", "/console/delivery/orders/{order}/"),
    "console_delivery:scan": _page(
        CONSOLE_OBJ, "post", "/console/delivery/orders/{order}/scan", {"code": "picked"}
    ),
    "console_delivery:tracking": _page(
        CONSOLE_OBJ, "post", "/console/delivery/orders/{order}/tracking", {"tracking_number": "X1"}
    ),
    "console_delivery:out_of_stock": _page(
        CONSOLE_OBJ,
        "post",
        "/console/delivery/orders/{order}/lines/{line}/out-of-stock",
        {"note": "x"},
    ),
    "console_delivery:return_arrived": _page(
        CONSOLE_OBJ, "post", "/console/delivery/returns/{return}/arrived"
    ),
    # console and portal: integrations (#12)
    "console_webhooks:endpoints": _page(MANAGER_PAGE, "get", "/console/webhooks/"),
    "console_webhooks:endpoint": _page(MANAGER_PAGE, "get", "/console/webhooks/{webhook}/"),
    "console_webhooks:rotate": _page(MANAGER_PAGE, "post", "/console/webhooks/{webhook}/rotate"),
    "console_webhooks:ping": _page(MANAGER_PAGE, "post", "/console/webhooks/{webhook}/ping"),
    "console_webhooks:enable": _page(MANAGER_PAGE, "post", "/console/webhooks/{webhook}/enable"),
    "console_webhooks:delete": _page(MANAGER_PAGE, "post", "/console/webhooks/{webhook}/delete"),
    "console_webhooks:resend": _page(
        MANAGER_PAGE, "post", "/console/webhooks/{webhook}/deliveries/{webhook_delivery}/resend"
    ),
    "portal_connections:home": _page(PORTAL_LIST, "get", "/portal/connections/"),
    "portal_connections:token_create": _page(
        PORTAL_SELF, "post", "/portal/connections/tokens", {"name": "x", "scope": "read"}
    ),
    "portal_connections:token_revoke": _page(
        PORTAL_OBJ, "post", "/portal/connections/tokens/{my_token}/revoke"
    ),
    "portal_connections:endpoint_create": _page(
        PORTAL_SELF,
        "post",
        "/portal/connections/webhooks",
        {"url": "https://e.example", "events": "need_opened"},
    ),
    "portal_connections:endpoint_delete": _page(
        PORTAL_OBJ, "post", "/portal/connections/webhooks/{my_webhook}/delete"
    ),
    # the guest link: the token is the key, so a made-up one is what others have
    "portal_guest:check_in": _page(GUEST_PAGE, "post", "/guest/t/not-a-table/", {"seats": "2"}),
    "portal_guest:party": _page(GUEST_PAGE, "get", "/guest/not-a-token/"),
    "portal_guest:fragment": _page(GUEST_PAGE, "get", "/guest/not-a-token/live/"),
    "portal_guest:stream": _page(GUEST_PAGE, "get", "/guest/not-a-token/stream/"),
    "portal_guest:order": _page(
        GUEST_PAGE, "post", "/guest/not-a-token/order/", {"item": "{pancake}"}
    ),
    "portal_guest:call": _page(GUEST_PAGE, "post", "/guest/not-a-token/call/"),
    "portal_guest:bill": _page(GUEST_PAGE, "post", "/guest/not-a-token/bill/"),
    "portal_guest:feedback": _page(
        GUEST_PAGE, "post", "/guest/not-a-token/feedback/", {"rating": "1"}
    ),
    # portal: orders, instructions, my data
    "portal_orders:orders": _page(PORTAL_LIST, "get", "/portal/orders/"),
    "portal_orders:order": _page(PORTAL_OBJ, "get", "/portal/orders/{order}/"),
    "portal_orders:delivery_change": _page(
        PORTAL_OBJ, "post", "/portal/orders/{order}/delivery", _DELIVERY
    ),
    "portal_orders:change_form": _page(PORTAL_OBJ, "get", "/portal/orders/{order}/change"),
    "portal_orders:return_start": _page(
        PORTAL_OBJ, "post", "/portal/orders/{delivered}/return", {"reason": "x", "method": "pickup"}
    ),
    "portal_orders:calendar": _page(PORTAL_OBJ, "get", "/portal/orders/{order}/delivery.ics"),
    "portal_orders:return_label": _page(
        PORTAL_OBJ, "get", "/portal/orders/returns/{return}/label/"
    ),
    "portal_orders:instructions": _page(
        PORTAL_SELF,
        "post",
        "/portal/orders/instructions/",
        {"condition": "not_at_home", "action": "return_to_sender"},
    ),
    "portal_orders:instruction_remove": _page(
        PORTAL_OBJ, "post", "/portal/orders/instructions/{instruction}/remove"
    ),
    "portal_orders:my_data": _page(PORTAL_LIST, "get", "/portal/orders/my-data/"),
    "portal_orders:export": _page(PORTAL_LIST, "get", "/portal/orders/my-data/export.json"),
    "portal_orders:erasure": _page(
        PORTAL_SELF, "post", "/portal/orders/my-data/erasure", {"confirm": "on"}
    ),
    "portal_orders:erasure_withdraw": _page(
        PORTAL_SELF, "post", "/portal/orders/my-data/erasure/withdraw"
    ),
    "portal_orders:notifications": _page(PORTAL_LIST, "get", "/portal/orders/notifications/"),
    # portal: feedback
    "portal_feedback:rate": _page(
        PORTAL_SELF, "post", "/portal/feedback/rate", {"need": "{need}", "rating": "1"}
    ),
    "portal_feedback:guest_rate": _page(
        GUEST_PAGE, "post", "/portal/feedback/guest/not-a-token/rate", {"rating": "1"}
    ),
    "portal_feedback:survey": _page(
        PORTAL_SELF, "post", "/portal/feedback/survey/ces/", {"score": "1"}
    ),
    # portal: needs
    "portal:home": _page(PORTAL_LIST, "get", "/portal/"),
    "portal:login": _page(PUBLIC, "get", "/portal/login/"),
    "portal:magic": _page({"anonymous": 403, "customer_b": 403}, "get", "/portal/magic/"),
    "portal:logout": _page(PUBLIC, "post", "/portal/logout/"),
    "portal:profile": _page(PORTAL_SELF, "post", "/portal/me/", {"name": "Mallory"}),
    "portal:need_new": _page(
        PORTAL_SELF, "post", "/portal/needs/new", {"kind": "question", "summary": "x"}
    ),
    "portal:need": _page(PORTAL_OBJ, "get", "/portal/needs/{need}/"),
    "portal:need_message": _page(
        PORTAL_OBJ, "post", "/portal/needs/{need}/message", {"body": "hi"}
    ),
    "portal:need_confirm": _page(PORTAL_OBJ, "post", "/portal/needs/{need}/confirm"),
    "portal:need_reopen": _page(PORTAL_OBJ, "post", "/portal/needs/{need}/reopen", {"reason": "x"}),
    "portal:need_cancel": _page(PORTAL_OBJ, "post", "/portal/needs/{need}/cancel"),
    # the live conversation and the files that came by e-mail (issue #11)
    "console:home_live": _page(CONSOLE_LIST, "get", "/console/live/"),
    "console:home_stream": _page(STREAM | {"carrier": 403}, "get", "/console/stream/"),
    "console:need_live": _page(CONSOLE_OBJ, "get", "/console/needs/{need}/live/"),
    "console:need_stream": _page(
        STREAM | {"carrier": 403, "stranger": 404}, "get", "/console/needs/{need}/stream/"
    ),
    "console:need_file": _page(CONSOLE_OBJ, "get", "/console/needs/{need}/files/999999"),
    "portal:need_live": _page(PORTAL_OBJ, "get", "/portal/needs/{need}/live/"),
    "portal:need_stream": _page(
        PORTAL_OBJ | {"anonymous": 403}, "get", "/portal/needs/{need}/stream/"
    ),
    "portal:need_file": _page(PORTAL_OBJ, "get", "/portal/needs/{need}/files/999999"),
    # the API's streams take bearer tokens only (tests/live/test_conversation.py)
    "api_need_stream": _page(UNSIGNED, "get", "/api/v1/needs/{need}/stream"),
    "api_me_need_stream": _page(UNSIGNED, "get", "/api/v1/me/needs/{need}/stream"),
    # customers among themselves (#16)
    "portal_community:list": _page(PORTAL_LIST, "get", "/portal/community/"),
    "portal_community:leave": _page(PORTAL_SELF, "post", "/portal/community/leave"),
    "portal_community:question": _page(PORTAL_OBJ, "get", "/portal/community/{need}/"),
    "portal_community:answer": _page(
        PORTAL_OBJ, "post", "/portal/community/{need}/answer", {"body": "hi"}
    ),
    "portal_community:report": _page(
        PORTAL_SELF | {"customer_b": 409, "customer_y": 404},
        "post",
        "/portal/community/{peer_need}/answers/{peer_answer}/report",
    ),
    "portal_community:share": _page(PORTAL_OBJ, "post", "/portal/community/mine/{need}/share"),
    "portal_community:unshare": _page(PORTAL_OBJ, "post", "/portal/community/mine/{need}/unshare"),
    "portal_community:helped": _page(
        PORTAL_OBJ, "post", "/portal/community/mine/{peer_need}/answers/{peer_answer}/helped"
    ),
    "portal_community:neighbours": _page(PORTAL_LIST, "get", "/portal/community/neighbours/"),
    "portal_community:neighbour_offer": _page(
        PORTAL_SELF,
        "post",
        "/portal/community/neighbours/offer",
        {"postcode": "3512JK", "house_number": "1", "hours_at_home": "x"},
    ),
    "portal_community:neighbour_withdraw": _page(
        PORTAL_SELF, "post", "/portal/community/neighbours/withdraw"
    ),
    "portal_community:neighbour_ask": _page(
        PORTAL_OBJ,
        "post",
        "/portal/community/neighbours/orders/{order}/ask",
        {"neighbour": "{neighbour}", "house_number": "12"},
    ),
    "portal_community:neighbour_answer": _page(
        PORTAL_SELF | {"customer_y": 404},
        "post",
        "/portal/community/neighbours/requests/{neighbour_request}/answer",
        {"answer": "accept"},
    ),
    "console_community:endorse": _page(
        CONSOLE_OBJ | NOT_THE_OWNER,
        "post",
        "/console/community/needs/{peer_need}/answers/{peer_answer}/endorse",
    ),
    "console_community:correct": _page(
        CONSOLE_OBJ | NOT_THE_OWNER,
        "post",
        "/console/community/needs/{peer_need}/answers/{peer_answer}/correct",
        {"correction": "x"},
    ),
    "console_community:hide": _page(
        CONSOLE_OBJ, "post", "/console/community/needs/{peer_need}/answers/{peer_answer}/hide"
    ),
}


# --- the run -------------------------------------------------------------------------------


def _fill(value: Any, ids: dict[str, Any]) -> Any:
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        return ids[value[1:-1]]
    return value


def send(scene: Scene, actor: str, route: Route) -> Any:
    url = route.url.format(**scene.ids)
    body = _fill(route.body, scene.ids)
    if route.api:
        client = scene.api(actor)
        if route.method in ("get", "delete"):
            return getattr(client, route.method)(url)
        return getattr(client, route.method)(url, body if body is not None else {})
    browser = scene.browser(actor)
    if route.method == "get":
        return browser.get(url)
    return browser.post(url, body or {})


ROUTES = {**API_ROUTES, **PAGE_ROUTES}
SECRETS = (SECRET_SUMMARY, SECRET_NAME)


def test_every_route_is_classified() -> None:
    """A new route fails here until ROUTES says who may not use it."""
    assert set(API_ROUTES) == api_operations()
    assert set(PAGE_ROUTES) == page_names()


def test_every_actor_is_one_of_the_scene() -> None:
    for route in ROUTES.values():
        assert set(route.expect) <= {*ATTACKERS, *ROLES}, route


def test_the_snapshot_sees_what_an_allowed_request_changes(scene: Scene, db: Any) -> None:
    before = snapshot()
    response = send(scene, "owner", ROUTES["POST /api/v1/needs/{need_id}/messages"])
    assert response.status_code == 201, response.content
    changed = [line.split(":")[0] for line in changes(before, snapshot())]
    assert set(changed) == {"needs_need", "needs_journalevent"}, changed


@pytest.fixture(scope="module")
def scene(django_db_setup: Any, django_db_blocker: Any) -> Iterator[Scene]:
    """Built once; each test runs in a savepoint inside this transaction (the ``db``
    fixture) and is rolled back, so every test starts from the same rows."""
    with django_db_blocker.unblock(), transaction.atomic():
        built = build_scene()
        built.start = snapshot()
        yield built
        transaction.set_rollback(True)


def _content(response: Any) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return bytes(response.content)


def _login_page(route: Route) -> str:
    return "/portal/login/" if route.url.startswith("/portal/") else "/console/login/"


CASES = [
    pytest.param(key, actor, id=f"{key} | {actor}")
    for key, route in ROUTES.items()
    for actor in route.expect
]


@pytest.mark.parametrize(("key", "actor"), CASES)
def test_it_refuses_and_changes_nothing(scene: Scene, db: Any, key: str, actor: str) -> None:
    route, expect = ROUTES[key], ROUTES[key].expect[actor]
    before = snapshot()
    assert before == scene.start  # what the test before this one did was rolled back
    response = send(scene, actor, route)
    content = _content(response)
    seen = (response.status_code, response.get("Location", ""))
    if expect == SCOPED:
        assert seen[0] == 200, seen
        assert not [s for s in SECRETS if s.encode() in content]
    elif expect == LOGIN:
        assert seen[0] == 302 and seen[1].startswith(_login_page(route) + "?next="), seen
    elif isinstance(expect, str):  # "->/path/": back to a page, with the reason as a message
        assert seen == (302, expect[2:])
    else:
        assert seen[0] == expect, (seen, content[:300])
        if actor in ATTACKERS:  # a colleague of the owner may see the need, not change it
            assert not [s for s in SECRETS if s.encode() in content]
        if route.api:
            assert response["Content-Type"].startswith("application/json")
            assert response.json()["detail"]
    assert list(changes(before, snapshot())) == []

"""Integrations: the root-cause list, outgoing webhooks (a manager's for the business, a
customer's for their own records) and a customer's own API tokens."""

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from klantstuur.accounts import selectors as accounts_selectors
from klantstuur.accounts import services as accounts_services
from klantstuur.accounts.models import ApiToken
from klantstuur.integrations import selectors, services
from klantstuur.integrations.models import WebhookDelivery, WebhookEndpoint
from klantstuur.needs.root_causes import active_root_causes

from . import auth
from .pagination import PageParams, page
from .schemas import In

router = Router(tags=["integrations"])


# --- the root causes a complaint's resolution names ------------------------------------


class RootCauseOut(Schema):
    id: int
    name: str


class RootCausePage(Schema):
    items: list[RootCauseOut]
    count: int
    count_exact: bool = True


@router.get("/root-causes", response=RootCausePage)
def root_cause_list(request: HttpRequest, params: Query[PageParams]) -> Any:
    me = auth.staff(request)
    return page(
        active_root_causes(business_id=me.business_id).order_by("name", "id"),
        params,
        lambda c: {"id": c.pk, "name": c.name},
    )


# --- webhook endpoints ------------------------------------------------------------------


class EndpointIn(In):
    url: str = Field(max_length=500)
    events: list[str] = Field(max_length=100)


class EndpointOut(Schema):
    id: int
    url: str
    events: list[str]
    status: str
    disabled_reason: str
    created_at: datetime


class EndpointMade(EndpointOut):
    secret: str = Field(description="`whsec_…`: shown this once; keep it to verify signatures.")


class EndpointPage(Schema):
    items: list[EndpointOut]
    count: int
    count_exact: bool = True


class SecretOut(Schema):
    secret: str


class AttemptOut(Schema):
    at: datetime
    status_code: int | None
    duration_ms: int
    error: str


class DeliveryOut(Schema):
    id: int
    webhook_id: str
    type: str
    status: str
    queued_at: datetime
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    attempts: list[AttemptOut]


class DeliveryPage(Schema):
    items: list[DeliveryOut]
    count: int
    count_exact: bool = True


def endpoint_out(endpoint: WebhookEndpoint) -> dict[str, Any]:
    return {
        "id": endpoint.pk,
        "url": endpoint.url,
        "events": endpoint.events,
        "status": endpoint.status,
        "disabled_reason": endpoint.disabled_reason,
        "created_at": endpoint.created_at,
    }


def delivery_log(endpoint: WebhookEndpoint, params: PageParams) -> dict[str, Any]:
    found = page(selectors.deliveries_of_endpoint(endpoint=endpoint), params, lambda d: d)
    rows: list[WebhookDelivery] = found["items"]
    attempts = selectors.attempts_of(rows)
    found["items"] = [
        {
            "id": d.pk,
            "webhook_id": d.webhook_id,
            "type": d.event_type,
            "status": d.status,
            "queued_at": d.queued_at,
            "next_attempt_at": d.next_attempt_at if d.status == "pending" else None,
            "delivered_at": d.delivered_at,
            "attempts": [
                {
                    "at": a.at,
                    "status_code": a.status_code,
                    "duration_ms": a.duration_ms,
                    "error": a.error,
                }
                for a in attempts.get(d.pk, [])
            ],
        }
        for d in rows
    ]
    return found


@router.post("/webhook-endpoints", response={201: EndpointMade})
def endpoint_create(request: HttpRequest, payload: EndpointIn) -> Any:
    me = auth.manager(request)
    made = services.endpoint_create(
        business=me.business, url=payload.url, events=payload.events, actor_staff=me
    )
    return 201, {**endpoint_out(made.endpoint), "secret": made.secret}


@router.get("/webhook-endpoints", response=EndpointPage)
def endpoint_list(request: HttpRequest, params: Query[PageParams]) -> Any:
    me = auth.manager(request)
    return page(selectors.endpoints_of_business(business_id=me.business_id), params, endpoint_out)


@router.delete("/webhook-endpoints/{endpoint_id}", response={204: None})
def endpoint_delete(request: HttpRequest, endpoint_id: int) -> Any:
    me = auth.manager(request)
    services.endpoint_delete(
        endpoint=selectors.endpoint_for_staff(staff=me, endpoint_id=endpoint_id)
    )
    return 204, None


@router.get("/webhook-endpoints/{endpoint_id}/deliveries", response=DeliveryPage)
def endpoint_deliveries(request: HttpRequest, endpoint_id: int, params: Query[PageParams]) -> Any:
    me = auth.manager(request)
    return delivery_log(selectors.endpoint_for_staff(staff=me, endpoint_id=endpoint_id), params)


@router.post("/webhook-endpoints/{endpoint_id}/rotate-secret", response=SecretOut)
def endpoint_rotate(request: HttpRequest, endpoint_id: int) -> Any:
    me = auth.manager(request)
    endpoint = selectors.endpoint_for_staff(staff=me, endpoint_id=endpoint_id)
    return {"secret": services.endpoint_rotate_secret(endpoint=endpoint)}


@router.post("/webhook-endpoints/{endpoint_id}/enable", response=EndpointOut)
def endpoint_enable(request: HttpRequest, endpoint_id: int) -> Any:
    me = auth.manager(request)
    endpoint = selectors.endpoint_for_staff(staff=me, endpoint_id=endpoint_id)
    services.endpoint_enable(endpoint=endpoint)
    endpoint.refresh_from_db()
    return endpoint_out(endpoint)


@router.post("/webhook-endpoints/{endpoint_id}/ping", response={202: DeliveryOut})
def endpoint_ping(request: HttpRequest, endpoint_id: int) -> Any:
    me = auth.manager(request)
    endpoint = selectors.endpoint_for_staff(staff=me, endpoint_id=endpoint_id)
    delivery = services.endpoint_ping(endpoint=endpoint)
    return 202, _delivery_out(delivery)


@router.post(
    "/webhook-endpoints/{endpoint_id}/deliveries/{delivery_id}/resend",
    response={202: DeliveryOut},
)
def delivery_resend(request: HttpRequest, endpoint_id: int, delivery_id: int) -> Any:
    me = auth.manager(request)
    endpoint = selectors.endpoint_for_staff(staff=me, endpoint_id=endpoint_id)
    delivery = selectors.delivery_of_endpoint(endpoint=endpoint, delivery_id=delivery_id)
    services.delivery_resend(delivery=delivery)
    delivery.refresh_from_db()
    return 202, _delivery_out(delivery)


def _delivery_out(d: WebhookDelivery) -> dict[str, Any]:
    return {
        "id": d.pk,
        "webhook_id": d.webhook_id,
        "type": d.event_type,
        "status": d.status,
        "queued_at": d.queued_at,
        "next_attempt_at": d.next_attempt_at,
        "delivered_at": d.delivered_at,
        "attempts": [],
    }


# --- a customer's own software: their endpoints and tokens -------------------------------


@router.post("/me/webhook-endpoints", response={201: EndpointMade})
def my_endpoint_create(request: HttpRequest, payload: EndpointIn) -> Any:
    who = auth.customer(request)
    made = services.endpoint_create(
        business=who.business, url=payload.url, events=payload.events, customer=who
    )
    return 201, {**endpoint_out(made.endpoint), "secret": made.secret}


@router.get("/me/webhook-endpoints", response=EndpointPage)
def my_endpoint_list(request: HttpRequest, params: Query[PageParams]) -> Any:
    who = auth.customer(request)
    return page(selectors.endpoints_of_customer(customer=who), params, endpoint_out)


@router.delete("/me/webhook-endpoints/{endpoint_id}", response={204: None})
def my_endpoint_delete(request: HttpRequest, endpoint_id: int) -> Any:
    who = auth.customer(request)
    endpoint = selectors.endpoint_for_customer(customer=who, endpoint_id=endpoint_id)
    services.endpoint_delete(endpoint=endpoint)
    return 204, None


@router.get("/me/webhook-endpoints/{endpoint_id}/deliveries", response=DeliveryPage)
def my_endpoint_deliveries(
    request: HttpRequest, endpoint_id: int, params: Query[PageParams]
) -> Any:
    who = auth.customer(request)
    return delivery_log(
        selectors.endpoint_for_customer(customer=who, endpoint_id=endpoint_id), params
    )


class TokenIn(In):
    name: str = Field(min_length=1, max_length=100)
    scope: Literal["read", "write"]


class TokenOut(Schema):
    id: int
    name: str
    scope: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None


class TokenMade(TokenOut):
    token: str = Field(description="Shown this once; only its hash is kept.")


class TokenPage(Schema):
    items: list[TokenOut]
    count: int
    count_exact: bool = True


def token_out(token: ApiToken) -> dict[str, Any]:
    return {
        "id": token.pk,
        "name": token.name,
        "scope": token.scope,
        "prefix": token.prefix,
        "created_at": token.created_at,
        "last_used_at": token.last_used_at,
    }


@router.post("/me/tokens", response={201: TokenMade})
def my_token_create(request: HttpRequest, payload: TokenIn) -> Any:
    who = auth.customer(request)
    token, key = accounts_services.token_create(
        user=who.user,  # type: ignore[arg-type]
        name=payload.name,
        scope=payload.scope,
    )
    return 201, {**token_out(token), "token": key}


@router.get("/me/tokens", response=TokenPage)
def my_token_list(request: HttpRequest, params: Query[PageParams]) -> Any:
    who = auth.customer(request)
    return page(
        accounts_selectors.tokens_of_user(user_id=who.user_id),  # type: ignore[arg-type]
        params,
        token_out,
    )


@router.delete("/me/tokens/{token_id}", response={204: None})
def my_token_revoke(request: HttpRequest, token_id: int) -> Any:
    who = auth.customer(request)
    accounts_services.token_revoke(user=who.user, token_id=token_id)  # type: ignore[arg-type]
    return 204, None

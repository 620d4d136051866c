"""API v1: catalog and orders (restaurant floor and shop alike)."""

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import Field, StrictInt

from klantstuur.businesses.models import Business
from klantstuur.catalog.models import split_list
from klantstuur.core.errors import Invalid, NotAllowed, NotFound
from klantstuur.customers.selectors import customer_for_staff
from klantstuur.floor.ordering import party_order_place
from klantstuur.floor.selectors import party_for_staff
from klantstuur.orders import selectors
from klantstuur.orders.checkpoints import label
from klantstuur.orders.models import Order, OrderChannel
from klantstuur.orders.services import LineSpec, order_place

from . import auth
from .floor import GUEST_OR_TOKEN, guest_party
from .pagination import PageParams, page
from .schemas import In, PersonRef, PromiseOut

router = Router(tags=["orders"])


class CatalogItemOut(Schema):
    id: int
    name: str
    description: str
    price_cents: int
    station: str | None
    course: str
    modifiers: list[str]
    allergens: list[str]
    prep_minutes: int
    stock: int | None


class CatalogPage(Schema):
    items: list[CatalogItemOut]
    count: int


class LineIn(In):
    item: StrictInt
    quantity: StrictInt = Field(default=1, ge=1, le=99)
    seat: StrictInt | None = Field(default=None, ge=1, le=999)
    note: str = Field(default="", max_length=500)
    allergies: str = Field(default="", max_length=300)
    # From the item's modifiers, comma-separated; the course when not the item's.
    modifiers: str = Field(default="", max_length=300)
    course: str | None = Field(default=None, max_length=20)


class OrderIn(In):
    party_id: StrictInt | None = None
    customer_id: StrictInt | None = None
    lines: list[LineIn] = Field(min_length=1, max_length=100)
    delivery: dict[str, Any] | None = None
    external_ref: str = Field(default="", max_length=100)
    # Courses that wait to be fired (POST /orders/{id}/fire), e.g. ["main"]: drinks go now.
    hold_courses: list[str] = Field(default_factory=list, max_length=10)


class MyOrderIn(In):
    lines: list[LineIn] = Field(min_length=1, max_length=100)
    delivery: dict[str, Any] | None = None
    hold_courses: list[str] = Field(default_factory=list, max_length=10)


class LineOut(Schema):
    id: int
    item: int
    item_name: str
    quantity: int
    seat: int | None
    note: str
    allergies: str
    modifiers: str
    course: str
    station: str | None
    status: str
    promised_at: Any


class CheckpointOut(Schema):
    code: str
    label: str
    at: Any
    line_id: int | None
    location: str
    note: str


class ExchangeOfOut(Schema):
    """An exchange order: the original order and the return whose items it sends again."""

    order_id: int
    return_id: int | None


def exchange_of_out(order: Order) -> dict[str, Any] | None:
    if not order.exchange_of_id:
        return None
    ret = getattr(order, "exchange_return", None)  # delivery's return that placed it
    return {"order_id": order.exchange_of_id, "return_id": ret.pk if ret else None}


class OrderOut(Schema):
    id: int
    need_id: int
    customer_id: int | None
    party_id: int | None
    table: str | None
    status: str
    channel: str
    owner: PersonRef
    promise: PromiseOut | None
    total_cents: int
    created_at: Any
    lines: list[LineOut]
    checkpoints: list[CheckpointOut]
    exchange_of: ExchangeOfOut | None


def catalog_item_out(item: Any) -> dict[str, Any]:
    return {
        "id": item.pk,
        "name": item.name,
        "description": item.description,
        "price_cents": item.price_cents,
        "station": item.station.code if item.station_id else None,
        "course": item.course,
        "modifiers": split_list(item.modifiers),
        "allergens": split_list(item.allergens),
        "prep_minutes": item.prep_minutes,
        "stock": item.stock,
    }


def order_out(order: Order) -> dict[str, Any]:
    promise = None
    if order.promised_at or order.promise_text:
        promise = {"due_at": order.promised_at, "text": order.promise_text}
    return {
        "id": order.pk,
        "need_id": order.need_id,
        "customer_id": order.customer_id,
        "party_id": order.party_id,
        "table": order.party.table.number if order.party_id else None,  # type: ignore[union-attr]
        "status": order.status,
        "channel": order.channel,
        "owner": {"id": order.need.owner_id, "name": order.need.owner.name},
        "promise": promise,
        "total_cents": order.total_cents,
        "created_at": order.created_at,
        "exchange_of": exchange_of_out(order),
        "lines": [
            {
                "id": line.pk,
                "item": line.item_id,
                "item_name": line.item.name,
                "quantity": line.quantity,
                "seat": line.seat,
                "note": line.note,
                "allergies": line.allergies,
                "course": line.course,
                "modifiers": line.modifiers,
                "station": line.station.code if line.station_id else None,  # type: ignore[union-attr]
                "status": line.status,
                "promised_at": line.promised_at,
            }
            for line in order.lines.all()
        ],
        "checkpoints": [
            {
                "code": c.code,
                "label": label(c.code),
                "at": c.at,
                "line_id": c.line_id,
                "location": c.location,
                "note": c.note,
            }
            for c in order.checkpoints.all()
        ],
    }


def _specs(lines: list[LineIn]) -> list[LineSpec]:
    return [
        LineSpec(
            item_id=x.item,
            quantity=x.quantity,
            seat=x.seat,
            note=x.note,
            allergies=x.allergies,
            modifiers=x.modifiers,
            course=x.course,
        )
        for x in lines
    ]


@router.get("/catalog", response=CatalogPage)
def catalog(request: HttpRequest, params: Query[PageParams]) -> Any:
    member = getattr(request, "api_staff", None)
    who = getattr(request, "api_customer", None)
    business_id = member.business_id if member else who.business_id if who else None
    if business_id is None:
        raise NotAllowed(_("No business for this token."))
    return page(selectors.catalog_of_business(business_id=business_id), params, catalog_item_out)


@router.post("/orders", response={201: OrderOut})
def order_create(request: HttpRequest, payload: OrderIn) -> Any:
    me = auth.staff(request)
    business: Business = me.business
    party = customer = None
    if payload.party_id is not None and payload.customer_id is not None:
        raise Invalid(_("Give party_id or customer_id, not both."), field="party_id")
    if payload.party_id is not None:
        try:
            party = party_for_staff(staff=me, party_id=payload.party_id)
        except NotFound:
            raise Invalid(_("No such party."), field="party_id") from None
    elif payload.customer_id is not None:
        customer = customer_for_staff(staff=me, customer_id=payload.customer_id)
    else:
        raise Invalid(_("Give party_id or customer_id."), field="party_id")
    if party is not None:
        order = party_order_place(
            business=business,
            party=party,
            lines=_specs(payload.lines),
            channel=OrderChannel.STAFF,
            actor_staff=me,
            delivery=payload.delivery,
            external_ref=payload.external_ref,
            hold_courses=payload.hold_courses,
        )
    else:
        order = order_place(
            business=business,
            lines=_specs(payload.lines),
            channel=OrderChannel.SHOP,
            customer=customer,
            actor_staff=me,
            delivery=payload.delivery,
            external_ref=payload.external_ref,
            hold_courses=payload.hold_courses,
        )
    return Status(201, order_out(selectors.order_for_staff(staff=me, order_id=order.pk)))


@router.get("/orders/{order_id}", response=OrderOut)
def order_detail(request: HttpRequest, order_id: int) -> Any:
    me = auth.staff(request)
    return order_out(selectors.order_for_staff(staff=me, order_id=order_id))


@router.post("/me/orders", response={201: OrderOut}, auth=GUEST_OR_TOKEN)
def my_order_create(request: HttpRequest, payload: MyOrderIn) -> Any:
    party = guest_party(request)
    if party is not None:
        # A guest at a table orders for their own party, through the guest link's token.
        if payload.delivery is not None:
            raise Invalid(_("Guests at a table get their plates at the table."), field="delivery")
        order = party_order_place(
            business=party.business,
            party=party,
            lines=_specs(payload.lines),
            channel=OrderChannel.GUEST,
            hold_courses=payload.hold_courses,
        )
        return Status(
            201, order_out(selectors.order_for_party(party_id=party.pk, order_id=order.pk))
        )
    who = auth.customer(request)
    order = order_place(
        business=who.business,
        lines=_specs(payload.lines),
        channel=OrderChannel.CUSTOMER,
        customer=who,
        actor_customer=who,
        delivery=payload.delivery,
        hold_courses=payload.hold_courses,
    )
    return Status(201, order_out(selectors.order_for_customer(customer=who, order_id=order.pk)))


class OrderSummaryOut(Schema):
    id: int
    need_id: int
    status: str
    last_checkpoint: str
    promise: PromiseOut | None
    total_cents: int
    created_at: Any
    owner: PersonRef
    exchange_of: ExchangeOfOut | None


class OrderSummaryPage(Schema):
    items: list[OrderSummaryOut]
    count: int


def order_summary_out(order: Order) -> dict[str, Any]:
    return {
        "id": order.pk,
        "need_id": order.need_id,
        "status": order.status,
        "last_checkpoint": order.last_checkpoint,
        "promise": {"due_at": order.promised_at, "text": order.promise_text}
        if order.promised_at or order.promise_text
        else None,
        "total_cents": order.total_cents,
        "created_at": order.created_at,
        "owner": {"id": order.need.owner_id, "name": order.need.owner.name},
        "exchange_of": exchange_of_out(order),
    }


@router.get("/me/orders", response=OrderSummaryPage, auth=GUEST_OR_TOKEN)
def my_orders(request: HttpRequest, params: Query[PageParams]) -> Any:
    party = guest_party(request)
    if party is not None:
        return page(selectors.orders_of_party(party_id=party.pk), params, order_summary_out)
    who = auth.customer(request)
    # An exchange order names its return (delivery's, joined here: orders do not know it).
    mine = selectors.orders_of_customer(customer=who).select_related("exchange_return")
    return page(mine, params, order_summary_out)


@router.get("/me/orders/{order_id}", response=OrderOut, auth=GUEST_OR_TOKEN)
def my_order_detail(request: HttpRequest, order_id: int) -> Any:
    party = guest_party(request)
    if party is not None:
        return order_out(selectors.order_for_party(party_id=party.pk, order_id=order_id))
    who = auth.customer(request)
    return order_out(selectors.order_for_customer(customer=who, order_id=order_id))

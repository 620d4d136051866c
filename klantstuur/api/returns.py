"""API v1: returns — the business's reasons, a return of chosen lines with a reason code,
refund or exchange, drop-off or pick-up, its label (code and QR), and its arrival."""

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from pydantic import Field, StrictInt

from klantstuur.core.errors import NotFound
from klantstuur.delivery import returns as return_services
from klantstuur.delivery import selectors
from klantstuur.delivery.labels import label_svg_document
from klantstuur.delivery.models import ReturnRequest
from klantstuur.orders.selectors import order_for_customer

from . import auth
from .delivery import _id, _staff_or_customer
from .schemas import MAX_ID, In

router = Router(tags=["returns"])


class ReasonOut(Schema):
    code: str
    label: str


class ReasonPage(Schema):
    items: list[ReasonOut]
    count: int


@router.get("/return-reasons", response=ReasonPage)
def return_reasons(request: HttpRequest) -> Any:
    """The business's reasons for a return (set up in the admin), in the reader's language."""
    member, who = _staff_or_customer(request)
    business_id = member.business_id if member else who.business_id  # type: ignore[union-attr]
    items = return_services.reasons_out(business_id=business_id)
    return {"items": items, "count": len(items)}


class ReturnLineIn(In):
    line_id: StrictInt = Field(ge=1, le=MAX_ID)
    quantity: StrictInt = Field(ge=1, le=10_000)


class ReturnIn(In):
    reason: str = Field(default="", max_length=2000)
    reason_code: str = Field(default="", max_length=40)
    method: Literal["pickup", "dropoff"]
    pickup_point: str | None = Field(default=None, max_length=40)
    outcome: Literal["refund", "exchange"] = "refund"
    lines: list[ReturnLineIn] | None = Field(default=None, min_length=1, max_length=200)


class ReturnedLineOut(Schema):
    line_id: int
    item: str
    quantity: int


class LabelOut(Schema):
    code: str
    qr_svg_url: str


class ReturnOut(Schema):
    id: int
    order_id: int
    need_id: int
    status: str
    method: str
    reason: str
    reason_code: str
    # The reason's label in the reader's language (the business's list).
    reason_label: str
    outcome: str
    lines: list[ReturnedLineOut]
    label: LabelOut
    owner: dict[str, Any]
    created_at: datetime
    arrived_at: datetime | None
    # An exchange, once the items arrived: the new order for the same items.
    exchange_order_id: int | None


def _return_out(ret: ReturnRequest) -> dict[str, Any]:
    return {
        "id": ret.pk,
        "order_id": ret.order_id,
        "need_id": ret.need_id,
        "status": ret.status,
        "method": ret.method,
        "reason": ret.reason,
        "reason_code": ret.reason_code,
        "reason_label": getattr(ret, "reason_words", ""),
        "outcome": ret.outcome,
        "lines": [
            {"line_id": rl.line_id, "item": rl.line.item.name, "quantity": rl.quantity}
            for rl in ret.lines.all()
        ],
        "label": {
            "code": ret.label_code,
            "qr_svg_url": reverse("api-v1:my_return_label", args=[ret.pk]),
        },
        "owner": {"id": ret.need.owner_id, "name": ret.need.owner.name},
        "created_at": ret.created_at,
        "arrived_at": ret.arrived_at,
        "exchange_order_id": ret.exchange_order_id,
    }


@router.post("/me/orders/{order_id}/returns", response={201: ReturnOut})
def my_return_start(request: HttpRequest, order_id: int, payload: ReturnIn) -> Any:
    who = auth.customer(request)
    order = order_for_customer(customer=who, order_id=_id(order_id))
    ret = return_services.return_start(
        customer=who,
        order=order,
        reason=payload.reason,
        reason_code=payload.reason_code,
        method=payload.method,
        pickup_point=payload.pickup_point,
        outcome=payload.outcome,
        lines=None if payload.lines is None else [ln.model_dump() for ln in payload.lines],
    )
    return Status(201, _return_out(selectors.return_with_owner(return_id=ret.pk)))


@router.get("/me/returns/{return_id}/label.svg", response={200: None}, url_name="my_return_label")
def my_return_label(request: HttpRequest, return_id: int) -> Any:
    """The label's QR code (the label code) as an SVG image, to show or print."""
    who = auth.customer(request)
    if not 1 <= return_id <= MAX_ID:
        raise NotFound(_("No such return."))
    ret = return_services.return_for_customer(customer=who, return_id=return_id)
    return HttpResponse(label_svg_document(ret), content_type="image/svg+xml")


class ArrivedIn(In):
    refund_cents: StrictInt | None = Field(default=None, ge=0, le=100_000_000)


@router.post("/returns/{return_id}/arrived", response=ReturnOut)
def return_arrived(request: HttpRequest, return_id: int, payload: ArrivedIn) -> Any:
    me = auth.staff(request)
    if not 1 <= return_id <= MAX_ID:
        raise NotFound(_("No such return."))
    ret = return_services.return_for_staff(staff=me, return_id=return_id)
    ret = return_services.return_arrived(staff=me, ret=ret, refund_cents=payload.refund_cents)
    return _return_out(selectors.return_with_owner(return_id=ret.pk))

"""API v1: delivery the customer steers, carrier events and webhooks, standing
instructions, returns, and the customer's own data (export, erasure)."""

from datetime import datetime
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import Field, StrictBool, StrictInt
from standardwebhooks.webhooks import Webhook

from klantstuur.businesses.models import Business, Role, StaffMember
from klantstuur.businesses.selectors import carrier_account
from klantstuur.core.errors import DomainError, Invalid, NotAllowed, NotFound
from klantstuur.customers.models import Customer
from klantstuur.delivery import selectors
from klantstuur.delivery.calendar import delivery_ics
from klantstuur.delivery.instructions import services as instruction_services
from klantstuur.delivery.instructions.engine import describe
from klantstuur.delivery.services import booking, ingest
from klantstuur.delivery.services import options as choices
from klantstuur.delivery.webhooks import webhook_receipt_record
from klantstuur.orders import stock
from klantstuur.orders.checkpoints import label
from klantstuur.orders.selectors import order_for_customer
from klantstuur.privacy import services as privacy

from . import auth
from .pagination import PageParams, page
from .schemas import MAX_ID, In

router = Router(tags=["delivery"])


class Unsigned(DomainError):
    """A webhook without a valid Standard Webhooks signature (401)."""

    status = 401


def _id(value: int) -> int:
    if not 1 <= value <= MAX_ID:
        raise NotFound(_("No such order."))
    return value


def _staff_or_customer(request: HttpRequest) -> tuple[StaffMember | None, Customer | None]:
    member: StaffMember | None = getattr(request, "api_staff", None)
    if member is not None:
        return auth.staff(request), None
    return None, auth.customer(request)


# --- options ---------------------------------------------------------------------------


class WindowOption(Schema):
    window: str
    starts_at: datetime
    ends_at: datetime
    cutoff: datetime
    available: bool
    remaining: int


class DateOption(Schema):
    date: Any
    windows: list[WindowOption]


class PlaceOption(Schema):
    kind: str
    label: str
    needs: list[str]


class PickupPointOut(Schema):
    code: str
    name: str
    address: str
    postcode: str
    opening_hours: str


class OptionsOut(Schema):
    postcode: str
    horizon_days: int
    dates: list[DateOption]
    places: list[PlaceOption]
    pickup_points: list[PickupPointOut]


@router.get("/delivery-options", response=OptionsOut)
def delivery_options(request: HttpRequest, postcode: str = "") -> Any:
    member, who = _staff_or_customer(request)
    business: Business = member.business if member else who.business  # type: ignore[union-attr]
    if len(postcode) > 10:
        raise Invalid(_("A Dutch postcode, like 1012 AB."), field="postcode")
    return choices.delivery_options(business=business, postcode=postcode)


# --- an order's delivery --------------------------------------------------------------


class SlotOut(Schema):
    date: Any
    window: str
    place: dict[str, Any]


class ExpectedOut(Schema):
    from_: datetime = Field(alias="from")
    to: datetime


class DeliveryOut(Schema):
    order_id: int
    status: str
    requested: SlotOut
    promised: SlotOut
    promise: str
    carrier: str
    tracking_number: str
    expected: ExpectedOut | None
    headline: str
    window_start: datetime
    window_end: datetime
    cutoff: datetime
    changeable: bool
    needs_choice: bool
    problem: str
    choices: list[str]
    owner: dict[str, Any]
    # For staff: the console's delivery page of this order.
    console_url: str | None = None


class DeliveryIn(In):
    date: str | None = Field(default=None, max_length=20)
    window: str | None = Field(default=None, max_length=20)
    place: dict[str, Any] | None = None


@router.get("/me/orders/{order_id}/delivery", response=DeliveryOut, by_alias=True)
def my_delivery(request: HttpRequest, order_id: int) -> Any:
    who = auth.customer(request)
    return selectors.delivery_out(
        selectors.delivery_for_customer(customer=who, order_id=_id(order_id))
    )


@router.get("/me/orders/{order_id}/delivery.ics", response={200: None})
def my_delivery_calendar(request: HttpRequest, order_id: int) -> Any:
    """The promised window as a calendar event: stable UID, SEQUENCE rising with changes."""
    who = auth.customer(request)
    d = selectors.delivery_for_customer(customer=who, order_id=_id(order_id))
    response = HttpResponse(delivery_ics(d), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="delivery-{d.order_id}.ics"'
    return response


@router.put("/me/orders/{order_id}/delivery", response=DeliveryOut, by_alias=True)
def my_delivery_change(request: HttpRequest, order_id: int, payload: DeliveryIn) -> Any:
    who = auth.customer(request)
    order = order_for_customer(customer=who, order_id=_id(order_id))
    changes = payload.dict(exclude_unset=True)
    if not changes:
        raise Invalid(_("Give a date, a window or a place."), field="date")
    booking.delivery_change(customer=who, order=order, request=changes)
    return selectors.delivery_out(selectors.delivery_for_customer(customer=who, order_id=order.pk))


@router.get("/orders/{order_id}/delivery", response=DeliveryOut, by_alias=True)
def staff_delivery(request: HttpRequest, order_id: int) -> Any:
    me = auth.staff(request)
    out = selectors.delivery_out(selectors.delivery_for_staff(staff=me, order_id=_id(order_id)))
    out["console_url"] = reverse("console_delivery:order", args=[order_id])
    return out


# --- carrier events, shop scans, webhooks ------------------------------------------------


class CarrierEventIn(In):
    order_id: StrictInt = Field(ge=1, le=MAX_ID)
    status: str = Field(max_length=40)
    at: datetime | None = None
    location: str = Field(default="", max_length=200)
    note: str = Field(default="", max_length=500)
    reason: str = Field(default="", max_length=40)
    event_id: str = Field(default="", max_length=100)
    carrier: str = Field(default="", max_length=100)
    tracking_number: str = Field(default="", max_length=60)


class CarrierEventOut(Schema):
    id: int
    order_id: int
    status: str
    at: datetime
    duplicate: bool


class BatchIn(In):
    events: list[Any] = Field(min_length=1, max_length=1000)


class BatchError(Schema):
    index: int
    status: int
    field: str | None
    reason: str


class BatchOut(Schema):
    accepted: int
    duplicates: int
    errors: list[BatchError]


def _carrier(request: HttpRequest) -> StaffMember:
    me = auth.staff(request, allow_carrier=True)
    if me.role != Role.CARRIER:
        raise NotAllowed(_("Carrier events come from a carrier integration account."))
    return me


def _event_out(rec: ingest.Recorded) -> dict[str, Any]:
    e = rec.event
    return {
        "id": e.pk,
        "order_id": e.order_id,
        "status": e.status,
        "at": e.at,
        "duplicate": rec.duplicate,
    }


def _ingest(me: StaffMember, payload: CarrierEventIn, source: str = "api") -> ingest.Recorded:
    return ingest.carrier_event_record(
        staff=me,
        order_id=payload.order_id,
        status=payload.status,
        at=payload.at,
        location=payload.location,
        note=payload.note,
        reason=payload.reason,
        external_id=payload.event_id,
        source=source,
        carrier=payload.carrier,
        tracking_number=payload.tracking_number,
    )


@router.post("/carrier/events", response={201: CarrierEventOut, 200: CarrierEventOut})
def carrier_event(request: HttpRequest, payload: CarrierEventIn) -> Any:
    me = _carrier(request)
    rec = _ingest(me, payload)
    return Status(200 if rec.duplicate else 201, _event_out(rec))


@router.post("/carrier/events/batch", response=BatchOut)
def carrier_events_batch(request: HttpRequest, payload: BatchIn) -> Any:
    """Up to 1000 events, checked first, then stored set-based in one transaction (a few
    statements whatever the size); refusals and duplicates counted by index."""
    from pydantic import ValidationError

    me = _carrier(request)
    errors: list[dict[str, Any]] = []
    valid: list[tuple[int, dict[str, Any]]] = []
    for n, raw in enumerate(payload.events):
        try:
            item = CarrierEventIn.model_validate(raw)
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(p) for p in first.get("loc", ())) or None
            errors.append(
                {"index": n, "status": 422, "field": field, "reason": first.get("msg", "")}
            )
            continue
        valid.append((n, item.model_dump()))
    results = ingest.carrier_events_record(staff=me, events=[e for _n, e in valid])
    accepted = duplicates = 0
    for (n, _e), rec in zip(valid, results, strict=True):
        if isinstance(rec, DomainError):
            errors.append(
                {"index": n, "status": rec.status, "field": rec.field, "reason": rec.message}
            )
        elif rec.duplicate:
            duplicates += 1
        else:
            accepted += 1
    errors.sort(key=lambda e: e["index"])
    return {"accepted": accepted, "duplicates": duplicates, "errors": errors}


class ScanIn(In):
    code: str = Field(max_length=40)
    note: str = Field(default="", max_length=500)
    reason: str = Field(default="", max_length=40)


@router.post("/orders/{order_id}/scans", response={201: CarrierEventOut})
def shop_scan(request: HttpRequest, order_id: int, payload: ScanIn) -> Any:
    me = auth.staff(request)
    rec = ingest.shop_scan_record(
        staff=me,
        order_id=_id(order_id),
        code=payload.code,
        note=payload.note,
        reason=payload.reason,
    )
    return Status(201, _event_out(rec))


class OutOfStockIn(In):
    note: str = Field(default="", max_length=500)


class OutOfStockOut(Schema):
    line_id: int
    order_id: int
    line_status: str
    checkpoint: dict[str, Any]


@router.post("/order-lines/{line_id}/out-of-stock", response={201: OutOfStockOut})
def line_out_of_stock(request: HttpRequest, line_id: int, payload: OutOfStockIn) -> Any:
    """Staff report a line out of stock; the customer's "out of stock" rule decides what follows."""
    me = auth.staff(request)
    if not 1 <= line_id <= MAX_ID:
        raise NotFound(_("No such order line."))
    line = stock.line_for_staff(staff=me, line_id=line_id)
    cp = stock.line_out_of_stock(staff=me, line=line, note=payload.note)
    return Status(
        201,
        {
            "line_id": line.pk,
            "order_id": line.order_id,
            "line_status": "cancelled",
            "checkpoint": {
                "code": cp.code,
                "label": label(cp.code),
                "at": cp.at,
                "reason": "out_of_stock",
            },
        },
    )


class WebhookOut(Schema):
    id: int
    order_id: int
    status: str
    at: datetime
    duplicate: bool


@router.post("/webhooks/carrier/{slug}", auth=None, response={201: WebhookOut})
def carrier_webhook(request: HttpRequest, slug: str) -> Any:
    """Standard Webhooks: `webhook-id`, `webhook-timestamp`, `webhook-signature` (v1, HMAC-SHA256).

    Body: `{"type": "carrier.event", "data": {order_id, status, at?, location?, note?, reason?}}`.
    Unsigned or wrongly signed: 401. Too old or too new (±5 min): 401. A message id seen
    before (a replay): 409. Nothing changes in any of these.
    """
    found = selectors.settings_for_webhook(slug=slug)
    if found is None:
        raise NotFound(_("No webhook is configured here."))
    try:
        payload = Webhook(found.webhook_secret).verify(request.body, dict(request.headers))
    except Exception:
        raise Unsigned(
            _("The webhook signature is missing, wrong or too old."), field="webhook-signature"
        ) from None
    data = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(data, dict):
        raise Invalid(_("The body needs a data object."), field="data")
    try:
        item = CarrierEventIn.model_validate(data)
    except Exception as exc:
        raise Invalid(
            _("The carrier event is not valid: %(e)s") % {"e": str(exc)[:300]}, field="data"
        ) from None
    carrier = carrier_account(business=found.business)
    if carrier is None:
        raise NotFound(_("No carrier integration account in this business."))
    message_id = request.headers.get("webhook-id", "")[:200]
    with transaction.atomic():
        webhook_receipt_record(business=found.business, message_id=message_id)
        rec = _ingest(carrier, item, source="webhook")
    return Status(201, _event_out(rec))


# --- standing instructions -----------------------------------------------------------------


class InstructionIn(In):
    condition: str = Field(max_length=30)
    action: str = Field(max_length=30)
    hours: StrictInt | None = None
    params: dict[str, Any] = Field(default_factory=dict)


class InstructionOut(Schema):
    id: int
    condition: str
    hours: int | None
    action: str
    params: dict[str, Any]
    text: str
    created_at: datetime


class InstructionPage(Schema):
    items: list[InstructionOut]
    count: int


def _instruction_out(ins: Any) -> dict[str, Any]:
    return {
        "id": ins.pk,
        "condition": ins.condition,
        "hours": ins.hours,
        "action": ins.action,
        "params": ins.params,
        "text": describe(ins),
        "created_at": ins.created_at,
    }


@router.get("/me/instructions", response=InstructionPage)
def my_instructions(request: HttpRequest, params: Query[PageParams]) -> Any:
    who = auth.customer(request)
    return page(instruction_services.instructions_of(who), params, _instruction_out)


@router.post("/me/instructions", response={201: InstructionOut})
def my_instruction_create(request: HttpRequest, payload: InstructionIn) -> Any:
    who = auth.customer(request)
    ins = instruction_services.instruction_create(
        customer=who,
        condition=payload.condition,
        action=payload.action,
        params=payload.params,
        hours=payload.hours,
    )
    return Status(201, _instruction_out(ins))


@router.delete("/me/instructions/{instruction_id}", response={204: None})
def my_instruction_delete(request: HttpRequest, instruction_id: int) -> Any:
    who = auth.customer(request)
    if not 1 <= instruction_id <= MAX_ID:
        raise NotFound(_("No such standing instruction."))
    instruction_services.instruction_remove(customer=who, instruction_id=instruction_id)
    return Status(204, None)


# --- my data ---------------------------------------------------------------------------------


@router.get("/me/export", response=dict[str, Any])
def my_export(request: HttpRequest) -> Any:
    who = auth.customer(request)
    return privacy.customer_export(customer=who)


class ErasureOut(Schema):
    requested_at: datetime | None
    erased_at: datetime | None
    waiting_for: list[str]
    # The same in the reader's language.
    waiting_for_words: list[str]


def _erasure_out(who: Customer) -> dict[str, Any]:
    waiting = privacy.open_obligations(who) if who.erasure_requested_at else []
    return {
        "requested_at": who.erasure_requested_at,
        "erased_at": who.erased_at,
        "waiting_for": waiting,
        "waiting_for_words": privacy.obligations_in_words(waiting),
    }


@router.post("/me/erasure", response={202: ErasureOut})
def my_erasure(request: HttpRequest) -> Any:
    who = auth.customer(request)
    return Status(202, _erasure_out(privacy.erasure_request(customer=who)))


@router.delete("/me/erasure", response=ErasureOut)
def my_erasure_withdraw(request: HttpRequest) -> Any:
    """Withdraw a pending erasure request (409 when none is pending or it is done)."""
    who = auth.customer(request)
    return _erasure_out(privacy.erasure_withdraw(customer=who))


class PreferencesIn(In):
    notify_by_email: StrictBool


class PreferencesOut(Schema):
    notify_by_email: bool


@router.patch("/me/preferences", response=PreferencesOut)
def my_preferences(request: HttpRequest, payload: PreferencesIn) -> Any:
    who = auth.customer(request)
    updated = privacy.preferences_update(customer=who, notify_by_email=payload.notify_by_email)
    return {"notify_by_email": updated.notify_by_email}


class NoticeOut(Schema):
    id: int
    kind: str
    at: datetime
    need_id: int | None
    order_id: int | None
    text: str
    choices: list[str]


class NoticePage(Schema):
    items: list[NoticeOut]
    count: int


@router.get("/me/notifications", response=NoticePage)
def my_notifications(request: HttpRequest, params: Query[PageParams]) -> Any:
    who = auth.customer(request)
    return page(selectors.notices_of(customer=who), params, selectors.notice_out)

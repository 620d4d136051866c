"""API v1: the restaurant floor, the stations and the pass (API.md "Restaurant floor and orders").

Guests have no login: their party's guest token is their bearer token
(``Authorization: Bearer <guest token>``), accepted by the ``/me/…`` order
and party endpoints only (``GuestAuth``), and dead once the party has left.
"""

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from ninja.security import HttpBearer
from pydantic import Field, StrictInt, field_validator

from klantstuur.businesses.selectors import colleague_for_staff
from klantstuur.core.errors import Invalid, NotAllowed, NotFound
from klantstuur.core.middleware import answer_in_language
from klantstuur.customers.selectors import customer_for_staff
from klantstuur.floor import boards, kitchen
from klantstuur.floor import selectors as floor_selectors
from klantstuur.floor import services as floor_services
from klantstuur.floor.bill import party_bill
from klantstuur.floor.models import Party, PartyStatus
from klantstuur.orders.models import Order, OrderLine

from . import auth
from .pagination import PageParams, page
from .schemas import MAX_ID, In, PersonRef

router = Router(tags=["floor"])


class GuestAuth(HttpBearer):
    """A party's guest token as a bearer token (only while the party is at the table)."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        try:
            party = floor_selectors.party_for_guest(token=token)
        except NotFound:
            return None
        request.api_guest_party = party  # type: ignore[attr-defined]
        answer_in_language(request, chosen="", business=party.business)
        request.api_staff = None  # type: ignore[attr-defined]
        request.api_customer = None  # type: ignore[attr-defined]
        return party


GUEST_OR_TOKEN = [GuestAuth(), auth.TokenAuth()]


def guest_party(request: HttpRequest) -> Party | None:
    return getattr(request, "api_guest_party", None)


def guest_url(party: Party) -> str:
    return settings.SITE_URL + reverse("portal_guest:party", args=[party.guest_token])


# --- parties -------------------------------------------------------------------------


class TableRef(In):
    @staticmethod
    def _number(value: Any) -> str:
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise ValueError("a table number")
        text = str(value).strip()
        if not text or len(text) > 20:
            raise ValueError("a table number of 1 to 20 characters")
        return text


class PartyIn(TableRef):
    table: str | int
    seats: StrictInt = Field(ge=1, le=50)
    customer_id: StrictInt | None = Field(default=None, ge=1, le=MAX_ID)

    @field_validator("table", mode="before")
    @classmethod
    def _table(cls, value: Any) -> str:
        return cls._number(value)


class PartyOut(Schema):
    id: int
    table: str
    seats: int
    status: str
    need_id: int
    owner: PersonRef
    guest_url: str | None
    customer_id: int | None
    seated_at: Any
    host_called_at: Any
    bill_requested_at: Any


class PartyPage(Schema):
    items: list[PartyOut]
    count: int


def party_out(party: Party, *, with_link: bool = True) -> dict[str, Any]:
    return {
        "id": party.pk,
        "table": party.table.number,
        "seats": party.seats,
        "status": party.status,
        "need_id": party.need_id,
        "owner": {"id": party.need.owner_id, "name": party.need.owner.name},
        "guest_url": guest_url(party) if with_link and party.status != PartyStatus.LEFT else None,
        "customer_id": party.customer_id,
        "seated_at": party.seated_at,
        "host_called_at": party.host_called_at,
        "bill_requested_at": party.bill_requested_at,
    }


@router.post("/floor/parties", response={201: PartyOut})
def party_seat(request: HttpRequest, payload: PartyIn) -> Any:
    me = auth.staff(request)
    try:
        table = floor_selectors.table_for_staff(staff=me, number=str(payload.table))
    except NotFound:
        raise Invalid(_("No such table."), field="table") from None
    customer = None
    if payload.customer_id is not None:
        customer = customer_for_staff(staff=me, customer_id=payload.customer_id)
    party = floor_services.party_seat(
        business=me.business, table=table, seats=payload.seats, customer=customer, actor_staff=me
    )
    party = floor_selectors.party_for_staff(staff=me, party_id=party.pk)
    return Status(201, party_out(party))


@router.get("/floor/parties", response=PartyPage)
def party_list(request: HttpRequest, params: Query[PageParams]) -> Any:
    me = auth.staff(request)
    return page(floor_selectors.active_parties(business_id=me.business_id), params, party_out)


@router.get("/floor/parties/{party_id}", response=PartyOut)
def party_detail(request: HttpRequest, party_id: int) -> Any:
    me = auth.staff(request)
    return party_out(floor_selectors.party_for_staff(staff=me, party_id=party_id))


class TableOut(Schema):
    id: int
    number: str
    seats: int
    section: str
    host: PersonRef | None
    seat_reference: str
    x: int
    y: int


class TablePage(Schema):
    items: list[TableOut]
    count: int


@router.get("/floor/tables", response=TablePage)
def table_list(request: HttpRequest, params: Query[PageParams]) -> Any:
    me = auth.staff(request)
    qs = floor_selectors.tables_of(business_id=me.business_id)

    def out(t: Any) -> dict[str, Any]:
        host = t.section.host
        return {
            "id": t.pk,
            "number": t.number,
            "seats": t.seats,
            "section": t.section.name,
            "host": {"id": host.pk, "name": host.name} if host else None,
            "seat_reference": t.seat_reference,
            "x": t.x,
            "y": t.y,
        }

    return page(qs, params, out)


class HostIn(In):
    staff_id: StrictInt = Field(ge=1, le=MAX_ID)


class SectionOut(Schema):
    id: int
    name: str
    host: PersonRef | None


@router.post("/floor/sections/{section_id}/host", response=SectionOut)
def section_host(request: HttpRequest, section_id: int, payload: HostIn) -> Any:
    me = auth.staff(request)
    if not me.is_manager and me.role != "lead":
        raise NotAllowed(_("Managers and team leads set the hosts of a shift."))
    section = floor_selectors.section_for_staff(staff=me, section_id=section_id)
    try:
        host = colleague_for_staff(staff=me, colleague_id=payload.staff_id)
    except NotFound:
        raise Invalid(_("No such colleague."), field="staff_id") from None
    floor_services.section_assign_host(actor=me, section=section, host=host)
    return {"id": section.pk, "name": section.name, "host": {"id": host.pk, "name": host.name}}


# --- the guest's own party (guest token) --------------------------------------------


def _guest(request: HttpRequest) -> Party:
    party = guest_party(request)
    if party is None:
        raise NotAllowed(_("This is for guests at a table: use the party's guest token."))
    return party


class CallIn(In):
    reason: str = Field(default="", max_length=300)


@router.get("/me/party", response=PartyOut, auth=GUEST_OR_TOKEN)
def my_party(request: HttpRequest) -> Any:
    return party_out(_guest(request))


@router.post("/me/party/call-host", response=PartyOut, auth=GUEST_OR_TOKEN)
def my_party_call_host(request: HttpRequest, payload: CallIn) -> Any:
    party = floor_services.party_call_host(party=_guest(request), reason=payload.reason)
    return party_out(party)


@router.post("/me/party/bill", response=PartyOut, auth=GUEST_OR_TOKEN)
def my_party_bill(request: HttpRequest) -> Any:
    return party_out(floor_services.party_request_bill(party=_guest(request)))


@router.get("/me/party/bill", response=dict[str, Any], auth=GUEST_OR_TOKEN)
def my_party_bill_get(request: HttpRequest) -> Any:
    """The running check, as ``GET /floor/parties/{id}/bill`` shows it to staff."""
    return party_bill(party=_guest(request)).as_json()


# --- stations --------------------------------------------------------------------------


class TicketLineOut(Schema):
    id: int
    order_id: int
    item: str
    quantity: int
    seat: int | None
    table: str | None
    note: str
    allergies: str
    course: str
    status: str
    fired_at: Any
    promised_at: Any
    age_minutes: int
    age: str
    owner: PersonRef


class TicketPage(Schema):
    items: list[TicketLineOut]
    count: int


def ticket_line_out(line: OrderLine) -> dict[str, Any]:
    now = timezone.now()
    party = line.order.party
    return {
        "id": line.pk,
        "order_id": line.order_id,
        "item": line.item.name,
        "quantity": line.quantity,
        "seat": line.seat,
        "table": party.table.number if party else None,
        "note": line.note,
        "allergies": line.allergies,
        "course": line.course,
        "status": line.status,
        "fired_at": line.fired_at,
        "promised_at": line.promised_at,
        "age_minutes": boards.age_minutes(line, now),
        "age": boards.age_class(line, now),
        "owner": {"id": line.order.need.owner_id, "name": line.order.need.owner.name},
    }


@router.get("/stations/{station}/tickets", response=TicketPage)
def station_tickets(request: HttpRequest, station: str, params: Query[PageParams]) -> Any:
    me = auth.staff(request)
    found = boards.station_for_staff(staff=me, code=station)
    return page(boards.station_lines(station=found), params, ticket_line_out)


class LineStateOut(Schema):
    id: int
    order_id: int
    status: str
    seat: int | None
    table: str | None
    promised_at: Any


def line_state_out(line: OrderLine) -> dict[str, Any]:
    party = line.order.party
    return {
        "id": line.pk,
        "order_id": line.order_id,
        "status": line.status,
        "seat": line.seat,
        "table": party.table.number if party else None,
        "promised_at": line.promised_at,
    }


class LinePage(Schema):
    items: list[LineStateOut]
    count: int


@router.post("/stations/{station}/tickets/{order_id}/ready", response=LinePage)
def ticket_ready(request: HttpRequest, station: str, order_id: int) -> Any:
    me = auth.staff(request)
    found = boards.station_for_staff(staff=me, code=station)
    lines = kitchen.ticket_ready(staff=me, order_id=order_id, station=found)
    return {"items": [line_state_out(x) for x in lines], "count": len(lines)}


@router.post("/order-lines/{line_id}/start", response=LineStateOut)
def line_start(request: HttpRequest, line_id: int) -> Any:
    return line_state_out(kitchen.line_start(staff=auth.staff(request), line_id=line_id))


@router.post("/order-lines/{line_id}/ready", response=LineStateOut)
def line_ready(request: HttpRequest, line_id: int) -> Any:
    return line_state_out(kitchen.line_ready(staff=auth.staff(request), line_id=line_id))


@router.post("/order-lines/{line_id}/recall", response=LineStateOut)
def line_recall(request: HttpRequest, line_id: int) -> Any:
    return line_state_out(kitchen.line_recall(staff=auth.staff(request), line_id=line_id))


@router.post("/order-lines/{line_id}/pick-up", response=LineStateOut)
def line_pick_up(request: HttpRequest, line_id: int) -> Any:
    return line_state_out(kitchen.line_pick_up(staff=auth.staff(request), line_id=line_id))


class DeliveredIn(TableRef):
    table: str | int | None = None
    seat: StrictInt | None = Field(default=None, ge=1, le=999)
    qr: str | None = Field(default=None, max_length=64)

    @field_validator("table", mode="before")
    @classmethod
    def _table(cls, value: Any) -> str | None:
        return None if value is None else cls._number(value)


@router.post("/order-lines/{line_id}/delivered", response=LineStateOut)
def line_delivered(request: HttpRequest, line_id: int, payload: DeliveredIn) -> Any:
    me = auth.staff(request)
    line = kitchen.line_deliver_or_refuse(
        staff=me,
        line_id=line_id,
        table=None if payload.table is None else str(payload.table),
        seat=payload.seat,
        qr=payload.qr,
    )
    return line_state_out(line)


class FireIn(In):
    # Empty: the order's next held course.
    course: str = Field(default="", max_length=20)


@router.post("/orders/{order_id}/fire", response=LinePage)
def order_fire(request: HttpRequest, order_id: int, payload: FireIn) -> Any:
    me = auth.staff(request)
    from klantstuur.orders.selectors import order_for_staff

    order: Order = order_for_staff(staff=me, order_id=order_id)
    lines = kitchen.course_fire(staff=me, order=order, course=payload.course)
    return {"items": [line_state_out(x) for x in lines], "count": len(lines)}


class PlatePage(Schema):
    items: list[TicketLineOut]
    count: int


@router.get("/runner/plates", response=PlatePage)
def runner_plates(request: HttpRequest) -> Any:
    me = auth.staff(request)
    lines = boards.runner_lines(staff=me)
    return {"items": [ticket_line_out(x) for x in lines], "count": len(lines)}

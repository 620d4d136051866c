"""API v1: a party's bill, its payments and the close-out (API.md v1 additions,
"Floor: the bill and the close-out")."""

from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field, StrictBool, StrictInt

from klantstuur.floor import closeout
from klantstuur.floor import selectors as floor_selectors
from klantstuur.floor import services as floor_services
from klantstuur.floor.bill import party_bill

from . import auth
from .floor import PartyOut, party_out
from .schemas import MAX_ID, In

router = Router(tags=["floor"])
MAX_CENTS = 1_000_000_00


class BillLineOut(Schema):
    line_id: int
    item: str
    seat: int | None
    quantity: int
    amount_cents: int
    status: str
    course: str
    paid_cents: int


class SeatOut(Schema):
    seat: int | None
    amount_cents: int
    paid_cents: int
    due_cents: int


class PaymentOut(Schema):
    id: int
    amount_cents: int
    tip_cents: int
    method: str
    seats: list[int]
    line_ids: list[int]
    at: Any


class BillOut(Schema):
    lines: list[BillLineOut]
    seats: list[SeatOut]
    total_cents: int
    paid_cents: int
    due_cents: int
    tip_cents: int
    payments: list[PaymentOut]


@router.get("/floor/parties/{party_id}/bill", response=BillOut)
def party_bill_get(request: HttpRequest, party_id: int) -> Any:
    me = auth.staff(request)
    party = floor_selectors.party_for_staff(staff=me, party_id=party_id)
    return party_bill(party=party).as_json()


class PaymentIn(In):
    amount_cents: StrictInt = Field(ge=1, le=MAX_CENTS)
    method: Literal["card", "cash", "other"]
    seats: list[Annotated[StrictInt, Field(ge=1, le=50)]] = Field(
        default_factory=list, max_length=50
    )
    line_ids: list[Annotated[StrictInt, Field(ge=1, le=MAX_ID)]] = Field(
        default_factory=list, max_length=200
    )
    tip_cents: StrictInt = Field(default=0, ge=0, le=MAX_CENTS)


@router.post("/floor/parties/{party_id}/payments", response={201: BillOut})
def party_payment(request: HttpRequest, party_id: int, payload: PaymentIn) -> Any:
    me = auth.staff(request)
    party = floor_selectors.party_for_staff(staff=me, party_id=party_id)
    bill = closeout.payment_record(
        staff=me,
        party=party,
        amount_cents=payload.amount_cents,
        method=payload.method,
        seats=payload.seats,
        line_ids=payload.line_ids,
        tip_cents=payload.tip_cents,
    )
    return Status(201, bill.as_json())


class LeaveIn(In):
    void_open_lines: StrictBool = False
    reason: str = Field(default="", max_length=300)


@router.post("/floor/parties/{party_id}/leave", response=PartyOut)
def party_leave(request: HttpRequest, party_id: int, payload: LeaveIn) -> Any:
    me = auth.staff(request)
    party = floor_selectors.party_for_staff(staff=me, party_id=party_id)
    left = floor_services.party_leave(
        staff=me, party=party, void_open_lines=payload.void_open_lines, reason=payload.reason
    )
    return party_out(left, with_link=False)

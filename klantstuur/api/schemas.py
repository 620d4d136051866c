"""What goes in and out of API v1 (../shared/API.md)."""

from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from ninja import Schema
from pydantic import ConfigDict, Field, StrictBool, StrictInt, field_validator

from klantstuur.core.queries import MAX_ID
from klantstuur.needs.models import NeedKind, RemedyKind

if TYPE_CHECKING:
    NeedKindValue = str
    RemedyKindValue = str
else:
    # The models' kinds, listed as the schema's literal choices: a new kind is added
    # to the model's choices alone.
    NeedKindValue = Literal[tuple(NeedKind.values)]
    RemedyKindValue = Literal[tuple(RemedyKind.values)]


class In(Schema):
    # Unknown fields are an error, not silently dropped: a typo must not lose data.
    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        # PostgreSQL text cannot hold NUL; refuse it here instead of failing with a 500.
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("NUL characters are not allowed")
        return value


class PersonRef(Schema):
    id: int
    name: str


class PromiseOut(Schema):
    due_at: datetime | None
    text: str


class NeedOut(Schema):
    id: int
    customer_id: int
    kind: str
    summary: str
    goal: str
    status: str
    owner: PersonRef
    promise: PromiseOut | None
    created_at: datetime
    updated_at: datetime
    contacts: int
    handoffs: int
    reopens: int
    experience_index: float | None
    resolution_summary: str
    proposed_at: datetime | None
    autoconfirm_at: datetime | None
    solved_at: datetime | None
    waiting_since: datetime | None


class NeedIn(In):
    customer_id: StrictInt
    kind: NeedKindValue
    summary: str = Field(min_length=1, max_length=300)
    goal: str = Field(default="", max_length=10_000)
    proactive: StrictBool = False


class MyNeedIn(In):
    kind: NeedKindValue
    summary: str = Field(min_length=1, max_length=300)
    goal: str = Field(default="", max_length=10_000)


class ActorOut(Schema):
    kind: Literal["staff", "customer", "system", "fellow_customer"]
    id: int | None
    name: str


class EventOut(Schema):
    id: int
    kind: str
    at: datetime
    actor: ActorOut
    visible_to_customer: bool
    data: dict[str, Any]


class MessageIn(In):
    body: str = Field(min_length=1, max_length=10_000)
    internal: StrictBool = False


class MyMessageIn(In):
    body: str = Field(min_length=1, max_length=10_000)


class HandoffIn(In):
    to_staff_id: StrictInt
    reason: str = Field(min_length=1, max_length=2000)


class HandoffOut(Schema):
    id: int
    need_id: int
    status: str
    from_staff: PersonRef
    to_staff: PersonRef
    reason: str
    created_at: datetime
    expires_at: datetime
    answered_at: datetime | None
    answer_reason: str
    owner: PersonRef


class DeclineIn(In):
    reason: str = Field(min_length=1, max_length=2000)


class RemedyIn(In):
    kind: RemedyKindValue
    amount_cents: StrictInt = Field(ge=0, le=100_000_000)
    note: str = Field(default="", max_length=2000)


class RemedyOut(Schema):
    id: int
    need_id: int
    kind: str
    amount_cents: int
    note: str
    granted_by: PersonRef
    created_at: datetime


class ResolutionIn(In):
    summary: str = Field(min_length=1, max_length=2000)
    # Required for a complaint when the business keeps a list of root causes.
    root_cause_id: StrictInt | None = Field(default=None, ge=1, le=MAX_ID)


class ReasonIn(In):
    reason: str = Field(min_length=1, max_length=2000)


class OptionalReasonIn(In):
    reason: str = Field(default="", max_length=2000)


class CustomerIn(In):
    name: str = Field(min_length=1, max_length=200)
    email: str | None = Field(default=None, max_length=254)
    phone: str = Field(default="", max_length=40)
    language: Literal["nl", "en"] | None = None


class CustomerPatch(In):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=40)
    language: Literal["nl", "en"] | None = None


class CustomerOut(Schema):
    id: int
    name: str
    email: str | None
    phone: str
    language: str
    created_at: datetime


class BusinessRef(Schema):
    slug: str
    name: str


class MeOut(CustomerOut):
    business: BusinessRef


class StaffOut(Schema):
    id: int
    name: str
    email: str
    role: str
    authority_cents: int
    on_duty: bool


class ErrorItem(Schema):
    field: str
    reason: str


class ErrorOut(Schema):
    detail: str
    errors: list[ErrorItem] | None = None

"""What each of needs' journal events says: one constructor per kind, one payload type.

A service builds its event here (``need_opened(...)``) and writes it with
``journal.record``; a reaction that reads ``event.data`` reads it as the payload type of
its kind (``cast(HandoffOffered, event.data)``) and knows its keys. The stored JSON is
exactly the payload: these types describe the shapes, they do not change them.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, NotRequired, TypedDict, TypeVar

from klantstuur.businesses.models import StaffMember

from .models import EventKind, Handoff, Need, Remedy, RootCause

P = TypeVar("P", bound=Any)


@dataclass(frozen=True)
class Entry(Generic[P]):
    """One event to write: its kind and its payload (``event.data``)."""

    kind: EventKind
    data: P


class Person(TypedDict):
    id: int
    name: str


class StaffId(TypedDict):
    id: int


class NeedOpened(TypedDict):
    kind: str
    summary: str
    goal: str
    owner: Person
    proactive: bool
    # "email" when the customer opened it by writing to the business (mail.inbound).
    channel: NotRequired[str]
    # That e-mail's Message-ID: the acknowledgement answers it (its In-Reply-To).
    message_id: NotRequired[str]


class AttachmentRef(TypedDict):
    """A file that came with an e-mail (mail.models.Attachment), shown on the timeline."""

    id: int
    name: str
    size: int
    type: str


class Message(TypedDict):
    """A staff message, a customer message or an internal note."""

    body: str
    # The floor's "the host is at your table" names the party.
    party_id: NotRequired[int]
    # A manager's note on a conversation they listened to (feedback) names the sample.
    listening_sample_id: NotRequired[int]
    # "email" when the customer's message arrived by e-mail; absent from the portal and API.
    channel: NotRequired[str]
    attachments: NotRequired[list[AttachmentRef]]


class HandoffOffered(TypedDict):
    handoff_id: int
    to: Person
    reason: str
    expires_at: str


HandoffAccepted = TypedDict(
    "HandoffAccepted", {"handoff_id": int, "from": Person, "to": Person, "reason": str}
)
HandoffDeclined = TypedDict("HandoffDeclined", {"handoff_id": int, "from": Person, "reason": str})
HandoffExpired = TypedDict("HandoffExpired", {"handoff_id": int, "from": StaffId, "to": StaffId})
HandoffReminded = TypedDict(
    "HandoffReminded", {"handoff_id": int, "from": StaffId, "to": StaffId, "expires_at": str}
)


class RemedyGranted(TypedDict):
    remedy_id: int
    kind: str
    amount_cents: int
    note: str


class ResolutionProposed(TypedDict):
    summary: str
    autoconfirm_at: str
    # Set when the business as a whole proposed it (the floor), not the owner.
    by: NotRequired[str]


class ResolutionConfirmed(TypedDict):
    # True when the announced quiet period passed without an answer.
    auto: bool
    summary: str


class NeedReopened(TypedDict):
    reason: str
    owner: Person
    channel: NotRequired[str]
    attachments: NotRequired[list[AttachmentRef]]


class NeedCancelled(TypedDict):
    reason: str


class RootCauseSet(TypedDict):
    root_cause: Person


def person(staff: StaffMember) -> Person:
    return {"id": staff.pk, "name": staff.name}


def need_opened(
    *, need: Need, owner: StaffMember, proactive: bool, channel: str = "", message_id: str = ""
) -> Entry[NeedOpened]:
    data: NeedOpened = {
        "kind": need.kind,
        "summary": need.summary,
        "goal": need.goal,
        "owner": person(owner),
        "proactive": proactive,
    }
    if channel:
        data["channel"] = channel
    if message_id:
        data["message_id"] = message_id
    return Entry(EventKind.NEED_OPENED, data)


def staff_message(body: str, *, party_id: int | None = None) -> Entry[Message]:
    data: Message = {"body": body}
    if party_id is not None:
        data["party_id"] = party_id
    return Entry(EventKind.STAFF_MESSAGE, data)


def internal_note(body: str, *, listening_sample_id: int | None = None) -> Entry[Message]:
    data: Message = {"body": body}
    if listening_sample_id is not None:
        data["listening_sample_id"] = listening_sample_id
    return Entry(EventKind.INTERNAL_NOTE, data)


def customer_message(
    body: str, *, channel: str = "", attachments: list[AttachmentRef] | None = None
) -> Entry[Message]:
    data: Message = {"body": body}
    if channel:
        data["channel"] = channel
    if attachments:
        data["attachments"] = attachments
    return Entry(EventKind.CUSTOMER_MESSAGE, data)


def handoff_offered(handoff: Handoff) -> Entry[HandoffOffered]:
    data: HandoffOffered = {
        "handoff_id": handoff.pk,
        "to": person(handoff.to_staff),
        "reason": handoff.reason,
        "expires_at": handoff.expires_at.isoformat(),
    }
    return Entry(EventKind.HANDOFF_OFFERED, data)


def handoff_accepted(handoff: Handoff) -> Entry[HandoffAccepted]:
    data: HandoffAccepted = {
        "handoff_id": handoff.pk,
        "from": person(handoff.from_staff),
        "to": person(handoff.to_staff),
        "reason": handoff.reason,
    }
    return Entry(EventKind.HANDOFF_ACCEPTED, data)


def handoff_declined(handoff: Handoff, *, reason: str) -> Entry[HandoffDeclined]:
    data: HandoffDeclined = {
        "handoff_id": handoff.pk,
        "from": person(handoff.from_staff),
        "reason": reason,
    }
    return Entry(EventKind.HANDOFF_DECLINED, data)


def handoff_expired(handoff: Handoff) -> Entry[HandoffExpired]:
    data: HandoffExpired = {
        "handoff_id": handoff.pk,
        "from": {"id": handoff.from_staff_id},
        "to": {"id": handoff.to_staff_id},
    }
    return Entry(EventKind.HANDOFF_EXPIRED, data)


def handoff_reminded(handoff: Handoff) -> Entry[HandoffReminded]:
    data: HandoffReminded = {
        "handoff_id": handoff.pk,
        "from": {"id": handoff.from_staff_id},
        "to": {"id": handoff.to_staff_id},
        "expires_at": handoff.expires_at.isoformat(),
    }
    return Entry(EventKind.HANDOFF_REMINDED, data)


def remedy_granted(remedy: Remedy) -> Entry[RemedyGranted]:
    data: RemedyGranted = {
        "remedy_id": remedy.pk,
        "kind": remedy.kind,
        "amount_cents": remedy.amount_cents,
        "note": remedy.note,
    }
    return Entry(EventKind.REMEDY_GRANTED, data)


def resolution_proposed(
    *, summary: str, autoconfirm_at: datetime, by: str | None = None
) -> Entry[ResolutionProposed]:
    data: ResolutionProposed = {"summary": summary, "autoconfirm_at": autoconfirm_at.isoformat()}
    if by is not None:
        data["by"] = by
    return Entry(EventKind.RESOLUTION_PROPOSED, data)


def resolution_confirmed(*, summary: str, auto: bool) -> Entry[ResolutionConfirmed]:
    return Entry(EventKind.RESOLUTION_CONFIRMED, {"auto": auto, "summary": summary})


def need_reopened(
    *,
    reason: str,
    owner: StaffMember,
    channel: str = "",
    attachments: list[AttachmentRef] | None = None,
) -> Entry[NeedReopened]:
    data: NeedReopened = {"reason": reason, "owner": person(owner)}
    if channel:
        data["channel"] = channel
    if attachments:
        data["attachments"] = attachments
    return Entry(EventKind.NEED_REOPENED, data)


def need_cancelled(*, reason: str) -> Entry[NeedCancelled]:
    return Entry(EventKind.NEED_CANCELLED, {"reason": reason})


def root_cause_set(cause: RootCause) -> Entry[RootCauseSet]:
    return Entry(EventKind.ROOT_CAUSE_SET, {"root_cause": {"id": cause.pk, "name": cause.name}})

"""What the community's journal events say: one constructor per kind, one payload type.

The pattern of ``klantstuur.needs.events``. Every event is on the asker's need: the
asker's timeline shows a fellow customer's answer, the owner's word on it and the one
that helped. A peer's answer event carries only the name peers see (``display_name``),
never who the peer is.
"""

from typing import TypedDict

from klantstuur.needs.events import Entry
from klantstuur.needs.models import EventKind

from .models import PeerAnswer, SharedQuestion


class Shared(TypedDict):
    display_name: str


class Unshared(TypedDict):
    pass


class Answered(TypedDict):
    answer_id: int
    body: str
    display_name: str
    # Always true: the timeline marks it as coming from a fellow customer.
    from_fellow_customer: bool


class AnswerRef(TypedDict):
    answer_id: int
    display_name: str


class Corrected(TypedDict):
    answer_id: int
    display_name: str
    correction: str


class Reported(TypedDict):
    answer_id: int
    reason: str
    reports: int


class Hidden(TypedDict):
    answer_id: int
    reason: str


def shared(question: SharedQuestion) -> Entry[Shared]:
    return Entry(EventKind.NEED_SHARED, Shared(display_name=question.display_name))


def unshared() -> Entry[Unshared]:
    return Entry(EventKind.NEED_UNSHARED, Unshared())


def answered(*, answer_id: int, body: str, display_name: str) -> Entry[Answered]:
    data = Answered(
        answer_id=answer_id, body=body, display_name=display_name, from_fellow_customer=True
    )
    return Entry(EventKind.PEER_ANSWER, data)


def endorsed(answer: PeerAnswer) -> Entry[AnswerRef]:
    return Entry(
        EventKind.PEER_ANSWER_ENDORSED,
        AnswerRef(answer_id=answer.pk, display_name=answer.display_name),
    )


def corrected(answer: PeerAnswer) -> Entry[Corrected]:
    data = Corrected(
        answer_id=answer.pk, display_name=answer.display_name, correction=answer.correction
    )
    return Entry(EventKind.PEER_ANSWER_CORRECTED, data)


def helped(answer: PeerAnswer) -> Entry[AnswerRef]:
    return Entry(
        EventKind.PEER_ANSWER_HELPED,
        AnswerRef(answer_id=answer.pk, display_name=answer.display_name),
    )


def reported(answer: PeerAnswer, *, reason: str) -> Entry[Reported]:
    data = Reported(answer_id=answer.pk, reason=reason, reports=answer.reports)
    return Entry(EventKind.PEER_ANSWER_REPORTED, data)


def hidden(answer: PeerAnswer, *, reason: str) -> Entry[Hidden]:
    return Entry(EventKind.PEER_ANSWER_HIDDEN, Hidden(answer_id=answer.pk, reason=reason))


def withdrawn(answer_id: int) -> Entry[AnswerRef]:
    return Entry(EventKind.PEER_ANSWER_WITHDRAWN, AnswerRef(answer_id=answer_id, display_name=""))

"""What feedback's journal events say: one constructor per kind, one payload type.

The pattern of ``klantstuur.needs.events`` (see there). ``feedback_given`` has two
shapes: a rating of a touchpoint and an answered survey (``survey`` present).
A manager's note on a conversation they listened to is needs' ``internal_note``.
"""

from typing import TypedDict

from klantstuur.needs.events import Entry
from klantstuur.needs.models import EventKind

from .models import Reward, SurveyResponse


class Rated(TypedDict):
    touchpoint: str
    rating: int
    order_id: int | None
    comment: str


class SurveyAnswered(TypedDict):
    survey: str
    score: int
    response_id: int
    comment: str


class RewardGiven(TypedDict):
    reward_id: int
    kind: str
    description: str
    value_cents: int


def rated(*, touchpoint: str, rating: int, order_id: int | None, comment: str) -> Entry[Rated]:
    data: Rated = {
        "touchpoint": touchpoint,
        "rating": rating,
        "order_id": order_id,
        "comment": comment,
    }
    return Entry(EventKind.FEEDBACK_GIVEN, data)


def survey_answered(response: SurveyResponse) -> Entry[SurveyAnswered]:
    data: SurveyAnswered = {
        "survey": response.survey,
        "score": response.score,
        "response_id": response.pk,
        "comment": response.comment,
    }
    return Entry(EventKind.FEEDBACK_GIVEN, data)


def reward_given(reward: Reward) -> Entry[RewardGiven]:
    data: RewardGiven = {
        "reward_id": reward.pk,
        "kind": reward.kind,
        "description": reward.description,
        "value_cents": reward.value_cents,
    }
    return Entry(EventKind.REWARD_GIVEN, data)

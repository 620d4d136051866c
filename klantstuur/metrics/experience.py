"""The multiplicative experience index (R7; docs/experience-index.md).

A journey's index is the product of one factor per touchpoint, each in (0, 1]:
one bad touchpoint drags the whole journey down, however many went well. Rated
touchpoints use the customer's rating; observed failures count even when nobody
rated them. Pure functions: the projection and the docs' examples use the same code.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from math import prod

from django.utils.translation import gettext_lazy

# What one rating does to the journey. A 5 keeps it whole; a 1 costs four fifths.
RATING_FACTORS: dict[int, float] = {5: 1.0, 4: 0.95, 3: 0.75, 2: 0.45, 1: 0.2}

# Failures the business observes without asking (R6, R15, R16).
BROKEN_PROMISE = 0.6  # what was promised (a time, a window) did not happen
EXTRA_CONTACT = 0.85  # each time the customer had to reach out again
HANDOFF = 0.9  # each time the need changed hands
REOPEN = 0.7  # "solved" turned out not to be solved
# Observed successes are touchpoints too; they keep the journey whole.
KEPT_PROMISE = 1.0
CONFIRMED = 1.0


# The observed touchpoints in words (a rated one is named by its feedback touchpoint).
OBSERVED_LABELS = {
    "extra_contact": gettext_lazy("extra contact"),
    "handoff": gettext_lazy("handoff"),
    "reopen": gettext_lazy("reopened"),
    "broken_promise": gettext_lazy("promise broken"),
    "kept_promise": gettext_lazy("promise kept"),
    "confirmed": gettext_lazy("confirmed solved"),
}


def touchpoint_words(code: str) -> str:
    """ "rating:delivered" -> "Bezorgd", "extra_contact" -> "extra contact" (reader's language)."""
    from klantstuur.feedback.models import Touchpoint as Rated

    if code.startswith("rating:"):
        try:
            return str(Rated(code[7:]).label)
        except ValueError:
            return code[7:].replace("_", " ")
    return str(OBSERVED_LABELS.get(code, code.replace("_", " ")))


@dataclass(frozen=True)
class Touchpoint:
    label: str  # a stable code: "rating:served", "extra_contact", ...
    factor: float
    rating: int | None = None

    @property
    def observed(self) -> bool:
        return self.rating is None


def touchpoints(
    *,
    ratings: Iterable[tuple[str, int]] = (),
    contacts: int = 0,
    handoffs: int = 0,
    reopens: int = 0,
    promises_kept: int = 0,
    promises_broken: int = 0,
    confirmed: bool = False,
) -> list[Touchpoint]:
    """Every touchpoint of one journey (a need, or an order within it)."""
    points = [Touchpoint(f"rating:{tp}", RATING_FACTORS[r], r) for tp, r in ratings]
    points += [Touchpoint("extra_contact", EXTRA_CONTACT)] * max(contacts - 1, 0)
    points += [Touchpoint("handoff", HANDOFF)] * handoffs
    points += [Touchpoint("reopen", REOPEN)] * reopens
    points += [Touchpoint("broken_promise", BROKEN_PROMISE)] * promises_broken
    points += [Touchpoint("kept_promise", KEPT_PROMISE)] * promises_kept
    if confirmed:
        points.append(Touchpoint("confirmed", CONFIRMED))
    return points


def experience_index(points: Iterable[Touchpoint]) -> float | None:
    """The product of the factors; None before any touchpoint."""
    factors = [p.factor for p in points]
    if not factors:
        return None
    return round(prod(factors), 4)


def plain_average(ratings: Iterable[int]) -> float | None:
    """The naive additive view, always shown beside the index."""
    values = list(ratings)
    if not values:
        return None
    return round(sum(values) / len(values), 2)

"""Needs solved with a fellow customer's help (R17), and the time it took.

A need counts when its customer confirmed it solved and marked a fellow customer's
answer as the one that helped. The figures come from the need's projected facts
(``NeedFacts``: the same cohort day, owner and team as every other figure) joined to
the helped answers' partial index; the median is taken in the database, two queries
in all. ``extra_contacts``: contacts beyond the one that opened each need — a peer's
answer is no contact, so a need a peer solved at once adds none.
"""

from typing import Any

from django.db.models import Count, Q, Sum

from klantstuur.community.models import PeerAnswer

from .models import NeedFacts
from .selectors import Scope


def _solved_with_peer(scope: Scope) -> Any:
    helped = PeerAnswer.objects.filter(
        business_id=scope.business_id, helped_at__isnull=False
    ).values("need_id")
    qs = scope.rollups(NeedFacts.objects.all()).filter(status="solved", need_id__in=helped)
    return qs


def _median(values: list[int]) -> float | None:
    if not values:
        return None
    mid = len(values) // 2
    return float(values[mid]) if len(values) % 2 else (values[mid - 1] + values[mid]) / 2


def peer_help(scope: Scope) -> dict[str, Any]:
    qs = _solved_with_peer(scope)
    totals = qs.aggregate(
        solved=Count("need_id"),
        contacts=Sum("contacts"),
        timed=Count("need_id", filter=Q(resolution_minutes__isnull=False)),
    )
    solved, timed = totals["solved"], totals["timed"]
    minutes: float | None = None
    if timed:
        # The middle one or two values, read in order from the database.
        ordered = qs.filter(resolution_minutes__isnull=False).order_by("resolution_minutes")
        start = (timed - 1) // 2
        middle = list(
            ordered.values_list("resolution_minutes", flat=True)[start : start + 2 - timed % 2]
        )
        minutes = _median([m for m in middle if m is not None])
    return {
        "solved": solved,
        "resolution_hours_p50": round(minutes / 60, 2) if minutes is not None else None,
        "extra_contacts": max((totals["contacts"] or 0) - solved, 0),
    }

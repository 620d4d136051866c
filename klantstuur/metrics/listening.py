"""Listening (R14): each business-local day, the conversations managers should read —
the lowest ratings, the most contacts, and a random share of the rest. Drawn from the
need facts the projection keeps, so it lives beside them."""

from datetime import datetime, timedelta
from typing import Any

from klantstuur.businesses.models import Business
from klantstuur.core.zones import zone
from klantstuur.feedback.models import ListeningSample

from .models import NeedFacts

SAMPLE_LOWEST = 3
SAMPLE_MOST_CONTACTS = 3
SAMPLE_RANDOM = 2


def listening_sample(*, business_id: int, day: Any, now: datetime) -> int:
    """Put the day's conversations in front of the managers: lowest ratings, most
    contacts, plus a random share of the rest (recent activity, last 7 days)."""
    if ListeningSample.objects.filter(business_id=business_id, sampled_on=day).exists():
        return 0
    recent = NeedFacts.objects.filter(
        business_id=business_id, updated_at__gte=now - timedelta(days=7)
    )
    picked: dict[int, str] = {}
    for need_id in (
        recent.filter(rating_min__lte=3)
        .order_by("rating_min", "-updated_at")
        .values_list("need_id", flat=True)[:SAMPLE_LOWEST]
    ):
        picked.setdefault(need_id, "lowest_rating")
    for need_id in (
        recent.filter(contacts__gt=1)
        .order_by("-contacts", "-updated_at")
        .values_list("need_id", flat=True)[: SAMPLE_MOST_CONTACTS + len(picked)]
    ):
        if sum(1 for r in picked.values() if r == "most_contacts") < SAMPLE_MOST_CONTACTS:
            picked.setdefault(need_id, "most_contacts")
    rest = (
        recent.exclude(need_id__in=list(picked))
        .order_by("?")
        .values_list("need_id", flat=True)[:SAMPLE_RANDOM]
    )
    for need_id in rest:
        picked.setdefault(need_id, "random")
    ListeningSample.objects.bulk_create(
        [
            ListeningSample(business_id=business_id, need_id=n, sampled_on=day, reason=r)
            for n, r in picked.items()
        ],
        ignore_conflicts=True,
    )
    return len(picked)


def listening_sweep(now: datetime) -> int:
    """Worker: once a business-local day, sample each business."""
    done = 0
    for business in Business.objects.only("pk", "time_zone"):
        day = now.astimezone(zone(business.time_zone)).date()
        done += listening_sample(business_id=business.pk, day=day, now=now)
    return done

"""Reads of feedback for the insight pages, through access gates: another business's
listening sample is not found (404), exactly like the other gates (root causes: needs)."""

from datetime import date

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from klantstuur.businesses.models import StaffMember
from klantstuur.core.errors import NotFound
from klantstuur.customers.models import Customer
from klantstuur.needs.models import Need

from .models import ImprovementItem, ListeningSample, Rating, Reward, SurveyResponse


def improvement_items(*, business_id: int, limit: int = 50) -> list[ImprovementItem]:
    return list(
        ImprovementItem.objects.filter(business_id=business_id)
        .select_related("root_cause", "owner")
        .order_by("status", "-created_at")[:limit]
    )


# --- listening (R14) ---------------------------------------------------------------------


def sample_for_staff(*, staff: StaffMember, sample_id: int) -> ListeningSample:
    sample = (
        ListeningSample.objects.select_related("need__customer", "need__owner", "need__business")
        .filter(pk=sample_id, business_id=staff.business_id)
        .first()
    )
    if sample is None:
        raise NotFound(_("No such listening sample."))
    return sample


def samples_to_listen(*, business_id: int, show_all: bool) -> QuerySet[ListeningSample]:
    """The manager's queue: what is not yet listened to (or everything), oldest first."""
    qs = (
        ListeningSample.objects.filter(business_id=business_id)
        .select_related("need__customer", "need__owner", "listened_by")
        .order_by("listened_at", "-sampled_on", "id")
    )
    return qs if show_all else qs.filter(listened_at__isnull=True)


def listening_done(*, business_id: int, since: date) -> dict[str, int]:
    """Sampled and listened since a day (two counts)."""
    cov = ListeningSample.objects.filter(business_id=business_id, sampled_on__gte=since)
    return {"sampled": cov.count(), "listened": cov.filter(listened_at__isnull=False).count()}


def samples_of_need(*, need: Need) -> list[ListeningSample]:
    return list(
        ListeningSample.objects.filter(need=need)
        .select_related("listened_by")
        .order_by("-sampled_on")
    )


# --- what a customer told us ---------------------------------------------------------------


def ratings_of_need(*, need: Need) -> list[Rating]:
    return list(Rating.objects.filter(need=need).order_by("created_at", "id"))


def rating_points_of_need(*, need: Need) -> list[tuple[str, int]]:
    """(touchpoint, rating) in the order given: the journey's touchpoints."""
    return list(
        Rating.objects.filter(need=need)
        .order_by("created_at", "id")
        .values_list("touchpoint", "rating")
    )


def ratings_of_customer(*, customer: Customer, limit: int = 20) -> list[Rating]:
    return list(Rating.objects.filter(customer=customer).order_by("-created_at")[:limit])


def surveys_of_customer(*, customer: Customer, limit: int = 20) -> list[SurveyResponse]:
    return list(SurveyResponse.objects.filter(customer=customer).order_by("-created_at")[:limit])


def rewards_of_customer(*, customer: Customer, limit: int = 50) -> list[Reward]:
    return list(
        Reward.objects.filter(customer=customer)
        .select_related("given_by")
        .order_by("-created_at")[:limit]
    )

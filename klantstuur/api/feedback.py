"""API v1: feedback and measurement (../shared/API.md, "Feedback and measurement")."""

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import Field, StrictInt

from klantstuur.businesses.models import StaffMember
from klantstuur.businesses.selectors import colleague_for_staff
from klantstuur.core.errors import Invalid, NotFound
from klantstuur.core.zones import zone
from klantstuur.customers.models import Customer
from klantstuur.feedback import services
from klantstuur.floor.selectors import party_has_order
from klantstuur.metrics import selectors as metrics
from klantstuur.metrics.models import NeedFacts

from . import auth
from .floor import GUEST_OR_TOKEN, guest_party
from .pagination import PageParams, page
from .schemas import MAX_ID, In

router = Router(tags=["feedback and measurement"])


class FeedbackIn(In):
    need_id: StrictInt | None = Field(default=None, ge=1, le=MAX_ID)
    order_id: StrictInt | None = Field(default=None, ge=1, le=MAX_ID)
    touchpoint: str | None = Field(default=None, max_length=40)
    # The range (1–5; a survey's own scale) is checked by the service, naming the field.
    rating: StrictInt | None = Field(default=None, ge=-(2**31), le=2**31)
    survey: str | None = Field(default=None, max_length=10)
    score: StrictInt | None = Field(default=None, ge=-(2**31), le=2**31)
    comment: str = Field(default="", max_length=2000)


class FeedbackOut(Schema):
    id: int
    type: str  # "rating" or "survey"
    need_id: int | None
    order_id: int | None
    touchpoint: str | None
    rating: int | None
    survey: str | None
    score: int | None
    created_at: datetime


def _feedback_customer(request: HttpRequest, payload: FeedbackIn) -> Customer:
    party = guest_party(request)
    if party is None:
        return auth.customer(request)
    # A guest at a table rates only their own party's plates and need.
    if payload.need_id is not None and payload.need_id != party.need_id:
        raise NotFound(_("No such need."), field="need_id")
    if payload.order_id is not None and not party_has_order(party=party, order_id=payload.order_id):
        raise NotFound(_("No such order."), field="order_id")
    return party.need.customer


@router.post("/me/feedback", response={201: FeedbackOut}, auth=GUEST_OR_TOKEN)
def my_feedback(request: HttpRequest, payload: FeedbackIn) -> Any:
    """A one-tap touchpoint rating `{need_id or order_id, touchpoint, rating 1-5, comment?}`,
    or a survey answer `{survey: csat|ces|nps, score, need_id?}`."""
    who = _feedback_customer(request, payload)
    if payload.survey is not None:
        if payload.rating is not None or payload.touchpoint is not None:
            raise Invalid(_("A survey answer has a score, not a rating."), field="rating")
        if payload.score is None:
            raise Invalid(_("This field is required."), field="score")
        s = services.survey_answer(
            customer=who,
            survey=payload.survey,
            score=payload.score,
            need_id=payload.need_id,
            order_id=payload.order_id,
            comment=payload.comment,
        )
        return Status(
            201,
            {
                "id": s.pk,
                "type": "survey",
                "need_id": s.need_id,
                "order_id": payload.order_id,
                "touchpoint": None,
                "rating": None,
                "survey": s.survey,
                "score": s.score,
                "created_at": s.created_at,
            },
        )
    if payload.touchpoint is None:
        raise Invalid(_("This field is required."), field="touchpoint")
    if payload.rating is None:
        raise Invalid(_("This field is required."), field="rating")
    r = services.rating_give(
        customer=who,
        touchpoint=payload.touchpoint,
        rating=payload.rating,
        need_id=payload.need_id,
        order_id=payload.order_id,
        comment=payload.comment,
    )
    return Status(
        201,
        {
            "id": r.pk,
            "type": "rating",
            "need_id": r.need_id,
            "order_id": r.order_id or None,
            "touchpoint": r.touchpoint,
            "rating": r.rating,
            "survey": None,
            "score": None,
            "created_at": r.created_at,
        },
    )


# --- metrics (managers) -------------------------------------------------------------


class MetricsParams(Schema):
    from_: str | None = Field(default=None, alias="from", max_length=40)
    to: str | None = Field(default=None, max_length=40)
    owner: str | None = Field(default=None, max_length=30, description="`me` or a staff id")
    team: str | None = Field(default=None, max_length=20, description="a role: host, agent, …")
    business: str | None = Field(default=None, max_length=60, description="my business's slug")


class HourOut(Schema):
    hour_of_week: int
    contacts: int
    answered: int
    avg_minutes: float | None


class ListeningOut(Schema):
    sampled: int
    listened: int
    coverage: float | None


class PeerHelpOut(Schema):
    solved: int
    resolution_hours_p50: float | None
    extra_contacts: int


class MetricsOut(Schema):
    period: dict[str, str]
    scope: dict[str, Any]
    needs: int
    contacts_per_need: float | None
    resolution_hours_p50: float | None
    reopen_rate: float | None
    handoffs_per_need: float | None
    promise_kept_rate: float | None
    experience_index: float | None
    average_rating: float | None
    ticket_fcr: float | None
    need_fcr: float | None
    csat: float | None
    ces: float | None
    nps: int | None
    responses: int
    solved: int
    contacts: int
    effort_per_need: float | None
    late_minutes_per_need: float | None
    promises: int
    listening: ListeningOut
    response_by_hour_of_week: list[HourOut]
    peer_help: PeerHelpOut


def scope_of(me: StaffMember, params: MetricsParams) -> metrics.Scope:
    if params.business and params.business != me.business.slug:
        # Another business's figures: not a thing this caller may know exists.
        raise NotFound(_("No such business."), field="business")
    owner_id: int | None = None
    if params.owner == "me":
        owner_id = me.pk
    elif params.owner:
        text = params.owner
        if not (text.isascii() and text.isdecimal()) or int(text) > MAX_ID:
            raise Invalid(_("Use `me` or a staff id."), field="owner")
        owner_id = int(text)
        try:
            colleague_for_staff(staff=me, colleague_id=owner_id)
        except NotFound:
            raise NotFound(_("No such colleague."), field="owner") from None
    today = timezone.now().astimezone(zone(me.business.time_zone)).date()
    return metrics.scope_for(
        business_id=me.business_id,
        today=today,
        start=params.from_,
        end=params.to,
        owner_id=owner_id,
        team=params.team,
    )


@router.get("/metrics", response=MetricsOut)
def metrics_figures(request: HttpRequest, params: Query[MetricsParams]) -> Any:
    """Need-level figures for a period (`from`, `to`: business-local dates, inclusive;
    default the last 28 days), for the business, one `owner` or one `team`."""
    me = auth.manager(request)
    return metrics.figures(scope_of(me, params))


class JourneyOut(Schema):
    need_id: int
    customer_id: int
    owner_id: int
    kind: str
    status: str
    created_at: datetime
    contacts: int
    handoffs: int
    reopens: int
    promises: int
    promises_kept: int
    late_minutes: int
    experience_index: float | None
    average_rating: float | None
    resolution_hours: float | None
    effort: float


class JourneyPage(Schema):
    items: list[JourneyOut]
    count: int


class JourneyParams(MetricsParams, PageParams):
    figure: str = Field(default="needs", max_length=40)


def journey_out(f: NeedFacts) -> dict[str, Any]:
    return {
        "need_id": f.need_id,
        "customer_id": f.customer_id,
        "owner_id": f.owner_id,
        "kind": f.kind,
        "status": f.status,
        "created_at": f.created_at,
        "contacts": f.contacts,
        "handoffs": f.handoffs,
        "reopens": f.reopens,
        "promises": f.promises,
        "promises_kept": f.promises_kept,
        "late_minutes": f.late_minutes,
        "experience_index": f.experience_index,
        "average_rating": round(f.ratings_sum / f.ratings_count, 2) if f.ratings_count else None,
        "resolution_hours": (
            round(f.resolution_minutes / 60, 2) if f.resolution_minutes is not None else None
        ),
        "effort": f.effort,
    }


@router.get("/metrics/journeys", response=JourneyPage)
def metrics_journeys(request: HttpRequest, params: Query[JourneyParams]) -> Any:
    """Drill-down: the journeys behind one figure (`figure` = a field of /metrics)."""
    me = auth.manager(request)
    qs = metrics.journeys(scope_of(me, params), params.figure)
    return page(qs, params, journey_out)

"""Reads of the community, each a bounded number of queries.

What a peer reads is built here, field by field, from the community's own rows: the
shared summary (contact details taken out), display names and answers. Nothing of
the asker's customer record (address, e-mail, phone, full name) is ever read for a peer.
"""

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from klantstuur.businesses.models import StaffMember
from klantstuur.core.errors import NotFound
from klantstuur.customers.models import Customer
from klantstuur.delivery.models import Delivery, DeliveryStatus
from klantstuur.needs.models import ACTIVE_STATUSES, EventKind, JournalEvent, Need

from .models import Member, NeighbourRequest, ParcelNeighbour, PeerAnswer, SharedQuestion


def community_questions(*, customer: Customer) -> QuerySet[SharedQuestion]:
    """Shared open questions of the customer's business, newest first (the list's index)."""
    return (
        SharedQuestion.objects.filter(
            business_id=customer.business_id,
            unshared_at__isnull=True,
            open=True,
            need__status__in=ACTIVE_STATUSES,
        )
        .only("need_id", "asker_id", "display_name", "summary", "shared_at", "answers")
        .order_by("-shared_at", "-need_id")
    )


def question_out(question: SharedQuestion, *, viewer: Customer) -> dict[str, Any]:
    return {
        "need_id": question.need_id,
        "summary": question.summary,
        "display_name": question.display_name,
        "answers": question.answers,
        "created_at": question.shared_at,
        "mine": question.asker_id == viewer.pk,
    }


def answer_out(answer: PeerAnswer, *, viewer: Customer | None = None) -> dict[str, Any]:
    """An answer as every reader sees it: the name peers see, never who the peer is."""
    return {
        "id": answer.pk,
        "body": answer.body,
        "display_name": answer.display_name,
        "created_at": answer.created_at,
        "endorsed": answer.endorsed_at is not None,
        "correction": answer.correction or None,
        "helped": answer.helped_at is not None,
        "mine": viewer is not None and answer.author_id == viewer.pk,
    }


@dataclass(frozen=True)
class Thread:
    question: SharedQuestion
    answers: list[PeerAnswer]
    status: str


def visible_answers(*, need_id: int) -> QuerySet[PeerAnswer]:
    return PeerAnswer.objects.filter(
        need_id=need_id, hidden_at__isnull=True, withdrawn_at__isnull=True
    ).order_by("created_at", "id")


def thread_for_customer(*, customer: Customer, need_id: int) -> Thread:
    """One shared question with its visible answers: for the business's customers while
    it is shared and open, for the asker always. Two queries."""
    question = (
        SharedQuestion.objects.filter(need_id=need_id, business_id=customer.business_id)
        .select_related("need")
        .only(*_QUESTION_FIELDS, "need__status")
        .first()
    )
    mine = question is not None and question.asker_id == customer.pk
    if question is None or (
        not mine
        and (question.unshared_at is not None or question.need.status not in ACTIVE_STATUSES)
    ):
        raise NotFound(_("No such question."), field="need_id")
    answers = list(visible_answers(need_id=need_id))
    return Thread(question=question, answers=answers, status=question.need.status)


_QUESTION_FIELDS = (
    "need_id",
    "business_id",
    "asker_id",
    "display_name",
    "summary",
    "shared_at",
    "unshared_at",
    "answers",
)


def shared_question_of(*, need: Need) -> SharedQuestion | None:
    return SharedQuestion.objects.filter(need_id=need.pk).first()


def answers_for_staff(*, staff: StaffMember, need: Need) -> list[PeerAnswer]:
    """Every answer on a need of the staff member's business, hidden ones too."""
    if need.business_id != staff.business_id:
        raise NotFound(_("No such need."))
    return list(
        PeerAnswer.objects.filter(need_id=need.pk, withdrawn_at__isnull=True).order_by(
            "created_at", "id"
        )
    )


def staff_answer_out(answer: PeerAnswer) -> dict[str, Any]:
    return {
        **answer_out(answer),
        "author_id": answer.author_id,
        "hidden": answer.hidden_at is not None,
        "reports": answer.reports,
    }


def member_name(*, customer: Customer) -> str | None:
    return (
        Member.objects.filter(customer_id=customer.pk)
        .values_list("display_name", flat=True)
        .first()
    )


def community_export(*, customer: Customer) -> dict[str, Any]:
    """What the community holds about the customer (privacy's export): four queries."""
    return {
        "display_name": member_name(customer=customer),
        "shared_questions": [
            {
                "need_id": q.need_id,
                "display_name": q.display_name,
                "shared_at": q.shared_at.isoformat(),
                "unshared_at": q.unshared_at.isoformat() if q.unshared_at else None,
            }
            for q in SharedQuestion.objects.filter(asker_id=customer.pk).order_by("shared_at")
        ],
        "parcel_neighbour": _offer_export(customer),
        "answers": [
            {
                "id": a.pk,
                "need_id": a.need_id,
                "body": a.body,
                "display_name": a.display_name,
                "created_at": a.created_at.isoformat(),
                "endorsed": a.endorsed_at is not None,
                "helped": a.helped_at is not None,
                "hidden": a.hidden_at is not None,
            }
            for a in PeerAnswer.objects.filter(
                author_id=customer.pk, withdrawn_at__isnull=True
            ).order_by("created_at")
        ],
    }


# --- neighbours who accept parcels ----------------------------------------------------


def neighbour_offer_of(*, customer: Customer) -> ParcelNeighbour | None:
    return ParcelNeighbour.objects.filter(customer_id=customer.pk).first()


def neighbours_near(*, customer: Customer, postcode: str) -> QuerySet[ParcelNeighbour]:
    """Participating neighbours of the customer's business at one postcode, not themselves."""
    return (
        ParcelNeighbour.objects.filter(
            business_id=customer.business_id, postcode=postcode, active=True
        )
        .exclude(customer_id=customer.pk)
        .order_by("house_number", "customer_id")
    )


def neighbour_out(offer: ParcelNeighbour) -> dict[str, Any]:
    """What another customer sees of a neighbour: a first name, a house number, hours."""
    return {
        "id": offer.customer_id,
        "display_name": offer.display_name,
        "house_number": offer.house_number,
        "hours_at_home": offer.hours_at_home,
    }


def neighbour_requests_of(*, customer: Customer) -> QuerySet[NeighbourRequest]:
    """Requests to the customer as a neighbour, newest first (their inbox's index)."""
    return NeighbourRequest.objects.filter(neighbour_id=customer.pk).order_by("-created_at", "-id")


def neighbour_request_out(req: NeighbourRequest) -> dict[str, Any]:
    """What the neighbour sees of the asker: a first name and a house number."""
    return {
        "id": req.pk,
        "order_id": req.order_id,
        "status": req.status,
        "asker": {"display_name": req.asker_name, "house_number": req.asker_house_number},
        "created_at": req.created_at,
        "answered_at": req.answered_at,
    }


def movable_deliveries(*, customer: Customer) -> list[Any]:
    """The customer's deliveries that can still go to a neighbour, soonest first."""
    return list(
        Delivery.objects.filter(
            customer_id=customer.pk,
            status__in=[
                DeliveryStatus.SCHEDULED,
                DeliveryStatus.ATTEMPT_FAILED,
                DeliveryStatus.EXCEPTION,
            ],
        )
        .select_related("promised_window")
        .order_by("promised_date", "order_id")[:20]
    )


def neighbour_journal(*, customer: Customer) -> list[Any]:
    """The customer's own neighbour events (asked, answered), newest first: their timeline."""
    return list(
        JournalEvent.objects.filter(
            customer_id=customer.pk,
            need__isnull=True,
            kind__in=[EventKind.NEIGHBOUR_ASKED, EventKind.NEIGHBOUR_ANSWERED],
        ).order_by("-at", "-id")[:20]
    )


def _offer_export(customer: Customer) -> dict[str, Any] | None:
    offer = ParcelNeighbour.objects.filter(customer_id=customer.pk).first()
    if offer is None:
        return None
    return {
        "postcode": offer.postcode,
        "house_number": offer.house_number,
        "hours_at_home": offer.hours_at_home,
        "active": offer.active,
    }

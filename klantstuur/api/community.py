"""API v1: customers among themselves (../shared/API.md, "Customers among themselves").

A customer shares a question, fellow customers of the same business answer it, the
need's owner endorses or corrects an answer, the asker marks the one that helped.
Nothing a peer receives carries another customer's address, e-mail or phone number:
the shapes are built in ``community.selectors`` from the community's own rows.
"""

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import Field, StrictBool, StrictInt

from klantstuur.community import selectors as community
from klantstuur.community import services
from klantstuur.core.errors import NotFound
from klantstuur.core.queries import MAX_ID
from klantstuur.needs import selectors as needs

from . import auth
from .pagination import PageParams, page
from .schemas import In, NeedOut
from .serializers import need_out

router = Router(tags=["customers among themselves"])


class ShareIn(In):
    display_name: str | None = Field(default=None, max_length=200)


class ShareOut(Schema):
    need_id: int
    display_name: str
    shared: bool


class QuestionOut(Schema):
    need_id: int
    summary: str
    display_name: str
    answers: int
    created_at: datetime
    mine: bool


class QuestionPage(Schema):
    items: list[QuestionOut]
    count: int
    count_exact: bool = True


class AnswerIn(In):
    body: str = Field(max_length=20_000)


class AnswerOut(Schema):
    id: int
    body: str
    display_name: str
    created_at: datetime
    endorsed: bool
    correction: str | None
    helped: bool
    mine: bool


class StaffAnswerOut(AnswerOut):
    author_id: int
    hidden: bool
    reports: int


class ThreadOut(QuestionOut):
    status: str
    items: list[AnswerOut]


class StaffAnswers(Schema):
    items: list[StaffAnswerOut]
    count: int


class CorrectionIn(In):
    correction: str = Field(max_length=20_000)


class ReasonIn(In):
    reason: str = Field(default="", max_length=2000)


class HelpedIn(In):
    confirm: StrictBool = False


class LeaveOut(Schema):
    answers_withdrawn: int
    questions_unshared: int


# --- the asker -------------------------------------------------------------------------


@router.post("/me/needs/{need_id}/share", response=ShareOut)
def my_need_share(request: HttpRequest, need_id: int, payload: ShareIn) -> Any:
    """Show the question to the business's other customers, by first or chosen name."""
    who = auth.customer(request)
    question = services.question_share(
        customer=who, need_id=need_id, display_name=payload.display_name
    )
    return {"need_id": question.need_id, "display_name": question.display_name, "shared": True}


@router.delete("/me/needs/{need_id}/share", response={204: None})
def my_need_unshare(request: HttpRequest, need_id: int) -> Any:
    who = auth.customer(request)
    services.question_unshare(customer=who, need_id=need_id)
    return Status(204, None)


@router.post("/me/needs/{need_id}/peer-answers/{answer_id}/helped", response=NeedOut)
def my_need_peer_helped(
    request: HttpRequest, need_id: int, answer_id: int, payload: HelpedIn | None = None
) -> Any:
    """Mark the answer that helped: the need is proposed solved (the owner unchanged);
    `{confirm: true}` confirms it at once, else confirm with `/confirm`."""
    who = auth.customer(request)
    need = services.answer_mark_helped(
        customer=who,
        need_id=need_id,
        answer_id=answer_id,
        confirm=bool(payload and payload.confirm),
    )
    return need_out(need)


# --- fellow customers ------------------------------------------------------------------


@router.get("/me/community", response=QuestionPage)
def my_community(request: HttpRequest, params: Query[PageParams]) -> Any:
    """Shared open questions of my business, newest first."""
    who = auth.customer(request)
    return page(
        community.community_questions(customer=who),
        params,
        lambda q: community.question_out(q, viewer=who),
    )


@router.post("/me/community/leave", response=LeaveOut)
def my_community_leave(request: HttpRequest) -> Any:
    """Leave the community and take my answers with me."""
    return services.community_leave(customer=auth.customer(request))


@router.get("/me/community/{need_id}", response=ThreadOut)
def my_community_question(request: HttpRequest, need_id: int) -> Any:
    who = auth.customer(request)
    thread = community.thread_for_customer(customer=who, need_id=need_id)
    items = [community.answer_out(a, viewer=who) for a in thread.answers]
    return {
        **community.question_out(thread.question, viewer=who),
        "status": thread.status,
        "items": items,
    }


@router.post("/me/community/{need_id}/answers", response={201: AnswerOut})
def my_community_answer(request: HttpRequest, need_id: int, payload: AnswerIn) -> Any:
    """Answer a fellow customer's question: no contact, and the owner is told."""
    who = auth.customer(request)
    answer = services.answer_post(customer=who, need_id=need_id, body=payload.body)
    return Status(201, community.answer_out(answer, viewer=who))


@router.post("/me/community/{need_id}/answers/{answer_id}/report", response=AnswerOut)
def my_community_report(
    request: HttpRequest, need_id: int, answer_id: int, payload: ReasonIn | None = None
) -> Any:
    who = auth.customer(request)
    answer = services.answer_report(
        customer=who,
        need_id=need_id,
        answer_id=answer_id,
        reason=payload.reason if payload else "",
    )
    return community.answer_out(answer, viewer=who)


# --- staff: the owner's word, and moderation --------------------------------------------


@router.get("/needs/{need_id}/peer-answers", response=StaffAnswers)
def need_peer_answers(request: HttpRequest, need_id: int) -> Any:
    me = auth.staff(request)
    need = needs.need_for_staff(staff=me, need_id=need_id)
    answers = community.answers_for_staff(staff=me, need=need)
    return {"items": [community.staff_answer_out(a) for a in answers], "count": len(answers)}


@router.post("/needs/{need_id}/peer-answers/{answer_id}/endorse", response=StaffAnswerOut)
def need_peer_endorse(request: HttpRequest, need_id: int, answer_id: int) -> Any:
    """The owner marks the answer right ("klopt") for all to see."""
    answer = services.answer_endorse(
        staff=auth.staff(request), need_id=need_id, answer_id=answer_id
    )
    return community.staff_answer_out(answer)


@router.post("/needs/{need_id}/peer-answers/{answer_id}/correct", response=StaffAnswerOut)
def need_peer_correct(
    request: HttpRequest, need_id: int, answer_id: int, payload: CorrectionIn
) -> Any:
    """The owner sets an answer right; the correction shows beside it to all."""
    answer = services.answer_correct(
        staff=auth.staff(request),
        need_id=need_id,
        answer_id=answer_id,
        correction=payload.correction,
    )
    return community.staff_answer_out(answer)


@router.post("/needs/{need_id}/peer-answers/{answer_id}/hide", response=StaffAnswerOut)
def need_peer_hide(
    request: HttpRequest, need_id: int, answer_id: int, payload: ReasonIn | None = None
) -> Any:
    """Staff take an answer out of every peer's view."""
    answer = services.answer_hide(
        staff=auth.staff(request),
        need_id=need_id,
        answer_id=answer_id,
        reason=payload.reason if payload else "",
    )
    return community.staff_answer_out(answer)


# --- neighbours who accept parcels ------------------------------------------------------


class NeighbourIn(In):
    postcode: str = Field(max_length=20)
    house_number: str = Field(max_length=20)
    hours_at_home: str = Field(max_length=200)


class MyNeighbourOut(Schema):
    postcode: str
    house_number: str
    hours_at_home: str
    display_name: str
    active: bool


class NeighbourOut(Schema):
    id: int
    display_name: str
    house_number: str
    hours_at_home: str


class NeighbourList(Schema):
    items: list[NeighbourOut]
    count: int


class NeighbourAskIn(In):
    neighbour_id: StrictInt = Field(ge=1, le=MAX_ID)
    house_number: str = Field(max_length=20, description="my house number, for the neighbour")


class AskerOut(Schema):
    display_name: str
    house_number: str


class NeighbourRequestOut(Schema):
    id: int
    order_id: int
    status: str
    asker: AskerOut
    created_at: datetime
    answered_at: datetime | None


class NeighbourRequestPage(Schema):
    items: list[NeighbourRequestOut]
    count: int
    count_exact: bool = True


def _my_offer_out(offer: Any) -> dict[str, Any]:
    return {
        "postcode": offer.postcode,
        "house_number": offer.house_number,
        "hours_at_home": offer.hours_at_home,
        "display_name": offer.display_name,
        "active": offer.active,
    }


@router.get("/me/neighbour", response=MyNeighbourOut)
def my_neighbour(request: HttpRequest) -> Any:
    """My offer to accept parcels for neighbours (404 when I never made one)."""
    offer = community.neighbour_offer_of(customer=auth.customer(request))
    if offer is None:
        raise NotFound(_("You do not accept parcels for neighbours."))
    return _my_offer_out(offer)


@router.put("/me/neighbour", response=MyNeighbourOut)
def my_neighbour_offer(request: HttpRequest, payload: NeighbourIn) -> Any:
    """Offer to accept parcels: `{postcode, house_number, hours_at_home}`."""
    offer = services.neighbour_offer(
        customer=auth.customer(request),
        postcode=payload.postcode,
        house_number=payload.house_number,
        hours_at_home=payload.hours_at_home,
    )
    return _my_offer_out(offer)


@router.delete("/me/neighbour", response={204: None})
def my_neighbour_withdraw(request: HttpRequest) -> Any:
    services.neighbour_withdraw(customer=auth.customer(request))
    return Status(204, None)


@router.get("/me/neighbours", response=NeighbourList)
def my_neighbours(request: HttpRequest, postcode: str = Query(..., max_length=20)) -> Any:
    """Participating neighbours at a postcode: first name, house number, hours at home."""
    who = auth.customer(request)
    found = list(
        community.neighbours_near(customer=who, postcode=services.clean_postcode(postcode))[:50]
    )
    return {"items": [community.neighbour_out(n) for n in found], "count": len(found)}


@router.post("/me/orders/{order_id}/neighbour-requests", response={201: NeighbourRequestOut})
def my_order_ask_neighbour(request: HttpRequest, order_id: int, payload: NeighbourAskIn) -> Any:
    """Ask a participating neighbour to accept this order's parcel."""
    req = services.neighbour_ask(
        customer=auth.customer(request),
        order_id=order_id,
        neighbour_id=payload.neighbour_id,
        house_number=payload.house_number,
    )
    return Status(201, community.neighbour_request_out(req))


@router.get("/me/neighbour-requests", response=NeighbourRequestPage)
def my_neighbour_requests(request: HttpRequest, params: Query[PageParams]) -> Any:
    """Requests to me as a neighbour, newest first."""
    who = auth.customer(request)
    return page(
        community.neighbour_requests_of(customer=who), params, community.neighbour_request_out
    )


@router.post("/me/neighbour-requests/{request_id}/accept", response=NeighbourRequestOut)
def my_neighbour_request_accept(request: HttpRequest, request_id: int) -> Any:
    req = services.neighbour_answer(
        customer=auth.customer(request), request_id=request_id, accept=True
    )
    return community.neighbour_request_out(req)


@router.post("/me/neighbour-requests/{request_id}/decline", response=NeighbourRequestOut)
def my_neighbour_request_decline(request: HttpRequest, request_id: int) -> Any:
    req = services.neighbour_answer(
        customer=auth.customer(request), request_id=request_id, accept=False
    )
    return community.neighbour_request_out(req)

"""API v1: thin handlers that parse, call one service or selector, and shape the answer."""

from typing import Any, Literal

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from pydantic import Field

from klantstuur.businesses.selectors import colleague_for_staff, staff_of_business
from klantstuur.core.errors import DomainError, Invalid, NotFound
from klantstuur.customers import services as customer_services
from klantstuur.customers.selectors import customer_for_staff
from klantstuur.needs import selectors, services
from klantstuur.privacy import services as privacy

from . import auth, schemas
from .bill import router as bill_router
from .community import router as community_router
from .delivery import router as delivery_router
from .feedback import router as feedback_router
from .floor import router as floor_router
from .integrations import router as integrations_router
from .mail import router as mail_router
from .openapi import DocumentedErrorsAPI
from .orders import router as orders_router
from .pagination import PageParams, page
from .returns import router as returns_router
from .serializers import (
    customer_out,
    event_out,
    handoff_out,
    need_out,
    remedy_out,
    staff_out,
)

api = DocumentedErrorsAPI(
    title="Klantstuur API",
    version="1",
    urls_namespace="api-v1",
    auth=auth.TokenAuth(),
    description=(
        "Public contract v1. Staff tokens act within their business and role; customer "
        "tokens act only on their own records under /me. Errors are JSON with `detail` "
        "and, for bad input, `errors: [{field, reason}]`."
    ),
)


# --- errors: JSON with the field and the reason, never a 500 on input ---------------


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    response = api.create_response(request, exc.as_json(), status=exc.status)
    if retry_after := exc.extra.get("retry_after"):  # 429 and 503 (issue #15)
        response["Retry-After"] = str(retry_after)
    return response


def _field(loc: Any) -> str:
    parts = [str(p) for p in loc if p not in ("body", "payload", "query", "path", "params")]
    return ".".join(parts) or "body"


@api.exception_handler(ValidationError)
def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = [{"field": _field(e.get("loc", ())), "reason": e.get("msg", "")} for e in exc.errors]
    detail = "; ".join(f"{e['field']}: {e['reason']}" for e in errors) or _("Invalid input.")
    return api.create_response(request, {"detail": detail, "errors": errors}, status=422)


@api.exception_handler(AuthenticationError)
def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = api.create_response(
        request,
        {"detail": _("A valid token is needed: Authorization: Bearer <token>.")},
        status=401,
    )
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    body: dict[str, Any] = {"detail": str(exc)}
    if exc.status_code == 400:  # the body could not be parsed as JSON
        body["errors"] = [{"field": "body", "reason": str(exc)}]
    return api.create_response(request, body, status=exc.status_code)


@api.exception_handler(RequestDataTooBig)
def too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    reason = _("The request body is too large.")
    return api.create_response(
        request, {"detail": reason, "errors": [{"field": "body", "reason": reason}]}, status=400
    )


# --- staff: customers and colleagues -----------------------------------------------

staff_router = Router(tags=["staff"])


@staff_router.post("/customers", response={201: schemas.CustomerOut})
def customer_create(request: HttpRequest, payload: schemas.CustomerIn) -> tuple[int, Any]:
    me = auth.staff(request)
    customer = customer_services.customer_create(
        business=me.business,
        name=payload.name,
        email=payload.email,
        phone=payload.phone,
        language=payload.language,
    )
    return 201, customer_out(customer)


@staff_router.get("/customers/{customer_id}", response=schemas.CustomerOut)
def customer_detail(request: HttpRequest, customer_id: int) -> Any:
    me = auth.staff(request)
    return customer_out(customer_for_staff(staff=me, customer_id=customer_id))


class StaffPage(Schema):
    items: list[schemas.StaffOut]
    count: int
    count_exact: bool = True


@staff_router.get("/staff", response=StaffPage)
def staff_list(request: HttpRequest, params: Query[PageParams]) -> Any:
    me = auth.staff(request)
    return page(staff_of_business(business_id=me.business_id), params, staff_out)


# --- staff: needs ------------------------------------------------------------------


class NeedPage(Schema):
    items: list[schemas.NeedOut]
    count: int
    count_exact: bool = True


class NeedFilters(PageParams):
    status: Literal["open", "awaiting_customer", "solved", "cancelled"] | None = None
    owner: str | None = Field(default=None, description="`me` or a staff id")
    customer_id: int | None = Field(default=None, ge=1, le=schemas.MAX_ID)


@staff_router.post("/needs", response={201: schemas.NeedOut})
def need_open(request: HttpRequest, payload: schemas.NeedIn) -> tuple[int, Any]:
    me = auth.staff(request)
    customer = customer_for_staff(staff=me, customer_id=payload.customer_id)
    need = services.need_open(
        customer=customer,
        kind=payload.kind,
        summary=payload.summary,
        goal=payload.goal,
        opened_by_staff=me,
        proactive=payload.proactive,
    )
    return 201, need_out(need)


@staff_router.get("/needs", response=NeedPage)
def need_list(request: HttpRequest, filters: Query[NeedFilters]) -> Any:
    me = auth.staff(request)
    owner_id: int | None = None
    if filters.owner == "me":
        owner_id = me.pk
    elif filters.owner is not None:
        owner = filters.owner
        if not (owner.isascii() and owner.isdecimal()) or int(owner) > schemas.MAX_ID:
            raise Invalid(_("Use `me` or a staff id."), field="owner")
        owner_id = int(filters.owner)
    qs = selectors.needs_for_business(
        business_id=me.business_id,
        status=filters.status,
        owner_id=owner_id,
        customer_id=filters.customer_id,
    )
    return page(qs, filters, need_out)


@staff_router.get("/needs/{need_id}", response=schemas.NeedOut)
def need_detail(request: HttpRequest, need_id: int) -> Any:
    me = auth.staff(request)
    return need_out(selectors.need_for_staff(staff=me, need_id=need_id))


class EventPage(Schema):
    items: list[schemas.EventOut]
    count: int
    count_exact: bool = True


@staff_router.get("/needs/{need_id}/timeline", response=EventPage)
def need_timeline(request: HttpRequest, need_id: int, params: Query[PageParams]) -> Any:
    me = auth.staff(request)
    need = selectors.need_for_staff(staff=me, need_id=need_id)
    return page(selectors.timeline(need=need, for_customer=False), params, event_out)


@staff_router.post("/needs/{need_id}/messages", response={201: schemas.EventOut})
def need_message(request: HttpRequest, need_id: int, payload: schemas.MessageIn) -> Any:
    me = auth.staff(request)
    need = selectors.need_for_staff(staff=me, need_id=need_id)
    services.message_post_by_staff(
        staff=me, need=need, body=payload.body, internal=payload.internal
    )
    event = selectors.timeline(need=need, for_customer=False).order_by("-at", "-id").first()
    return 201, event_out(event)  # type: ignore[arg-type]


@staff_router.post("/needs/{need_id}/handoffs", response={201: schemas.HandoffOut})
def handoff_offer(request: HttpRequest, need_id: int, payload: schemas.HandoffIn) -> Any:
    me = auth.staff(request)
    need = selectors.need_for_staff(staff=me, need_id=need_id)
    try:
        to_staff = colleague_for_staff(staff=me, colleague_id=payload.to_staff_id)
    except NotFound:
        raise Invalid(_("No such colleague."), field="to_staff_id") from None
    handoff = services.handoff_offer(staff=me, need=need, to_staff=to_staff, reason=payload.reason)
    return 201, handoff_out(handoff, owner=need.owner)


@staff_router.post("/handoffs/{handoff_id}/accept", response=schemas.HandoffOut)
def handoff_accept(request: HttpRequest, handoff_id: int) -> Any:
    me = auth.staff(request)
    handoff = selectors.handoff_for_staff(staff=me, handoff_id=handoff_id)
    need = services.handoff_accept(staff=me, handoff=handoff)
    handoff.refresh_from_db()
    return handoff_out(handoff, owner=need.owner)


@staff_router.post("/handoffs/{handoff_id}/decline", response=schemas.HandoffOut)
def handoff_decline(request: HttpRequest, handoff_id: int, payload: schemas.DeclineIn) -> Any:
    me = auth.staff(request)
    handoff = selectors.handoff_for_staff(staff=me, handoff_id=handoff_id)
    handoff = services.handoff_decline(staff=me, handoff=handoff, reason=payload.reason)
    return handoff_out(handoff, owner=handoff.need.owner)


@staff_router.post("/needs/{need_id}/remedies", response={201: schemas.RemedyOut})
def remedy_grant(request: HttpRequest, need_id: int, payload: schemas.RemedyIn) -> Any:
    me = auth.staff(request)
    need = selectors.need_for_staff(staff=me, need_id=need_id)
    remedy = services.remedy_grant(
        staff=me,
        need=need,
        kind=payload.kind,
        amount_cents=payload.amount_cents,
        note=payload.note,
    )
    return 201, remedy_out(remedy)


@staff_router.post("/needs/{need_id}/resolution", response=schemas.NeedOut)
def resolution_propose(request: HttpRequest, need_id: int, payload: schemas.ResolutionIn) -> Any:
    me = auth.staff(request)
    need = selectors.need_for_staff(staff=me, need_id=need_id)
    return need_out(
        services.resolution_propose(
            staff=me, need=need, summary=payload.summary, root_cause_id=payload.root_cause_id
        )
    )


# --- customers: their own records only ------------------------------------------------

me_router = Router(tags=["customer (me)"])


def _me_out(customer: Any) -> dict[str, Any]:
    return {
        **customer_out(customer),
        "business": {"slug": customer.business.slug, "name": customer.business.name},
    }


@me_router.get("/me", response=schemas.MeOut)
def me_detail(request: HttpRequest) -> Any:
    return _me_out(auth.customer(request))


@me_router.patch("/me", response=schemas.MeOut)
def me_update(request: HttpRequest, payload: schemas.CustomerPatch) -> Any:
    who = auth.customer(request)
    changes = payload.dict(exclude_unset=True)
    if changes.get("name", "") is None:
        raise Invalid(_("A name cannot be empty."), field="name")
    updated = privacy.customer_update(customer=who, actor_customer=who, **changes)
    return _me_out(updated)


@me_router.get("/me/needs", response=NeedPage)
def my_needs(request: HttpRequest, params: Query[PageParams], status: str | None = None) -> Any:
    who = auth.customer(request)
    return page(selectors.needs_of_customer(customer=who, status=status), params, need_out)


@me_router.post("/me/needs", response={201: schemas.NeedOut})
def my_need_open(request: HttpRequest, payload: schemas.MyNeedIn) -> Any:
    who = auth.customer(request)
    need = services.need_open(
        customer=who, kind=payload.kind, summary=payload.summary, goal=payload.goal
    )
    return 201, need_out(need)


@me_router.get("/me/needs/{need_id}", response=schemas.NeedOut)
def my_need_detail(request: HttpRequest, need_id: int) -> Any:
    who = auth.customer(request)
    return need_out(selectors.need_for_customer(customer=who, need_id=need_id))


@me_router.get("/me/needs/{need_id}/timeline", response=EventPage)
def my_need_timeline(request: HttpRequest, need_id: int, params: Query[PageParams]) -> Any:
    who = auth.customer(request)
    need = selectors.need_for_customer(customer=who, need_id=need_id)
    return page(selectors.timeline(need=need, for_customer=True), params, event_out)


@me_router.post("/me/needs/{need_id}/messages", response={201: schemas.EventOut})
def my_need_message(request: HttpRequest, need_id: int, payload: schemas.MyMessageIn) -> Any:
    who = auth.customer(request)
    need = selectors.need_for_customer(customer=who, need_id=need_id)
    services.message_post_by_customer(customer=who, need=need, body=payload.body)
    event = selectors.timeline(need=need, for_customer=True).order_by("-at", "-id").first()
    return 201, event_out(event)  # type: ignore[arg-type]


@me_router.post("/me/needs/{need_id}/confirm", response=schemas.NeedOut)
def my_need_confirm(request: HttpRequest, need_id: int) -> Any:
    who = auth.customer(request)
    need = selectors.need_for_customer(customer=who, need_id=need_id)
    return need_out(services.resolution_confirm(customer=who, need=need))


@me_router.post("/me/needs/{need_id}/reopen", response=schemas.NeedOut)
def my_need_reopen(request: HttpRequest, need_id: int, payload: schemas.ReasonIn) -> Any:
    who = auth.customer(request)
    need = selectors.need_for_customer(customer=who, need_id=need_id)
    return need_out(services.need_reopen(customer=who, need=need, reason=payload.reason))


@me_router.post("/me/needs/{need_id}/cancel", response=schemas.NeedOut)
def my_need_cancel(request: HttpRequest, need_id: int, payload: schemas.OptionalReasonIn) -> Any:
    who = auth.customer(request)
    need = selectors.need_for_customer(customer=who, need_id=need_id)
    return need_out(services.need_cancel(customer=who, need=need, reason=payload.reason))


api.add_router("/", staff_router)
api.add_router("/", me_router)
api.add_router("/", orders_router)
api.add_router("/", floor_router)
api.add_router("/", bill_router)
api.add_router("/", delivery_router)
api.add_router("/", feedback_router)
api.add_router("/", mail_router)
api.add_router("/", integrations_router)
api.add_router("/", community_router)
api.add_router("/", returns_router)

"""``GET /api/v1/needs/{id}/stream`` (staff) and ``GET /api/v1/me/needs/{id}/stream``
(customer, without internal notes): Server-Sent Events, one ``data:`` line of JSON per
journal event as it is recorded, each with ``id:`` (the journal event's id); send
``Last-Event-ID`` to catch up on what was missed (live.conversation).

Plain async Django views (a stream needs the event loop; django-ninja's operations are
sync here), with the API's bearer tokens and its JSON errors: 401 without a valid
token, 403 for the wrong kind of token, 404 for another business's or customer's need.
"""

from typing import Any

from asgiref.sync import sync_to_async
from django.http import HttpRequest, JsonResponse
from django.http.response import HttpResponseBase
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from klantstuur.accounts.actors import customer_of, staff_of
from klantstuur.core.errors import NotFound
from klantstuur.live.conversation import CUSTOMER, last_event_id, need_stream, staff_side
from klantstuur.needs import selectors

from .auth import token_for_bearer


def _key(request: HttpRequest) -> str:
    scheme, _sp, key = request.headers.get("Authorization", "").partition(" ")
    return key.strip() if scheme.lower() == "bearer" else ""


def _resolve(key: str, need_id: int, *, for_customer: bool) -> tuple[int, str, str]:
    """(status, reason, side): status 200 with the stream's side, or the refusal."""
    token = token_for_bearer(key) if key else None
    user: Any = token.user if token is not None else None
    if user is None:
        return 401, _("A valid token is needed: Authorization: Bearer <token>."), ""
    try:
        if for_customer:
            customer = customer_of(user)
            if customer is None:
                return 403, _("This is for customers; staff use the other /api/v1/ paths."), ""
            selectors.need_for_customer(customer=customer, need_id=need_id)
            return 200, "", CUSTOMER
        side = staff_side(staff_of(user), need_id)
        if side is None:
            return 403, _("This is for staff; customers use /api/v1/me/…"), ""
        return 200, "", side
    except NotFound as exc:
        return 404, exc.message, ""


async def _stream(request: HttpRequest, need_id: int, *, for_customer: bool) -> HttpResponseBase:
    key = _key(request)
    if key:
        status, reason, side = await sync_to_async(_resolve)(
            key, need_id, for_customer=for_customer
        )
    else:  # no token: refused without asking the database
        status, reason, side = _resolve("", need_id, for_customer=for_customer)
    if status != 200:
        response = JsonResponse({"detail": reason}, status=status)
        if status == 401:
            response["WWW-Authenticate"] = "Bearer"
        return response
    return need_stream(
        need_id, side=side, last_event_id=last_event_id(request.headers, request.GET)
    )


@require_GET
async def need_stream_view(request: HttpRequest, need_id: int) -> HttpResponseBase:
    return await _stream(request, need_id, for_customer=False)


@require_GET
async def me_need_stream_view(request: HttpRequest, need_id: int) -> HttpResponseBase:
    return await _stream(request, need_id, for_customer=True)

"""The need page's live conversation in the portal: its timeline as a fragment, its
stream (live.conversation, never an internal note) and the files that came by e-mail."""

from asgiref.sync import sync_to_async
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render

from klantstuur.accounts.actors import customer_of
from klantstuur.core.errors import NotFound
from klantstuur.customers.models import Customer
from klantstuur.live.conversation import CUSTOMER, last_event_id, need_stream
from klantstuur.mail.download import attachment_response
from klantstuur.mail.selectors import attachment_for_customer
from klantstuur.needs import selectors

from .access import customer_page


def _need_or_404(me: Customer, need_id: int) -> selectors.Need:
    try:
        return selectors.need_for_customer(customer=me, need_id=need_id)
    except NotFound:
        raise Http404 from None


@customer_page
def need_live(request: HttpRequest, me: Customer, need_id: int) -> HttpResponse:
    need = _need_or_404(me, need_id)
    events = list(selectors.timeline(need=need, for_customer=True))
    return render(
        request, "needs/timeline.html", {"events": events, "viewer": "customer", "need": need}
    )


def _check(user: object, need_id: int) -> None:
    me = customer_of(user)  # type: ignore[arg-type]
    if me is None:
        raise PermissionDenied
    _need_or_404(me, need_id)


async def need_stream_view(request: HttpRequest, need_id: int) -> HttpResponseBase:
    user = await request.auser()
    await sync_to_async(_check)(user, need_id)
    return need_stream(
        need_id, side=CUSTOMER, last_event_id=last_event_id(request.headers, request.GET)
    )


@customer_page
def need_file(request: HttpRequest, me: Customer, need_id: int, file_id: int) -> HttpResponse:
    try:
        found = attachment_for_customer(customer=me, need_id=need_id, attachment_id=file_id)
    except NotFound:
        raise Http404 from None
    return attachment_response(found)

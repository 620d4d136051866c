"""The need page's live conversation in the console: its timeline as a fragment, its
stream (live.conversation) and the files that came by e-mail."""

from asgiref.sync import sync_to_async
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render

from klantstuur.accounts.actors import staff_of
from klantstuur.businesses.models import Role, StaffMember
from klantstuur.core.errors import NotFound
from klantstuur.core.pages import page_of
from klantstuur.live.conversation import last_event_id, need_stream, staff_side
from klantstuur.live.streams import sse
from klantstuur.mail.download import attachment_response
from klantstuur.mail.selectors import attachment_for_staff
from klantstuur.needs import selectors

from .access import staff_page


def _need_or_404(me: StaffMember, need_id: int) -> selectors.Need:
    try:
        return selectors.need_for_staff(staff=me, need_id=need_id)
    except NotFound:
        raise Http404 from None


@staff_page
def need_live(request: HttpRequest, me: StaffMember, need_id: int) -> HttpResponse:
    """The timeline alone, for the page to swap in when its stream says something new."""
    need = _need_or_404(me, need_id)
    events = list(selectors.timeline(need=need, for_customer=False))
    return render(
        request, "needs/timeline.html", {"events": events, "viewer": "staff", "need": need}
    )


def _side(user: object, need_id: int) -> str:
    try:
        side = staff_side(staff_of(user), need_id)  # type: ignore[arg-type]
    except NotFound:
        raise Http404 from None
    if side is None:
        raise PermissionDenied
    return side


async def need_stream_view(request: HttpRequest, need_id: int) -> HttpResponseBase:
    user = await request.auser()
    side = await sync_to_async(_side)(user, need_id)
    return need_stream(
        need_id, side=side, last_event_id=last_event_id(request.headers, request.GET)
    )


@staff_page
def home_live(request: HttpRequest, me: StaffMember) -> HttpResponse:
    """ "My customers" alone, for the home page to swap in when a need arrives or waits."""
    page = page_of(request, selectors.needs_owned_by(staff=me))
    return render(request, "console/partials/my_needs.html", {"me": me, "page": page})


def _business(user: object) -> int:
    me = staff_of(user)  # type: ignore[arg-type]
    if me is None or me.role == Role.CARRIER:
        raise PermissionDenied
    return me.business_id


async def home_stream(request: HttpRequest) -> HttpResponseBase:
    business_id = await sync_to_async(_business)(await request.auser())
    return sse([f"needs:{business_id}"])


@staff_page
def need_file(request: HttpRequest, me: StaffMember, need_id: int, file_id: int) -> HttpResponse:
    try:
        found = attachment_for_staff(staff=me, need_id=need_id, attachment_id=file_id)
    except NotFound:
        raise Http404 from None
    return attachment_response(found)

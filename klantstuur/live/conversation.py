"""The live conversation on one need: its journal as it is written, and who is there.

One stream per open need page (console, portal) or API client:

* ``need:<id>`` carries every event of the need (staff); ``need:<id>:customer`` only
  what the customer may see (channels.route), so the customer's stream never carries
  an internal note.
* Each message is sent with ``id: <journal event id>``. A browser that lost the stream
  reconnects by itself and sends ``Last-Event-ID``; an API client may too. What it
  missed is read from the journal first, then the stream goes on live; an event is
  never sent twice in one stream.
* Presence: a stream says ``join`` when it opens, ``here`` every keep-alive and when the
  other side joins, ``leave`` when it closes, on ``presence:<id>``. The owner's page
  shows the customer is there, the customer's page the owner (``event: presence``).
  Nothing ends the conversation: a stream closes only when its page does.
"""

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

from asgiref.sync import sync_to_async
from django.db import connections
from django.http import StreamingHttpResponse

from klantstuur.businesses.models import Role, StaffMember
from klantstuur.needs import selectors
from klantstuur.needs.models import JournalEvent

from . import broker
from .channels import route

logger = logging.getLogger("klantstuur.live")

KEEPALIVE_SECONDS = 15.0
CATCH_UP_MAX = 500
CUSTOMER = "customer"
OWNER = "owner"
STAFF = "staff"


def staff_side(member: StaffMember | None, need_id: int) -> str | None:
    """The side a staff member's stream of a need takes: OWNER when they own it, else
    STAFF; None when they may not listen at all (not staff, or the carrier integration).
    NotFound for a need outside their business."""
    if member is None or member.role == Role.CARRIER:
        return None
    need = selectors.need_for_staff(staff=member, need_id=need_id)
    return OWNER if need.owner_id == member.pk else STAFF


def channel_for(need_id: int, *, for_customer: bool) -> str:
    return f"need:{need_id}:customer" if for_customer else f"need:{need_id}"


def missed(need_id: int, after: int, *, for_customer: bool) -> list[dict[str, Any]]:
    """The need's events after ``after`` (a journal id), as the stream sends them."""
    try:
        events = JournalEvent.objects.filter(need_id=need_id, pk__gt=after)
        if for_customer:
            events = events.visible_to_customer()
        return [route(e, {})[1] for e in events.order_by("id")[:CATCH_UP_MAX]]
    finally:
        connections.close_all()


def _announce(need_id: int, side: str, state: str) -> None:
    try:
        broker.publish(
            [f"presence:{need_id}"],
            {"kind": "presence", "need": need_id, "side": side, "state": state},
        )
    except Exception:  # presence is a courtesy; the conversation goes on without it
        logger.warning("presence not announced for need %s", need_id)
    finally:
        connections.close_all()


def _frame(message: dict[str, Any]) -> str:
    return f"id: {message['event']}\ndata: {json.dumps(message, separators=(',', ':'))}\n\n"


async def _stream(
    need_id: int, *, side: str, last_event_id: int | None, keepalive: float
) -> AsyncIterator[str]:
    for_customer = side == CUSTOMER
    await sync_to_async(connections.close_all)()
    await asyncio.to_thread(broker.ensure_listener)
    sub = broker.hub.subscribe(
        [channel_for(need_id, for_customer=for_customer), f"presence:{need_id}"]
    )
    sent = last_event_id or 0
    try:
        yield "retry: 2000\nevent: hello\ndata: {}\n\n"
        if last_event_id is not None:
            for message in await asyncio.to_thread(
                missed, need_id, last_event_id, for_customer=for_customer
            ):
                sent = max(sent, int(message["event"]))
                yield _frame(message)
        await asyncio.to_thread(_announce, need_id, side, "join")
        while True:
            try:
                raw = await asyncio.wait_for(sub.queue.get(), timeout=keepalive)
            except TimeoutError:
                yield ": keep-alive\n\n"
                await asyncio.to_thread(_announce, need_id, side, "here")
                continue
            if sub.dropped:
                sub.dropped = 0
                yield "event: overflow\ndata: {}\n\n"
            message = json.loads(raw)
            if message.get("kind") == "presence":
                if message.get("side") == side:
                    continue
                if message.get("state") == "join":  # the other side came: say we are here
                    await asyncio.to_thread(_announce, need_id, side, "here")
                yield f"event: presence\ndata: {raw}\n\n"
                continue
            event_id = int(message.get("event") or 0)
            if event_id and event_id <= sent:
                continue  # already sent while catching up
            sent = max(sent, event_id)
            yield _frame(message)
    finally:
        broker.hub.unsubscribe(sub)
        # When the loop is going away the others time out instead.
        with contextlib.suppress(BaseException):
            await asyncio.to_thread(_announce, need_id, side, "leave")


def last_event_id(headers: Any, query: Any) -> int | None:
    value = headers.get("Last-Event-ID") or query.get("last_event_id") or ""
    return int(value) if str(value).isdigit() else None


def need_stream(
    need_id: int, *, side: str, last_event_id: int | None, keepalive: float = KEEPALIVE_SECONDS
) -> StreamingHttpResponse:
    """``side``: ``customer``, ``owner`` or ``staff`` (a colleague who is not the owner)."""
    response = StreamingHttpResponse(
        _stream(need_id, side=side, last_event_id=last_event_id, keepalive=keepalive),
        content_type="text/event-stream",
    )
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response

"""Server-Sent Events from async views (ASGI): one stream per open screen.

A stream holds no database connection: the view's checks (who is asking,
which station) are done before it starts, and the connection they used is
closed before the first byte, so 40 open screens are not 40 idle PostgreSQL
clients. The screen refetches its fragment through ordinary requests.
"""

import asyncio
import json
from collections.abc import AsyncIterator

from asgiref.sync import sync_to_async
from django.db import connections
from django.http import StreamingHttpResponse

from . import broker

KEEPALIVE_SECONDS = 15.0


async def _events(channels: list[str], keepalive: float) -> AsyncIterator[str]:
    # In this request's context (the same as the view's checks): give the connection back.
    await sync_to_async(connections.close_all)()
    await asyncio.to_thread(broker.ensure_listener)
    sub = broker.hub.subscribe(channels)
    try:
        # Tell the screen it is connected: it refetches once, so nothing between
        # rendering the page and opening the stream is missed.
        yield "retry: 2000\nevent: hello\ndata: {}\n\n"
        while True:
            try:
                message = await asyncio.wait_for(sub.queue.get(), timeout=keepalive)
            except TimeoutError:
                yield ": keep-alive\n\n"
                continue
            if sub.dropped:
                sub.dropped = 0
                yield "event: overflow\ndata: {}\n\n"
            yield f"data: {message}\n\n"
    finally:
        broker.hub.unsubscribe(sub)


def sse(channels: list[str], *, keepalive: float = KEEPALIVE_SECONDS) -> StreamingHttpResponse:
    response = StreamingHttpResponse(_events(channels, keepalive), content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response


def encode(message: dict[str, object]) -> str:
    return json.dumps(message, separators=(",", ":"))

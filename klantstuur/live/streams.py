"""Server-Sent Events from async views (ASGI): one stream per open screen."""

import asyncio
import json
from collections.abc import AsyncIterator

from django.http import StreamingHttpResponse

from . import broker

KEEPALIVE_SECONDS = 15.0


async def _events(channels: list[str], keepalive: float) -> AsyncIterator[str]:
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

"""The ASGI entry point: live streams async, everything else through WSGI.

Django's ASGI handler runs a sync view by hopping into one shared thread per
process, which cost ~1 ms per request here and serialised the database waits
of all requests of a worker. Only the Server-Sent Events streams need the event
loop, so they keep it; every other request goes to Django's WSGI handler in a
small thread pool (a2wsgi), one database connection per thread from the pool.
"""

import os
from typing import Any

from a2wsgi import WSGIMiddleware
from a2wsgi.wsgi import WSGIResponder
from django.core.asgi import get_asgi_application
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "klantstuur.settings")

# Every async view (an SSE stream) is routed under a path ending in STREAM_SUFFIX, or
# (the API's, API.md) in API_STREAM_SUFFIX; tests/platform/test_asgi.py keeps that true.
STREAM_SUFFIX = "/stream/"
API_STREAM_SUFFIX = "/stream"


def is_stream(path: str) -> bool:
    return path.endswith(STREAM_SUFFIX) or (
        path.startswith("/api/") and path.endswith(API_STREAM_SUFFIX)
    )


# Few threads per process: more contend for the GIL (at 8, need creation ran ~10 %
# slower than at 4 on two cores); run more processes (--workers) for more cores.
THREADS = int(os.environ.get("KLANTSTUUR_THREADS", "4"))


class _Responder(WSGIResponder):
    """a2wsgi's responder, except that a whole (not streaming) response leaves its thread
    at once: status, headers and body are handed to the event loop without waiting, and
    the thread goes back to the pool. a2wsgi's own waits for the loop to take each of them
    (2–3 round trips per request); on a busy machine every one is a wait for the loop's
    turn at the CPU, with the thread held (the 40-table Saturday, docs/performance-floor.md).
    Streaming responses (files, CSV exports) keep a2wsgi's way: back-pressure per chunk."""

    _start: dict[str, Any] | None = None

    def start_response(
        self, status: str, response_headers: list[tuple[str, str]], exc_info: Any = None
    ) -> Any:
        self.exc_info = exc_info
        code = int(status.split(" ", 1)[0])
        headers = [
            (name.strip().encode("latin1").lower(), value.strip().encode("latin1"))
            for name, value in response_headers
        ]
        self._start = {"type": "http.response.start", "status": code, "headers": headers}
        return self._write

    def _started(self) -> None:
        if self._start is not None and not self.response_started:
            self.response_started = True
            self.send(self._start)  # type: ignore[arg-type]

    def _write(self, chunk: bytes) -> None:  # WSGI's write(): Django never calls it
        self._started()
        self.send({"type": "http.response.body", "body": chunk, "more_body": True})

    def _push(self, message: dict[str, Any]) -> None:
        # In order: the loop runs these callbacks before the one that ends the request.
        self.loop.call_soon_threadsafe(self.send_queue.put_nowait, message)

    def wsgi(self, environ: Any, start_response: Any) -> None:
        iterable = self.app(environ, start_response)
        try:
            if getattr(iterable, "streaming", True) is False and not self.response_started:
                body = b"".join(iterable)
                assert self._start is not None
                self.response_started = True
                self._push(self._start)
                self._push({"type": "http.response.body", "body": body})
                return
            self._started()
            for chunk in iterable:
                self.send({"type": "http.response.body", "body": chunk, "more_body": True})
            self.send({"type": "http.response.body", "body": b""})
        finally:
            getattr(iterable, "close", lambda: None)()


class _Pages(WSGIMiddleware):
    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            responder = _Responder(self.app, self.executor, self.send_queue_size)
            return await responder(scope, receive, send)
        return await super().__call__(scope, receive, send)


streams = get_asgi_application()
pages = _Pages(get_wsgi_application(), workers=THREADS)  # type: ignore[arg-type]


async def application(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "http" and not is_stream(scope["path"]):
        await pages(scope, receive, send)
    else:
        await streams(scope, receive, send)

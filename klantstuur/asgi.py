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

streams = get_asgi_application()
pages = WSGIMiddleware(get_wsgi_application(), workers=THREADS)  # type: ignore[arg-type]


async def application(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "http" and not is_stream(scope["path"]):
        await pages(scope, receive, send)  # type: ignore[arg-type]
    else:
        await streams(scope, receive, send)

"""The ASGI entry point: streams on the event loop, everything else through WSGI."""

import asyncio
import inspect
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from klantstuur import asgi


def _routes(patterns: list[Any], prefix: str = "") -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for p in patterns:
        if isinstance(p, URLResolver):
            out += _routes(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            out.append((prefix + str(p.pattern), p.callback))
    return out


def test_every_async_view_is_served_as_a_stream() -> None:
    """A coroutine view outside STREAM_SUFFIX would be sent to the WSGI side and break."""
    routes = _routes(get_resolver().url_patterns)
    async_routes = [r for r, view in routes if inspect.iscoroutinefunction(view)]
    assert len(async_routes) >= 4  # floor, station board, runner, guest party
    for route in async_routes:
        assert asgi.is_stream("/" + route), route


def _get(path: str, headers: dict[str, str] | None = None) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=asgi.application)  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            return await c.get(path, headers=headers or {})

    # A thread of its own: Playwright's sync API may keep a loop running in this one.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, go()).result(timeout=30)


@pytest.mark.django_db(transaction=True)
def test_pages_and_api_answer_through_the_wsgi_side(world: Any) -> None:
    ok = _get("/healthz")
    assert ok.status_code == 200
    assert ok.json() == {"status": "ok"}
    refused = _get("/api/v1/needs")
    assert refused.status_code == 401
    assert refused.headers["content-type"].startswith("application/json")


@pytest.mark.django_db(transaction=True)
def test_streams_go_to_the_event_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []

    async def fake_streams(scope: dict[str, Any], receive: Any, send: Any) -> None:
        seen.append(scope["path"])
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    monkeypatch.setattr(asgi, "streams", fake_streams)
    assert _get("/console/floor/stream/").status_code == 204
    assert _get("/healthz").status_code == 200
    assert seen == ["/console/floor/stream/"]

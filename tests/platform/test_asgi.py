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


def _through_pages(wsgi_app: Any) -> httpx.Response:
    app = asgi._Pages(wsgi_app, workers=2)

    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            return await c.get("/x")

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, go()).result(timeout=30)


def test_a_whole_response_leaves_its_thread_without_waiting_for_the_loop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from django.http import HttpResponse

    def waited(self: Any, message: Any) -> None:
        raise AssertionError("the thread waited for the event loop")

    monkeypatch.setattr(asgi._Responder, "send", waited)

    def app(environ: Any, start_response: Any) -> Any:
        response = HttpResponse("a whole page", status=201, headers={"X-Test": "1"})
        start_response("201 Created", [*response.items()])
        return response

    r = _through_pages(app)
    assert (r.status_code, r.text, r.headers["x-test"]) == (201, "a whole page", "1")


def test_a_streaming_response_still_streams_chunk_by_chunk() -> None:
    from django.http import StreamingHttpResponse

    sent: list[Any] = []
    original = asgi._Responder.send

    def app(environ: Any, start_response: Any) -> Any:
        response = StreamingHttpResponse(iter([b"a;b\n", b"1;2\n"]), content_type="text/csv")
        start_response("200 OK", [*response.items()])
        return response

    def counted(self: Any, message: Any) -> None:
        sent.append(message["type"])
        original(self, message)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(asgi._Responder, "send", counted)
        r = _through_pages(app)
    assert (r.status_code, r.text) == (200, "a;b\n1;2\n")
    assert sent == ["http.response.start"] + ["http.response.body"] * 3

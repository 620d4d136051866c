"""Issue #15: every unhandled exception is logged with its traceback and request id, one
JSON object per line on stderr; every response carries the request id."""

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from klantstuur.core.observability import HEADER


@pytest.fixture
def stderr() -> Iterator[io.StringIO]:
    """The real handler settings.LOGGING configured, writing into a buffer."""
    handler = logging.getLogger("django.request").handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    buffer = io.StringIO()
    old = handler.setStream(buffer)
    try:
        yield buffer
    finally:
        handler.setStream(old)


@pytest.mark.parametrize(("path", "json_body"), [("/boom/", False), ("/api/v1/boom/", True)])
def test_an_unhandled_exception_is_one_json_line_with_traceback_and_request_id(
    db: Any, settings: Any, stderr: io.StringIO, path: str, json_body: bool
) -> None:
    settings.ROOT_URLCONF = "tests.hardening.boom_urls"
    r = Client(raise_request_exception=False).get(path)
    assert r.status_code == 500
    request_id = r[HEADER]
    assert len(request_id) == 32
    if json_body:
        assert r.json() == {"detail": "Internal error; nothing was changed."}
    lines = stderr.getvalue().splitlines()
    assert len(lines) == 1
    event = json.loads(lines[0])
    assert event["level"] == "ERROR"
    assert event["logger"] == "django.request"
    assert event["request_id"] == request_id
    assert event["path"] == path
    assert event["status_code"] == 500
    assert "Traceback (most recent call last)" in event["exc_info"]
    assert "RuntimeError: boom: a bug nobody caught" in event["exc_info"]


def test_every_response_carries_a_request_id_and_a_sane_incoming_one_is_kept(db: Any) -> None:
    client = Client()
    first, second = client.get("/healthz"), client.get("/console/login/")
    assert first[HEADER] != second[HEADER]
    kept = client.get("/healthz", HTTP_X_REQUEST_ID="proxy-1234abcd")
    assert kept[HEADER] == "proxy-1234abcd"
    for insane in ["short", "x" * 200, "bad id with spaces", "<script>alert(1)</script>"]:
        replaced = client.get("/healthz", HTTP_X_REQUEST_ID=insane)
        assert replaced[HEADER] != insane
        assert len(replaced[HEADER]) == 32


def test_an_application_log_line_carries_the_request_id(
    db: Any, settings: Any, stderr: io.StringIO
) -> None:
    """A line the app logs while handling a request names that request."""
    handler = logging.getLogger("django.request").handlers[0]
    logger = logging.getLogger("klantstuur.test")
    assert handler in logging.getLogger("klantstuur").handlers
    from klantstuur.core import observability

    token = observability.current.set("req-0000abcd")
    try:
        logger.warning("something to see", extra={"need_id": 7})
    finally:
        observability.current.reset(token)
    event = json.loads(stderr.getvalue().splitlines()[-1])
    assert event["request_id"] == "req-0000abcd"
    assert event["need_id"] == 7
    assert event["message"] == "something to see"


def test_sentry_gets_the_exception_tagged_with_the_request_id(db: Any, settings: Any) -> None:
    """A real Sentry ingest stand-in on loopback: the SDK's own HTTP envelope arrives."""
    import gzip
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    import sentry_sdk

    from klantstuur.core.observability import init_sentry

    received: list[bytes] = []

    class Ingest(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if self.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            received.append(body)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Ingest)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.ROOT_URLCONF = "tests.hardening.boom_urls"
    try:
        init_sentry(f"http://public@127.0.0.1:{server.server_port}/1", environment="test")
        r = Client(raise_request_exception=False).get("/boom/", HTTP_X_REQUEST_ID="req-sentry-42")
        sentry_sdk.flush(timeout=5)
    finally:
        sentry_sdk.init()  # no DSN: off again for the rest of the suite
        server.shutdown()
    assert r.status_code == 500
    events = [json.loads(line) for body in received for line in body.splitlines()[1:]]
    errors = [e for e in events if e.get("exception")]
    assert len(errors) == 1
    assert errors[0]["tags"]["request_id"] == "req-sentry-42"
    assert errors[0]["exception"]["values"][0]["value"] == "boom: a bug nobody caught"
    assert "cookies" not in errors[0].get("request", {})

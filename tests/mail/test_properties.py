"""Invariants of e-mail in and out, for any input (hypothesis)."""

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from klantstuur.mail.inbound import mail_receive
from klantstuur.mail.models import InboundMail
from klantstuur.needs.mailout import header_safe, thread_headers


@given(st.text())
def test_a_header_value_is_always_one_line(value: str) -> None:
    safe = header_safe(value)
    assert "\r" not in safe and "\n" not in safe
    assert not any(ord(c) < 32 for c in safe)
    assert len(safe) <= 200
    headers = thread_headers(need_id=1, event_id=2, audience="customer", answers=value)
    assert not any("\n" in v or "\r" in v for v in headers.values())


HEADERS = st.sampled_from(
    [b"From: ", b"To: ", b"Subject: ", b"Content-Type: ", b"Message-ID: ", b"Auto-Submitted: "]
)
LINES = st.lists(st.tuples(HEADERS, st.binary(max_size=60)), max_size=8)


@pytest.mark.django_db
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(lines=LINES, body=st.binary(max_size=300))
def test_any_bytes_get_an_answer_never_an_exception(world: Any, lines: Any, body: bytes) -> None:
    raw = b"".join(h + v.replace(b"\n", b" ") + b"\r\n" for h, v in lines) + b"\r\n" + body
    before = InboundMail.objects.count()
    result = mail_receive(raw=raw, via="smtp", recipients=["x@klantstuur.localhost"])
    assert 200 <= result.code < 600
    # Every message leaves one row saying what became of it.
    assert InboundMail.objects.count() == before + 1

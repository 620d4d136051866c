"""Invariants of e-mail in and out, for any input (hypothesis)."""

import base64
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from klantstuur.core import text_guard
from klantstuur.mail.inbound import mail_receive
from klantstuur.mail.models import InboundMail
from klantstuur.needs.mailout import header_safe, thread_headers
from klantstuur.needs.models import JournalEvent, Need


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


def _encoded(text: str) -> bytes:
    return b"=?utf-8?b?" + base64.b64encode(text.encode("utf-8", "surrogatepass")) + b"?="


@pytest.mark.django_db
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(subject=st.text(max_size=40), name=st.text(max_size=20), body=st.text(max_size=200))
def test_any_text_in_subject_name_and_body_is_taken_without_refused_characters(
    world: Any, subject: str, name: str, body: str
) -> None:
    """Issue #15: whatever a person's mail holds, it is taken (never a 451 or an
    exception, on PostgreSQL too) and nothing the text guard refuses is stored."""
    raw = (
        b"From: " + _encoded(name) + b" <piet@example.net>\r\n"
        b"To: x@klantstuur.localhost\r\nSubject: " + _encoded(subject) + b"\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n"
        + base64.encodebytes(body.encode("utf-8", "surrogatepass"))
    )
    many = {**django_settings.KLANTSTUUR, "THROTTLE": {"mail-sender": "1000/h"}}
    with override_settings(KLANTSTUUR=many):
        result = mail_receive(raw=raw, via="smtp", recipients=["x@klantstuur.localhost"])
    assert (result.code, result.outcome) == (250, "need_opened"), result.text
    need = Need.objects.select_related("customer").get(pk=result.need_id)
    stored = [need.summary, need.customer.name, InboundMail.objects.get(need=need).reason]
    stored += [str(e.data.get("body", "")) for e in JournalEvent.objects.filter(need=need)]
    assert not any(text_guard.refused(text) for text in stored)

"""The inbound-mail webhook: a raw RFC 822 message, signed (Standard Webhooks)."""

import base64
from datetime import UTC, datetime
from typing import Any

import pytest
from django.test import Client
from standardwebhooks.webhooks import Webhook

from klantstuur.mail.models import InboundMail
from klantstuur.needs.models import Need
from tests.conftest import World
from tests.helpers import assert_error

from .conftest import compose

SECRET = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()
URL = "/api/v1/mail/inbound"


@pytest.fixture
def secret(settings: Any) -> str:
    settings.KLANTSTUUR_MAIL = {**settings.KLANTSTUUR_MAIL, "WEBHOOK_SECRET": SECRET}
    return SECRET


def _post(
    raw: bytes, *, key: str = SECRET, content_type: str = "message/rfc822", msg_id: str = "msg_1"
) -> Any:
    now = datetime.now(tz=UTC)
    signature = Webhook(key).sign(msg_id=msg_id, timestamp=now, data=raw.decode("utf-8", "replace"))
    return Client().post(
        URL,
        raw,
        content_type=content_type,
        HTTP_WEBHOOK_ID=msg_id,
        HTTP_WEBHOOK_TIMESTAMP=str(int(now.timestamp())),
        HTTP_WEBHOOK_SIGNATURE=signature,
    )


def test_a_signed_message_opens_a_need(world: World, secret: str) -> None:
    raw = compose(message_id="<hook@example.net>").as_bytes()
    response = _post(raw)
    assert response.status_code == 202, response.content
    need = Need.objects.get()
    assert response.json() == {"outcome": "need_opened", "need_id": need.pk}
    # The provider's retry changes nothing.
    again = _post(raw, msg_id="msg_2")
    assert again.json() == {"outcome": "duplicate", "need_id": None}
    assert Need.objects.count() == 1


def test_unsigned_wrongly_signed_or_unconfigured_is_refused(world: World, settings: Any) -> None:
    raw = compose().as_bytes()
    assert_error(_post(raw), 401, "webhook-signature")  # no secret configured here
    settings.KLANTSTUUR_MAIL = {**settings.KLANTSTUUR_MAIL, "WEBHOOK_SECRET": SECRET}
    other = "whsec_" + base64.b64encode(b"another-secret-another-secret-00").decode()
    assert_error(_post(raw, key=other), 401, "webhook-signature")
    assert_error(Client().post(URL, raw, content_type="message/rfc822"), 401, "webhook-signature")
    assert Need.objects.count() == 0
    assert InboundMail.objects.count() == 0


def test_bad_content_malformed_and_oversized_name_the_field(
    world: World, secret: str, settings: Any
) -> None:
    assert_error(_post(b'{"a": 1}', content_type="application/json"), 415, "Content-Type")
    assert_error(_post(b"Subject: no sender\r\n\r\nhi\x00"), 422, "body")
    assert_error(_post(compose(to="nobody@elsewhere.example").as_bytes()), 422, "body")
    settings.KLANTSTUUR_MAIL = {**settings.KLANTSTUUR_MAIL, "MAX_MESSAGE_BYTES": 100}
    assert_error(_post(compose().as_bytes()), 413, "body")
    assert Need.objects.count() == 0


def test_the_hourly_limit_answers_429(world: World, secret: str, settings: Any) -> None:
    settings.KLANTSTUUR = {**settings.KLANTSTUUR, "THROTTLE": {"mail-sender": "1/h"}}
    assert _post(compose(subject="een").as_bytes(), msg_id="a").status_code == 202
    assert_error(_post(compose(subject="twee").as_bytes(), msg_id="b"), 429, "body")
    assert Need.objects.count() == 1

"""The inbound-mail webhook: a provider (Postmark, Mailgun, SES via a relay…) posts one
raw RFC 822 message, signed by the Standard Webhooks scheme (docs/mail.md)."""

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from standardwebhooks.webhooks import Webhook

from klantstuur.core.errors import DomainError, Invalid
from klantstuur.mail.inbound import mail_receive
from klantstuur.mail.models import Outcome

from .delivery import Unsigned

router = Router(tags=["mail"])

RAW_TYPES = ("message/rfc822", "application/octet-stream", "text/plain")


class Unsupported(DomainError):
    status = 415


class TooLarge(DomainError):
    status = 413


class TooMany(DomainError):
    status = 429


class InboundOut(Schema):
    outcome: str
    need_id: int | None


@router.post("/mail/inbound", auth=None, response={202: InboundOut})
def mail_inbound(request: HttpRequest) -> Any:
    """Body: one raw RFC 822 message (`Content-Type: message/rfc822`). Headers
    `webhook-id`, `webhook-timestamp`, `webhook-signature` (v1, HMAC-SHA256 of
    "id.timestamp.body" with `KLANTSTUUR_MAIL_WEBHOOK_SECRET`). Unsigned: 401; another
    content type: 415; too large: 413; malformed or to no address here: 422 (field
    `body`); too many new needs from the sender this hour: 429. The same message again
    answers 202 with `duplicate`: a provider's retry changes nothing."""
    secret = settings.KLANTSTUUR_MAIL["WEBHOOK_SECRET"]
    try:
        if not secret:
            raise ValueError("no secret configured")
        Webhook(secret).verify(request.body, dict(request.headers), json_parse=False)
    except Exception:
        raise Unsigned(
            _("The webhook signature is missing, wrong or too old."), field="webhook-signature"
        ) from None
    content_type = (request.content_type or "").lower()
    if content_type not in RAW_TYPES:
        raise Unsupported(_("Send the raw message as message/rfc822."), field="Content-Type")
    result = mail_receive(raw=request.body, via="webhook")
    if result.code == 552:
        raise TooLarge(result.text, field="body")
    if result.outcome == Outcome.RATE_LIMITED:
        raise TooMany(result.text, field="body")
    if not result.accepted:
        raise Invalid(result.text, field="body")
    return Status(202, {"outcome": result.outcome, "need_id": result.need_id})

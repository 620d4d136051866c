"""E-mail in: one raw message, from SMTP, IMAP or the webhook, to the need it belongs to.

``mail_receive`` routes by the address it was sent to (docs/mail.md):

* ``<slug>@<domain>`` — the business: a need opens with an owner at once, for the known
  customer of that address or a new one made from the sender; the acknowledgement
  (needs.notifications) names the owner.
* ``<slug>+<token>@<domain>`` — one need's reply address for one customer
  (needs.mailout): from that customer's own address the text lands on the need as
  their message (a contact), or reopens it when it was solved. From any other address
  it never lands there: it opens a need of the sender's own, and the owner reads an
  internal note on the first need saying so.

Automatic mail (auto-replies, bounces, lists) is logged and gets no answer; a sender
opens at most so many needs an hour, counted by the one throttling helper
(``core.throttle``, limit ``mail-sender``: 10 an hour) — past it the mail is refused for
now (SMTP 450: the sending server tries again later; IMAP leaves it unseen; the webhook
answers 429); too large or unreadable mail is refused with a reason. Control characters
are removed from what the sender wrote by the text guard's rule (mail.parsing) and the
log says so. Every message leaves one ``InboundMail`` row, written in the transaction of
what it changed.
"""

import logging
from dataclasses import dataclass
from typing import TypedDict

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils.translation import gettext as _

from klantstuur.businesses.models import Business
from klantstuur.core import text_guard, throttle
from klantstuur.core.errors import DomainError
from klantstuur.customers.models import Customer
from klantstuur.customers.services import customer_create, customer_with_email
from klantstuur.needs import events, services
from klantstuur.needs.journal import record
from klantstuur.needs.mailout import header_safe, mail_domain
from klantstuur.needs.models import Need, NeedKind, NeedStatus, ReplyAddress

from .models import ACCEPTED, Attachment, InboundMail, Outcome
from .parsing import Malformed, Parsed, parse

logger = logging.getLogger("klantstuur.mail")

EMAIL = "email"
# The throttle (core.throttle) of new needs one sender opens by e-mail.
SENDER_LIMIT = "mail-sender"


class Common(TypedDict):
    """What every log row of one message says besides its outcome."""

    via: str
    size: int
    business: Business
    recipient: str


@dataclass(frozen=True)
class Result:
    """What became of one message, and the SMTP answer that says so."""

    outcome: str
    code: int
    text: str
    need_id: int | None = None

    @property
    def accepted(self) -> bool:
        return self.code < 400

    @property
    def smtp_reply(self) -> str:
        return f"{self.code} {header_safe(self.text)}"


def _address(recipient: str) -> tuple[str, str] | None:
    """(slug, token) of one of our addresses, or None for anyone else's (an address with
    a control character is nobody's)."""
    if text_guard.refused(recipient):
        return None
    local, _at, domain = recipient.strip().strip("<>").lower().rpartition("@")
    if domain != mail_domain() or not local:
        return None
    slug, _plus, token = local.partition("+")
    return slug, token


def _log(
    parsed: Parsed | None,
    *,
    via: str,
    size: int,
    outcome: str,
    reason: str = "",
    business: Business | None = None,
    recipient: str = "",
    need_id: int | None = None,
) -> None:
    if parsed is not None and parsed.cleaned and not reason:
        reason = "control characters removed: " + ", ".join(parsed.cleaned)
    InboundMail.objects.create(
        business=business,
        via=via,
        size=size,
        message_id=parsed.message_id if parsed else "",
        sender=parsed.sender[:320] if parsed else "",
        recipient=recipient[:320],
        outcome=outcome,
        reason=header_safe(reason, limit=300),
        need_id=need_id,
    )


def _refuse(
    parsed: Parsed | None, *, via: str, size: int, code: int, reason: str, recipient: str = ""
) -> Result:
    logger.warning("inbound mail refused (%s): %s", via, reason)
    _log(parsed, via=via, size=size, outcome=Outcome.REJECTED, reason=reason, recipient=recipient)
    return Result(Outcome.REJECTED, code, reason)


def mail_receive(
    *,
    raw: bytes,
    via: str,
    envelope_from: str | None = None,
    recipients: list[str] | None = None,
    default_recipient: str = "",
) -> Result:
    """Take one message. Never raises on what a sender can send: a refusal is a Result.

    ``recipients``: the envelope's (SMTP); else the message's own To, Cc and
    Delivered-To; ``default_recipient`` when none of those is ours (a business's own
    mailbox fetched by IMAP)."""
    size = len(raw)
    if size > settings.KLANTSTUUR_MAIL["MAX_MESSAGE_BYTES"]:
        return _refuse(None, via=via, size=size, code=552, reason=_("Message too large."))
    try:
        parsed = parse(raw, envelope_from=envelope_from)
    except Malformed as exc:
        return _refuse(None, via=via, size=size, code=550, reason=f"Malformed message: {exc}")
    if parsed.cleaned:
        logger.warning(
            "inbound mail (%s): control characters removed from %s",
            via,
            ", ".join(parsed.cleaned),
        )
    candidates = (recipients or parsed.recipients) + (
        [default_recipient] if default_recipient else []
    )
    ours = [(r, a) for r in candidates if (a := _address(r))]
    if not ours:
        return _refuse(parsed, via=via, size=size, code=550, reason=_("No such mailbox here."))
    recipient, (slug, token) = ours[0]
    business = Business.objects.filter(slug=slug).first()
    if business is None:
        return _refuse(
            parsed,
            via=via,
            size=size,
            code=550,
            reason=_("No such mailbox here."),
            recipient=recipient,
        )
    common: Common = {"via": via, "size": size, "business": business, "recipient": recipient}
    if parsed.automatic:
        # No contact, and no answer: two systems never answer each other in a loop.
        logger.info("automatic mail ignored: %s", parsed.automatic)
        _log(parsed, outcome=Outcome.IGNORED, reason=parsed.automatic, **common)
        return Result(Outcome.IGNORED, 250, "Accepted (automatic mail, not answered)")
    if _seen(business, parsed.message_id):
        _log(parsed, outcome=Outcome.DUPLICATE, **common)
        return Result(Outcome.DUPLICATE, 250, "Already received")
    try:
        if token:
            return _to_reply_address(parsed, token, common)
        return _open(parsed, common, outcome=Outcome.NEED_OPENED)
    except DomainError as exc:  # e.g. a business without staff yet
        return _refuse(
            parsed, via=via, size=size, code=451, reason=exc.message, recipient=recipient
        )


def _seen(business: Business, message_id: str) -> bool:
    if not message_id:
        return False
    return InboundMail.objects.filter(
        business=business, message_id=message_id, outcome__in=ACCEPTED
    ).exists()


def _customer(business: Business, parsed: Parsed) -> Customer:
    found = customer_with_email(business.pk, parsed.sender)
    if found is not None:
        return found
    name = parsed.sender_name or parsed.sender.partition("@")[0]
    try:
        return customer_create(business=business, name=name, email=parsed.sender)
    except DomainError:  # made at the same moment by another message of theirs
        again = customer_with_email(business.pk, parsed.sender)
        if again is None:
            raise
        return again


def _body(parsed: Parsed) -> str:
    text = parsed.text or parsed.subject or _("(an e-mail without text)")
    if parsed.left_out:
        text += "\n\n" + _("Not kept: %(files)s") % {"files": "; ".join(parsed.left_out)}
    return text


def _keep_files(need: Need, parsed: Parsed) -> list[events.AttachmentRef]:
    if not parsed.files:
        return []
    rows = Attachment.objects.bulk_create(
        [
            Attachment(
                business_id=need.business_id,
                need=need,
                filename=f.name,
                content_type=f.content_type,
                size=len(f.data),
                data=f.data,
            )
            for f in parsed.files
        ]
    )
    return [{"id": a.pk, "name": a.filename, "size": a.size, "type": a.content_type} for a in rows]


def _open(parsed: Parsed, common: Common, *, outcome: str, note_on: Need | None = None) -> Result:
    """A new need for the sender, with their e-mail as its first message. Each one
    counts against the sender's hourly limit (``core.throttle``, counted atomically in
    the cache, so two mails at once cannot both slip past it)."""
    if throttle.hit(SENDER_LIMIT, parsed.sender) is not None:
        _log(parsed, outcome=Outcome.RATE_LIMITED, reason="hourly limit", **common)
        return Result(
            Outcome.RATE_LIMITED, 450, _("Too many new requests from you this hour; try later.")
        )
    with transaction.atomic():
        customer = _customer(common["business"], parsed)
        summary = parsed.subject or parsed.text.split("\n", 1)[0] or _("E-mail")
        need = services.need_open(
            customer=customer,
            kind=NeedKind.QUESTION,
            summary=summary[:300],
            channel=EMAIL,
            message_id=parsed.message_id,
        )
        files = _keep_files(need, parsed)
        record(
            events.customer_message(_body(parsed), channel=EMAIL, attachments=files),
            need=need,
            actor_customer=customer,
        )
        if note_on is not None:
            _note_elsewhere(note_on, parsed, need)
        _log(parsed, outcome=outcome, need_id=need.pk, **common)
    return Result(outcome, 250, _("Received; need #%(id)s") % {"id": need.pk}, need.pk)


def _note_elsewhere(need: Need, parsed: Parsed, opened: Need) -> None:
    """Said on the first need's page, for its staff only."""
    text = _(
        "An e-mail from %(sender)s to this need's reply address was not added here: it "
        "is not the customer's own address. It opened need #%(id)s instead."
    ) % {"sender": parsed.sender, "id": opened.pk}
    record(events.internal_note(text), need=need)


def _to_reply_address(parsed: Parsed, token: str, common: Common) -> Result:
    found = (
        ReplyAddress.objects.select_related("need", "customer")
        .filter(token=token, business=common["business"])
        .first()
    )
    if found is None:
        return _refuse(
            parsed,
            via=common["via"],
            size=common["size"],
            code=550,
            reason=_("No such mailbox here."),
            recipient=common["recipient"],
        )
    customer, need = found.customer, found.need
    if (customer.email or "").lower() != parsed.sender:
        return _open(parsed, common, outcome=Outcome.REDIRECTED, note_on=need)
    if need.status == NeedStatus.CANCELLED:
        # Withdrawn by the customer: what they write now is a new need.
        return _open(parsed, common, outcome=Outcome.NEED_OPENED)
    with transaction.atomic():
        files = _keep_files(need, parsed)
        if need.status == NeedStatus.SOLVED:
            services.need_reopen(
                customer=customer,
                need=need,
                reason=_body(parsed)[:2000],
                channel=EMAIL,
                attachments=files,
            )
            outcome = Outcome.REOPENED
        else:
            services.message_post_by_customer(
                customer=customer, need=need, body=_body(parsed), channel=EMAIL, attachments=files
            )
            outcome = Outcome.MESSAGE_ADDED
        _log(parsed, outcome=outcome, need_id=need.pk, **common)
    return Result(outcome, 250, _("Received; need #%(id)s") % {"id": need.pk}, need.pk)


def bounce(*, to: str, reason: str, subject: str = "") -> None:
    """A refusal told to the sender by e-mail (IMAP and the webhook; SMTP says it in the
    session). Marked automatic, so a sane system never answers it."""
    if not to or "@" not in to:
        return
    message = EmailMessage(
        header_safe(_("Not delivered: %(subject)s") % {"subject": subject or "-"}),
        _("Your e-mail could not be taken: %(reason)s") % {"reason": reason},
        settings.DEFAULT_FROM_EMAIL,
        [to],
        headers={"Auto-Submitted": "auto-replied"},
    )
    try:
        message.send()
    except Exception:
        logger.exception("bounce to %s could not be sent", to)

"""Reading one raw RFC 822 message: who wrote it, to whom, is it automatic, the new text
of it and the files it brought. Python's ``email`` package (``policy.default``) parses;
``mail-parser-reply`` strips the quoted history and signature; ``html2text`` turns an
HTML-only mail into text. Nothing here writes: mail.inbound decides.

Text goes through the system's one rule (``core.text_guard``, ADR 0015): the characters
it refuses (NUL, other control characters, lone surrogates) are removed from what a
person wrote — subject, name, Message-ID, body, file names — and ``Parsed.cleaned`` names
those fields, for the log. A mail cannot be sent back to be corrected, and a stray control
character is no reason to lose a customer's words. An address holding one is no address:
the From is ``Malformed`` (refused with a reason), a recipient is nobody's here.
"""

import email
import mimetypes
import re
from dataclasses import dataclass, field
from email import policy
from email.header import decode_header, make_header
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr

import html2text
from django.conf import settings
from mailparser_reply import EmailReplyParser

from klantstuur.core import text_guard

# What a customer may send a shop: pictures, documents, plain text. Nothing a computer
# runs: a type outside this list is left out, whatever its name says.
ALLOWED_TYPES = frozenset(
    {
        "image/jpeg",
        "image/png",
        "image/gif",
        "image/webp",
        "image/heic",
        "application/pdf",
        "text/plain",
        "text/csv",
    }
)
AUTOMATIC_SENDERS = re.compile(
    r"^(mailer-daemon|postmaster|no-?reply|do-?not-?reply|bounces?)([+._-].*)?$", re.I
)
# "Op 4 dec. 2026 om 10:00 schreef Noor <noor@…>:", "On Fri, … Noor wrote:" and the like:
# where the quoted history begins, when the reply library did not see it.
QUOTE_HEADER = re.compile(
    r"^\s*((Op|On|Am|Le)\s.{4,200}(schreef|wrote|schrieb|écrit)[^\n]*:|-{2,}\s*(Original|Oorspronkelijk)[^\n]*-{2,})\s*$",
    re.I | re.M,
)
REPLY_LANGUAGES = ["nl", "en", "de", "fr"]


class Malformed(Exception):
    """Not a message we can read (no sender, not RFC 822)."""


@dataclass(frozen=True)
class File:
    name: str
    content_type: str
    data: bytes


@dataclass
class Parsed:
    sender: str  # the From address, lower case
    sender_name: str
    recipients: list[str]  # To, Cc and Delivered-To, lower case
    message_id: str
    subject: str
    automatic: str  # why it is an automatic mail ("" when a person wrote it)
    text: str  # the new text, history and signature stripped
    files: list[File] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)  # files refused, with the reason
    cleaned: list[str] = field(default_factory=list)  # fields refused characters left


def _clean(value: str, name: str, cleaned: list[str]) -> str:
    """The value by the text guard's rule, noting the field when something was removed."""
    if not text_guard.refused(value):
        return value
    if name not in cleaned:
        cleaned.append(name)
    return text_guard.cleaned(value)


def automatic_reason(message: EmailMessage, sender: str, envelope_from: str | None) -> str:
    """Why this is no person writing (loop protection), or ""."""
    auto = str(message.get("Auto-Submitted", "")).strip().lower()
    if auto and auto != "no":
        return f"Auto-Submitted: {auto[:40]}"
    precedence = str(message.get("Precedence", "")).strip().lower()
    if precedence in ("bulk", "junk", "list"):
        return f"Precedence: {precedence}"
    if message.get("List-Id") or message.get("List-Unsubscribe"):
        return "mailing list"
    if message.get("X-Autoreply") or message.get("X-Autorespond"):
        return "auto-reply"
    if message.get_content_type() == "multipart/report":
        return "delivery report"
    if envelope_from is not None and envelope_from.strip() in ("", "<>"):
        return "bounce (empty envelope sender)"
    local = sender.partition("@")[0]
    if AUTOMATIC_SENDERS.match(local):
        return f"automatic sender {local[:40]}"
    return ""


def _text_of(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain", "html"))
    if body is None:
        return ""
    try:
        content = body.get_content()
    except (LookupError, UnicodeError, AssertionError):
        payload = body.get_payload(decode=True) or b""
        content = payload.decode("utf-8", errors="replace") if isinstance(payload, bytes) else ""
    if not isinstance(content, str):
        return ""
    if body.get_content_type() == "text/html":
        converter = html2text.HTML2Text()
        converter.ignore_images = True
        converter.body_width = 0
        content = converter.handle(content)
    return content


def new_text(text: str) -> str:
    """The reply without what it quotes and without the signature."""
    text = text.replace("\r\n", "\n")
    cut = QUOTE_HEADER.search(text)
    if cut:
        text = text[: cut.start()]
    try:
        replies = EmailReplyParser(languages=REPLY_LANGUAGES).read(text=text).replies
        reply = replies[0].body if replies else None
    except Exception:  # the library's regexes on odd input: keep the whole text
        reply = None
    text = reply if reply and reply.strip() else text
    # Trailing quoted lines ("> …") a client left without a header line.
    lines = text.rstrip().split("\n")
    while lines and lines[-1].lstrip().startswith(">"):
        lines.pop()
    # The usual signature separator ("-- ").
    for i, line in enumerate(lines):
        if line.rstrip() == "--":
            lines = lines[:i]
            break
    return "\n".join(lines).strip()


def _files(message: EmailMessage, cleaned: list[str]) -> tuple[list[File], list[str]]:
    limits = settings.KLANTSTUUR_MAIL
    files: list[File] = []
    left_out: list[str] = []
    for part in message.iter_attachments():
        if not isinstance(part, EmailMessage):
            continue
        name = _clean(part.get_filename() or "attachment", "filename", cleaned)[:200]
        declared = part.get_content_type()
        guessed = mimetypes.guess_type(name)[0]
        if declared not in ALLOWED_TYPES or (guessed is not None and guessed not in ALLOWED_TYPES):
            left_out.append(f"{name}: type not accepted")
            continue
        data = part.get_payload(decode=True)
        if not isinstance(data, bytes):
            left_out.append(f"{name}: unreadable")
            continue
        if len(data) > limits["MAX_ATTACHMENT_BYTES"]:
            left_out.append(f"{name}: too large")
            continue
        if len(files) >= limits["MAX_ATTACHMENTS"]:
            left_out.append(f"{name}: too many files")
            continue
        files.append(File(name=name, content_type=declared, data=data))
    return files, left_out


def _from(message: EmailMessage) -> tuple[str, str]:
    """(name, address) of the From header. The strict parser refuses a name whose encoded
    words hold a line break; the header's raw text, decoded leniently, still names them."""
    try:
        return parseaddr(str(message.get("From", "")))
    except Exception:
        raw = next((v for k, v in message.raw_items() if k.lower() == "from"), "")
        decoded = str(make_header(decode_header(raw)))
        return parseaddr(" ".join(decoded.split()))


def parse(raw: bytes, *, envelope_from: str | None = None) -> Parsed:
    try:
        message = email.message_from_bytes(raw, policy=policy.default)
    except Exception as exc:  # the parser is lenient; this is truly broken input
        raise Malformed(str(exc)[:200]) from None
    assert isinstance(message, EmailMessage)
    cleaned: list[str] = []
    try:
        name, address = _from(message)
        recipients = [
            a.lower()
            for _n, a in getaddresses(
                [str(v) for h in ("To", "Cc", "Delivered-To") for v in message.get_all(h, [])]
            )
            if a
        ]
        subject = " ".join(_clean(str(message.get("Subject", "")), "subject", cleaned).split())
        message_id = _clean(str(message.get("Message-ID", "")), "message-id", cleaned)
        message_id = message_id.strip()[:300]
    except Exception as exc:  # a header the parser could not make sense of
        raise Malformed(f"unreadable header: {str(exc)[:150]}") from None
    address = address.strip().lower()
    if text_guard.refused(address):
        raise Malformed("control characters in the sender address (From)")
    if "@" not in address:
        raise Malformed("no sender address (From)")
    sender_name = " ".join(_clean(name, "from-name", cleaned).split())[:200]
    text = _clean(new_text(_text_of(message)), "body", cleaned)[:10_000]
    files, left_out = _files(message, cleaned)
    return Parsed(
        sender=address,
        sender_name=sender_name,
        recipients=recipients,
        message_id=message_id,
        subject=subject[:300],
        automatic=automatic_reason(message, address, envelope_from),
        text=text,
        files=files,
        left_out=left_out,
        cleaned=cleaned,
    )

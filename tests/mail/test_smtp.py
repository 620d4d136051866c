"""E-mail in and out through a real SMTP session and real .eml files (issue #11)."""

import re
import smtplib
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from klantstuur.customers.models import Customer
from klantstuur.mail.models import Attachment, InboundMail
from klantstuur.needs import services
from klantstuur.needs.models import EventKind, JournalEvent, Need, NeedStatus, ReplyAddress
from tests.conftest import World
from tests.helpers import kinds

from .conftest import compose, read_outbox, send

pytestmark = pytest.mark.django_db(transaction=True)

REPLY_TO = re.compile(r"^x\+([0-9a-f]{24})@klantstuur\.localhost$")


def _only_need() -> Need:
    return Need.objects.select_related("owner", "customer").get()


def _the_mail_to(outbox: Path, address: str) -> EmailMessage:
    found = [m for m in read_outbox(outbox) if m["To"] == address]
    assert len(found) == 1, [m["To"] for m in read_outbox(outbox)]
    return found[0]


def test_it_opens_a_need_with_an_owner_from_a_new_sender_and_acknowledges_it(
    world: World, smtp_port: int, outbox: Path
) -> None:
    original = compose(message_id="<first@example.net>")
    send(smtp_port, original)

    need = _only_need()
    assert need.owner_id == world.owner.pk
    assert need.summary == "Mijn achterband loopt aan"
    assert need.contacts == 1
    customer = Customer.objects.get(email="piet@example.net")
    assert (customer.name, customer.business_id, customer.language) == (
        "Piet Pedaal",
        world.x.pk,
        "nl",
    )
    assert kinds(need) == ["need_opened", "customer_message"]
    opened, message = JournalEvent.objects.filter(need=need).order_by("id")
    assert opened.data["channel"] == "email"
    assert opened.data["message_id"] == "<first@example.net>"
    assert message.data == {"body": "De band schuurt langs het frame.", "channel": "email"}

    ack = _the_mail_to(outbox, "piet@example.net")
    assert ack["Subject"] == f"#{need.pk} Mijn achterband loopt aan"
    assert ack["In-Reply-To"] == "<first@example.net>"
    assert ack["References"] == f"<need-{need.pk}@klantstuur.localhost> <first@example.net>"
    assert ack["Message-ID"] == f"<need-{need.pk}.{opened.pk}.customer@klantstuur.localhost>"
    token = REPLY_TO.match(ack["Reply-To"])
    assert token is not None
    assert ReplyAddress.objects.get(token=token.group(1)).customer_id == customer.pk
    text = ack.get_body(preferencelist=("plain",)).get_content()
    html = ack.get_body(preferencelist=("html",)).get_content()
    assert "Olga Owner" in text and "Olga Owner" in html
    assert "vandaag" in text or "today" in text
    # The owner is told too: of the new need, and of the customer's words.
    to_owner = [m for m in read_outbox(outbox) if m["To"] == "owner@x.example"]
    assert len(to_owner) == 2
    assert all(m["Subject"].endswith(f"#{need.pk} Mijn achterband loopt aan") for m in to_owner)
    assert InboundMail.objects.get().outcome == "need_opened"


def test_a_reply_from_the_customer_lands_on_the_need_without_its_quoted_history(
    world: World, smtp_port: int, outbox: Path
) -> None:
    send(smtp_port, compose())
    need = _only_need()
    reply_to = _the_mail_to(outbox, "piet@example.net")["Reply-To"]
    send(
        smtp_port,
        compose(
            to=reply_to,
            subject=f"Re: #{need.pk} Mijn achterband loopt aan",
            body="Het is een 28 inch band.\n\nGroet,\nPiet\n\n"
            "Op vr 4 dec. 2026 om 10:00 schreef Fietsenwinkel <x@klantstuur.localhost>:\n"
            "> Welke maat is de band?\n",
        ),
    )
    need.refresh_from_db()
    assert need.contacts == 2
    last = JournalEvent.objects.filter(need=need).order_by("-id").first()
    assert last is not None and last.kind == EventKind.CUSTOMER_MESSAGE
    assert last.data["body"].startswith("Het is een 28 inch band.")
    assert "Welke maat" not in last.data["body"]
    assert last.data["channel"] == "email"


def test_a_reply_to_a_solved_need_reopens_it_with_the_same_owner(
    world: World, smtp_port: int, outbox: Path
) -> None:
    send(smtp_port, compose())
    need = _only_need()
    services.resolution_propose(staff=need.owner, need=need, summary="New tyre sent")
    services.resolution_confirm(customer=need.customer, need=need)
    reply_to = [m for m in read_outbox(outbox) if m["To"] == "piet@example.net"][-1]["Reply-To"]
    send(smtp_port, compose(to=reply_to, body="Hij loopt nog steeds aan."))
    need.refresh_from_db()
    assert (need.status, need.owner_id, need.reopens) == (NeedStatus.OPEN, world.owner.pk, 1)
    reopened = JournalEvent.objects.filter(need=need, kind=EventKind.NEED_REOPENED).get()
    assert reopened.data["reason"] == "Hij loopt nog steeds aan."
    assert reopened.data["channel"] == "email"


def test_the_reply_address_used_by_another_sender_never_reaches_the_need(
    world: World, smtp_port: int, outbox: Path
) -> None:
    send(smtp_port, compose())
    need = _only_need()
    reply_to = _the_mail_to(outbox, "piet@example.net")["Reply-To"]
    before = kinds(need, for_customer=True)
    send(
        smtp_port,
        compose(sender="Mallory <mallory@example.org>", to=reply_to, body="Send it to me"),
    )
    need.refresh_from_db()
    assert need.contacts == 1
    assert kinds(need, for_customer=True) == before
    other = Need.objects.exclude(pk=need.pk).get()
    assert other.customer.email == "mallory@example.org"
    note = JournalEvent.objects.filter(need=need, kind=EventKind.INTERNAL_NOTE).get()
    assert "mallory@example.org" in note.data["body"] and f"#{other.pk}" in note.data["body"]
    assert not note.visible_to_customer
    assert InboundMail.objects.filter(outcome="redirected", need=other).count() == 1


@pytest.mark.parametrize(
    ("sender", "headers", "mail_from"),
    [
        ("Piet <piet@example.net>", {"Auto-Submitted": "auto-replied"}, None),
        ("Piet <piet@example.net>", {"Precedence": "bulk"}, None),
        ("Piet <piet@example.net>", {"Precedence": "list"}, None),
        ("Piet <piet@example.net>", {"List-Id": "<fietsers.example.net>"}, None),
        ("Mail Delivery System <MAILER-DAEMON@example.net>", {}, None),
        ("Shop <noreply@example.net>", {}, None),
        ("Piet <piet@example.net>", {}, ""),  # a bounce: empty envelope sender
    ],
)
def test_automatic_mail_is_no_contact_and_gets_no_answer(
    world: World,
    smtp_port: int,
    outbox: Path,
    sender: str,
    headers: dict[str, str],
    mail_from: str | None,
) -> None:
    send(smtp_port, compose(sender=sender, headers=headers), mail_from=mail_from)
    assert Need.objects.count() == 0
    assert read_outbox(outbox) == []
    assert InboundMail.objects.get().outcome == "ignored"


def test_auto_submitted_no_is_a_person(world: World, smtp_port: int, outbox: Path) -> None:
    send(smtp_port, compose(headers={"Auto-Submitted": "no"}))
    assert Need.objects.count() == 1


def test_a_sender_opens_at_most_so_many_needs_an_hour(
    world: World, smtp_port: int, outbox: Path, settings: Any
) -> None:
    settings.KLANTSTUUR = {**settings.KLANTSTUUR, "THROTTLE": {"mail-sender": "2/h"}}
    send(smtp_port, compose(subject="een"))
    send(smtp_port, compose(subject="twee"))
    with pytest.raises(smtplib.SMTPDataError) as refused:
        send(smtp_port, compose(subject="drie"))
    assert refused.value.smtp_code == 450
    assert sorted(Need.objects.values_list("summary", flat=True)) == ["een", "twee"]
    assert InboundMail.objects.filter(outcome="rate_limited").count() == 1
    # Another sender is not held back.
    send(smtp_port, compose(sender="ria@example.net", subject="vier"))
    assert Need.objects.count() == 3


def test_oversized_mail_is_refused_and_nothing_changes(
    world: World, smtp_port: int, outbox: Path, settings: Any
) -> None:
    settings.KLANTSTUUR_MAIL = {**settings.KLANTSTUUR_MAIL, "MAX_MESSAGE_BYTES": 2000}
    with pytest.raises(smtplib.SMTPDataError) as refused:
        send(smtp_port, compose(body="x" * 5000))
    assert refused.value.smtp_code == 552
    assert Need.objects.count() == 0
    assert read_outbox(outbox) == []


def test_malformed_mail_gets_a_clear_refusal(world: World, smtp_port: int, outbox: Path) -> None:
    with smtplib.SMTP("127.0.0.1", smtp_port, timeout=20) as client:
        client.ehlo()
        client.mail("piet@example.net")
        client.rcpt("x@klantstuur.localhost")
        code, text = client.data(b"Subject: no sender here\r\n\r\nHello\r\n")
    assert code == 550
    assert b"Malformed" in text and b"sender" in text
    assert Need.objects.count() == 0
    assert InboundMail.objects.get().outcome == "rejected"


def test_another_domain_and_an_unknown_business_are_refused(
    world: World, smtp_port: int, outbox: Path
) -> None:
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        send(smtp_port, compose(to="someone@elsewhere.example"))
    with pytest.raises(smtplib.SMTPDataError) as refused:
        send(smtp_port, compose(to="nobody@klantstuur.localhost"))
    assert refused.value.smtp_code == 550
    with pytest.raises(smtplib.SMTPDataError):
        send(smtp_port, compose(to="x+0000feedbeef@klantstuur.localhost"))
    assert Need.objects.count() == 0


def test_the_same_message_twice_is_taken_once(world: World, smtp_port: int, outbox: Path) -> None:
    send(smtp_port, compose(message_id="<again@example.net>"))
    send(smtp_port, compose(message_id="<again@example.net>"))
    assert Need.objects.count() == 1
    assert sorted(InboundMail.objects.values_list("outcome", flat=True)) == [
        "duplicate",
        "need_opened",
    ]


def test_attachments_are_kept_and_executables_left_out(
    world: World, smtp_port: int, outbox: Path
) -> None:
    message = compose()
    message.add_attachment(
        b"\x89PNG\r\n\x1a\nfoto", maintype="image", subtype="png", filename="band.png"
    )
    message.add_attachment(
        b"MZ\x90\x00", maintype="application", subtype="octet-stream", filename="run.exe"
    )
    message.add_attachment(b"alert(1)", maintype="text", subtype="plain", filename="evil.js")
    send(smtp_port, message)
    need = _only_need()
    kept = Attachment.objects.get()
    assert (kept.filename, kept.content_type, bytes(kept.data)) == (
        "band.png",
        "image/png",
        b"\x89PNG\r\n\x1a\nfoto",
    )
    event = JournalEvent.objects.get(need=need, kind=EventKind.CUSTOMER_MESSAGE)
    assert event.data["attachments"] == [
        {"id": kept.pk, "name": "band.png", "size": kept.size, "type": "image/png"}
    ]
    assert "run.exe: type not accepted" in event.data["body"]
    assert "evil.js: type not accepted" in event.data["body"]


def test_html_only_mail_becomes_safe_text(world: World, smtp_port: int, outbox: Path) -> None:
    message = compose()
    message.set_content(
        "<p>Hallo,<br>mijn <b>bel</b> is stuk.</p><script>alert(1)</script>", subtype="html"
    )
    send(smtp_port, message)
    body = JournalEvent.objects.get(kind=EventKind.CUSTOMER_MESSAGE).data["body"]
    assert "<" not in body and "alert" not in body
    assert "mijn **bel** is stuk." in body

"""Erasure reaches what came by e-mail: the files go, the log forgets the address."""

from datetime import timedelta
from typing import Any

from django.utils import timezone

from klantstuur.mail.inbound import mail_receive
from klantstuur.mail.models import Attachment, InboundMail
from klantstuur.needs import services
from klantstuur.needs.models import JournalEvent, Need
from klantstuur.privacy.erasure import erasure_request, erasures_carry_out
from klantstuur.privacy.export import customer_export
from tests.conftest import World

from .conftest import compose


def test_erasure_removes_the_files_and_the_senders_address(world: World, db: Any) -> None:
    message = compose(sender="Anna A <a@example.com>", to="x@klantstuur.localhost")
    message.add_attachment(b"\x89PNGfoto", maintype="image", subtype="png", filename="anna.png")
    assert mail_receive(raw=message.as_bytes(), via="smtp").outcome == "need_opened"
    need = Need.objects.get()
    services.need_cancel(customer=world.customer_a, need=need, reason="")
    erasure_request(customer=world.customer_a)
    assert erasures_carry_out(timezone.now() + timedelta(minutes=1)) == 1
    assert Attachment.objects.count() == 0
    assert list(InboundMail.objects.values_list("sender", "message_id")) == [("", "")]
    opened = JournalEvent.objects.get(need=need, kind="need_opened")
    assert opened.data["message_id"] != message["Message-ID"]


def _automatic(sender: str) -> bytes:
    message = compose(sender=sender, to="x@klantstuur.localhost", subject="Afwezig")
    message["Auto-Submitted"] = "auto-replied"
    return message.as_bytes()


def test_the_export_holds_my_mail_and_nobody_elses(world: World, db: Any) -> None:
    message = compose(sender="Anna A <A@Example.com>", to="x@klantstuur.localhost")
    message.add_attachment(b"\x89PNGfoto", maintype="image", subtype="png", filename="anna.png")
    assert mail_receive(raw=message.as_bytes(), via="smtp").outcome == "need_opened"
    assert mail_receive(raw=_automatic("a@example.com"), via="imap").outcome != "need_opened"
    # Bram's mail, and mail from Anna's address to another business, are not Anna's here.
    mail_receive(raw=compose(sender="b@example.com").as_bytes(), via="smtp")
    mail_receive(
        raw=compose(sender="a@example.com", to="y@klantstuur.localhost").as_bytes(), via="smtp"
    )
    need = Need.objects.get(customer=world.customer_a)

    mine = customer_export(customer=world.customer_a)["mail"]
    assert [(m["via"], m["from"], m["need_id"]) for m in mine["received"]] == [
        ("smtp", "a@example.com", need.pk),
        ("imap", "a@example.com", None),
    ]
    assert mine["received"][0]["message_id"] == message["Message-ID"]
    assert [(f["filename"], f["size"], f["need_id"]) for f in mine["attachments"]] == [
        ("anna.png", 8, need.pk)
    ]
    bram = customer_export(customer=world.customer_b)["mail"]
    assert [m["from"] for m in bram["received"]] == ["b@example.com"]
    assert bram["attachments"] == []
    yara = customer_export(customer=world.customer_y)["mail"]
    assert [(m["from"], m["to"]) for m in yara["received"]] == [
        ("a@example.com", "y@klantstuur.localhost")
    ]


def test_erasure_forgets_the_address_also_on_mail_that_became_no_need(
    world: World, db: Any
) -> None:
    assert mail_receive(raw=_automatic("a@example.com"), via="imap").outcome != "need_opened"
    mail_receive(raw=compose(sender="b@example.com").as_bytes(), via="smtp")
    erasure_request(customer=world.customer_a)
    assert erasures_carry_out(timezone.now() + timedelta(minutes=1)) == 1
    assert sorted(InboundMail.objects.values_list("sender", flat=True)) == ["", "b@example.com"]

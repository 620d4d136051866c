"""Erasure reaches what came by e-mail: the files go, the log forgets the address."""

from datetime import timedelta
from typing import Any

from django.utils import timezone

from klantstuur.mail.inbound import mail_receive
from klantstuur.mail.models import Attachment, InboundMail
from klantstuur.needs import services
from klantstuur.needs.models import JournalEvent, Need
from klantstuur.privacy.erasure import erasure_request, erasures_carry_out
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

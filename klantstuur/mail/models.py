"""E-mail in: what arrived and what became of it, and the files it brought (docs/mail.md)."""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from klantstuur.businesses.models import Business
from klantstuur.needs.models import Need


class Outcome(models.TextChoices):
    # A new need, from a known customer or one made from the sender.
    NEED_OPENED = "need_opened", _("Need opened")
    # A reply from the customer's own address, on the need of its reply address.
    MESSAGE_ADDED = "message_added", _("Message added")
    # The same, to a solved need: it is open again with the same owner.
    REOPENED = "reopened", _("Need reopened")
    # A need's reply address written to from another address: a need of the sender's own.
    REDIRECTED = "redirected", _("Opened a need of the sender's own")
    # An auto-reply, bounce or list mail: no contact, no answer.
    IGNORED = "ignored", _("Ignored (automatic mail)")
    # Too many new needs from this sender this hour: refused for now, to be sent again.
    RATE_LIMITED = "rate_limited", _("Refused for now (too many)")
    # Too large, malformed or to no address of ours: refused with a reason.
    REJECTED = "rejected", _("Refused")
    # The same Message-ID again (a retry of the relay or the mailbox): nothing new.
    DUPLICATE = "duplicate", _("Already received")


# Outcomes that put the mail on a need: a second copy of one of them is a duplicate.
ACCEPTED = (Outcome.NEED_OPENED, Outcome.MESSAGE_ADDED, Outcome.REOPENED, Outcome.REDIRECTED)


class InboundMail(models.Model):
    """One message received (SMTP, IMAP or the webhook), and what became of it."""

    business = models.ForeignKey(
        Business, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    received_at = models.DateTimeField(default=timezone.now)
    via = models.CharField(max_length=10)
    message_id = models.CharField(max_length=300, blank=True, default="")
    sender = models.CharField(max_length=320, blank=True, default="")
    recipient = models.CharField(max_length=320, blank=True, default="")
    size = models.PositiveIntegerField(default=0)
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    reason = models.CharField(max_length=300, blank=True, default="")
    need = models.ForeignKey(
        Need, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        indexes = [
            # A retried delivery of the same message is recognised.
            models.Index(
                fields=["business", "message_id"],
                name="inbound_by_message_id",
                condition=~Q(message_id=""),
            ),
            models.Index(fields=["-received_at"], name="inbound_latest"),
            # The customer's export and erasure: what their address sent their business.
            models.Index(fields=["business", "sender"], name="inbound_of_sender"),
        ]

    def __str__(self) -> str:
        return f"{self.sender} -> {self.recipient}: {self.outcome}"


class Attachment(models.Model):
    """A file that came with an e-mail on a need, shown to its staff and its customer.

    Kept in the database (the demo and a small shop need no file store); the size and
    type limits (mail.parsing) keep it small and never executable."""

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    need = models.ForeignKey(Need, on_delete=models.CASCADE, related_name="+")
    filename = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    data = models.BinaryField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["need", "id"], name="attachment_of_need")]

    def __str__(self) -> str:
        return self.filename

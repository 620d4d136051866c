"""Reads of what came by e-mail, through access gates: a file of another business's or
another customer's need is simply not found (404)."""

from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from klantstuur.businesses.models import StaffMember
from klantstuur.core.errors import NotFound
from klantstuur.core.queries import one
from klantstuur.customers.models import Customer

from .models import Attachment, InboundMail


def attachment_for_staff(*, staff: StaffMember, need_id: int, attachment_id: int) -> Attachment:
    found = one(
        Attachment.objects.filter(pk=attachment_id, need_id=need_id, business_id=staff.business_id)
    )
    if found is None:
        raise NotFound(_("No such file."))
    return found


def attachment_for_customer(*, customer: Customer, need_id: int, attachment_id: int) -> Attachment:
    found = one(
        Attachment.objects.filter(pk=attachment_id, need_id=need_id, need__customer_id=customer.pk)
    )
    if found is None:
        raise NotFound(_("No such file."))
    return found


def mail_of_customer(customer: Customer) -> QuerySet[InboundMail]:
    """What came by e-mail from or for the customer: the mails on their needs, and the
    ones from their address to their business that became no need (refused, held back,
    automatic). The log keeps the sender lower-cased, as the customer lookup does."""
    on_needs = Q(need__customer_id=customer.pk)
    if not customer.email:
        return InboundMail.objects.filter(on_needs)
    theirs = Q(business_id=customer.business_id, sender=customer.email.lower())
    return InboundMail.objects.filter(on_needs | theirs)


def mail_export(*, customer: Customer) -> dict[str, Any]:
    """The customer's part of the mail log and the files they sent, for their export
    (R11): what was received and what became of it; the files' bytes stay behind their
    download links on the need pages."""
    mails = [
        {
            "received_at": m.received_at.isoformat(),
            "via": m.via,
            "message_id": m.message_id,
            "from": m.sender,
            "to": m.recipient,
            "size": m.size,
            "outcome": m.outcome,
            "reason": m.reason,
            "need_id": m.need_id,
        }
        for m in mail_of_customer(customer).order_by("received_at", "id")
    ]
    files = [
        {
            "id": a.pk,
            "need_id": a.need_id,
            "filename": a.filename,
            "content_type": a.content_type,
            "size": a.size,
            "received_at": a.created_at.isoformat(),
        }
        for a in Attachment.objects.filter(need__customer_id=customer.pk)
        .defer("data")
        .order_by("id")
    ]
    return {"received": mails, "attachments": files}

"""A carrier webhook message is taken once: a replay of its id is refused."""

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from klantstuur.businesses.models import Business
from klantstuur.core.errors import Conflict

from .models import WebhookReceipt


def webhook_receipt_record(*, business: Business, message_id: str) -> None:
    """Remember the message id (in the caller's transaction); seen before: 409."""
    try:
        with transaction.atomic():
            WebhookReceipt.objects.create(business=business, message_id=message_id)
    except IntegrityError:
        raise Conflict(
            _("This webhook message was received before (a replay)."), field="webhook-id"
        ) from None

"""The conversation on a need: replies, internal notes and the customer's messages."""

from django.db import transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from klantstuur.businesses.models import StaffMember
from klantstuur.core.errors import Conflict
from klantstuur.customers.models import Customer

from .. import events
from ..journal import record
from ..models import Need
from ._steps import clean_text, lock_need, require_customer


@transaction.atomic
def message_post_by_staff(
    *, staff: StaffMember, need: Need, body: str, internal: bool = False
) -> Need:
    """A reply to the customer, or an internal note that never reaches them."""
    body = clean_text(body, field="body")
    need = lock_need(need)
    now = timezone.now()
    if internal:
        record(events.internal_note(body), need=need, actor_staff=staff, at=now)
        return need
    if not need.is_active:
        raise Conflict(_("This need is closed; the customer can reopen it."), status=need.status)
    record(events.staff_message(body), need=need, actor_staff=staff, at=now)
    Need.objects.filter(pk=need.pk).update(waiting_since=None, updated_at=now)
    need.refresh_from_db()
    return need


@transaction.atomic
def message_post_by_customer(
    *,
    customer: Customer,
    need: Need,
    body: str,
    channel: str = "",
    attachments: list[events.AttachmentRef] | None = None,
) -> Need:
    """Reaches the owner on the same need; each one is a contact the customer made
    (``channel`` "email" when it came by e-mail, with the files it brought)."""
    body = clean_text(body, field="body")
    need = lock_need(need)
    require_customer(need, customer.pk)
    if not need.is_active:
        raise Conflict(_("This need is closed. Reopen it, or open a new one."), status=need.status)
    now = timezone.now()
    record(
        events.customer_message(body, channel=channel, attachments=attachments),
        need=need,
        actor_customer=customer,
        at=now,
    )
    Need.objects.filter(pk=need.pk).update(
        contacts=F("contacts") + 1,
        waiting_since=Case(
            When(waiting_since__isnull=True, then=Value(now)), default=F("waiting_since")
        ),
        updated_at=now,
    )
    need.refresh_from_db()
    return need

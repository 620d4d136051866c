"""Reads of what came by e-mail, through access gates: a file of another business's or
another customer's need is simply not found (404)."""

from django.utils.translation import gettext as _

from klantstuur.businesses.models import StaffMember
from klantstuur.core.errors import NotFound
from klantstuur.core.queries import one
from klantstuur.customers.models import Customer

from .models import Attachment


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

"""Opening a need, and who owns it from its first moment."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from klantstuur.businesses.models import StaffMember
from klantstuur.core.errors import Conflict, Invalid
from klantstuur.customers.models import Customer

from .. import events
from ..journal import record
from ..load import load_move
from ..models import Need, NeedKind
from ..queries import continuing_owner, least_loaded_owner
from ._steps import SUMMARY_MAX, clean_text


def pick_owner(*, customer: Customer) -> StaffMember:
    """Continuity first, then the least-loaded colleague on duty.

    The owner of the customer's previous need keeps them when on duty; otherwise
    the frontline colleague on duty with the fewest active needs (managers last).
    With nobody on duty the need still gets an owner: the least-loaded frontline
    colleague, who sees it when they start.
    """
    # The previous owner, only when they can keep the customer (one prepared query).
    continuing = continuing_owner(customer)
    if continuing is not None:
        return continuing
    # The least loaded reads each colleague's active-needs counter (needs.load): a few
    # staff rows, no needs counted, whatever their number.
    owner = least_loaded_owner(customer.business_id)
    if owner is None:
        raise Conflict(_("This business has no staff who can own a need yet."))
    return owner


@transaction.atomic
def need_open(
    *,
    customer: Customer,
    kind: str,
    summary: str,
    goal: str = "",
    opened_by_staff: StaffMember | None = None,
    proactive: bool = False,
    channel: str = "",
    message_id: str = "",
) -> Need:
    """Open a need and assign its owner at once.

    A need the customer opens, or that staff open because the customer reached
    out, counts as the first contact; a proactive one (the business reaching
    out) does not.
    """
    if kind not in NeedKind.values:
        raise Invalid(
            _("Unknown kind; choose one of: %(kinds)s.") % {"kinds": ", ".join(NeedKind.values)},
            field="kind",
        )
    summary = clean_text(summary, field="summary", max_len=SUMMARY_MAX)
    goal = clean_text(goal, field="goal", required=False)
    owner = pick_owner(customer=customer)
    now = timezone.now()
    counts_as_contact = not proactive
    need = Need.objects.create(
        business_id=customer.business_id,
        customer=customer,
        kind=kind,
        summary=summary,
        goal=goal,
        owner=owner,
        created_at=now,
        updated_at=now,
        contacts=1 if counts_as_contact else 0,
        waiting_since=now if opened_by_staff is None else None,
    )
    load_move(old_owner_id=None, new_owner_id=owner.pk, was_active=False, is_active=True)
    record(
        events.need_opened(
            need=need, owner=owner, proactive=proactive, channel=channel, message_id=message_id
        ),
        need=need,
        actor_staff=opened_by_staff,
        actor_customer=customer if opened_by_staff is None else None,
        at=now,
    )
    return need

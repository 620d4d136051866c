"""Orders for a party at a table: the floor's checks, then the order itself.

The party is locked, a party that has left is refused, and the order gets
what it needs of the party (its need, its customer, the table's seats) as an
``orders.services.AtTable``; ``order_place`` does the rest (R2, R13).
"""

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from klantstuur.businesses.models import Business, StaffMember
from klantstuur.core.errors import Conflict, Invalid
from klantstuur.orders.models import Order
from klantstuur.orders.services import AtTable, LineSpec, order_place

from .models import AT_TABLE, FloorSettings, Party


def auto_fire(*, business_id: int) -> bool:
    """Does the business fire the next course by itself once the ones before are served?"""
    return bool(
        FloorSettings.objects.filter(business_id=business_id)
        .values_list("fire_next_course_when_served", flat=True)
        .first()
    )


@transaction.atomic
def party_order_place(
    *,
    business: Business,
    party: Party,
    lines: list[LineSpec],
    channel: str,
    actor_staff: StaffMember | None = None,
    delivery: dict[str, Any] | None = None,
    external_ref: str = "",
    hold_courses: list[str] | None = None,
) -> Order:
    """Take an order for a party at a table; its lines may name seats 1..the table's seats."""
    if party.business_id != business.pk:
        raise Invalid(_("No such party."), field="party_id")
    # Locked: leaving and ordering for the same party do not cross.
    party = Party.objects.select_for_update().select_related("table", "need").get(pk=party.pk)
    if party.status not in AT_TABLE:
        raise Conflict(_("This party has left."), field="party_id")
    return order_place(
        business=business,
        lines=lines,
        channel=channel,
        at_table=AtTable(
            party_id=party.pk,
            need=party.need,
            customer=party.customer,
            table=party.table.number,
            seats=party.seats,
            auto_fire=auto_fire(business_id=business.pk),
        ),
        actor_staff=actor_staff,
        delivery=delivery,
        external_ref=external_ref,
        hold_courses=hold_courses,
    )

"""Delivery the customer steers (issue #4). Placeholder until that issue lands."""

from typing import Any

from django.utils.translation import gettext as _

from klantstuur.businesses.models import StaffMember
from klantstuur.core.errors import Invalid
from klantstuur.customers.models import Customer


def delivery_book(
    *,
    order: Any,
    request: dict[str, Any],
    actor_staff: StaffMember | None = None,
    actor_customer: Customer | None = None,
) -> Any:
    raise Invalid(_("Delivery booking is not available yet."), field="delivery")

"""The customer's right to correct their data and choose how they are reached (R11).

Both sides may correct the record; the journal keeps what changed, so both can see it.
"""

from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from klantstuur.businesses.models import StaffMember
from klantstuur.core.errors import Conflict, Invalid
from klantstuur.customers.models import Customer
from klantstuur.customers.services import customer_fields_clean, customer_with_email
from klantstuur.needs.journal import record

from . import events


@transaction.atomic
def customer_update(
    *,
    customer: Customer,
    actor_customer: Customer | None = None,
    actor_staff: StaffMember | None = None,
    **changes: Any,
) -> Customer:
    """Correct the record; the journal keeps what changed, so both sides can see it."""
    allowed = {"name", "email", "phone", "language"}
    unknown = set(changes) - allowed
    if unknown:
        raise Invalid(_("Unknown field."), field=sorted(unknown)[0])
    if actor_customer is not None and "email" in changes and not (changes["email"] or "").strip():
        # The magic link goes to this address: removing it would lock them out.
        raise Invalid(
            _("Your e-mail address is how you log in; change it rather than remove it."),
            field="email",
        )
    fields = customer_fields_clean(**changes)
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if "email" in fields and fields["email"] != customer.email:
        other = customer_with_email(customer.business_id, fields["email"])
        if other and other.pk != customer.pk:
            raise Conflict(_("Another record already uses this e-mail address."), field="email")
    changed = {k: v for k, v in fields.items() if getattr(customer, k) != v}
    if not changed:
        return customer
    before = {k: getattr(customer, k) for k in changed}
    for key, value in changed.items():
        setattr(customer, key, value)
    try:
        with transaction.atomic():
            customer.save(update_fields=[*changed, "updated_at"])
    except IntegrityError:
        raise Conflict(
            _("Another record already uses this e-mail address."), field="email"
        ) from None
    if customer.user_id and "language" in changed:
        customer.user.language = changed["language"]  # type: ignore[union-attr]
        customer.user.save(update_fields=["language"])  # type: ignore[union-attr]
    record(
        events.customer_updated(before=before, after=changed),
        need=None,
        customer=customer,
        actor_customer=actor_customer,
        actor_staff=actor_staff,
    )
    return customer


@transaction.atomic
def preferences_update(*, customer: Customer, notify_by_email: bool) -> Customer:
    """Communication preferences: e-mail on top of the portal, or the portal only."""
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if customer.notify_by_email != notify_by_email:
        Customer.objects.filter(pk=customer.pk).update(notify_by_email=notify_by_email)
        record(
            events.customer_updated(
                before={"notify_by_email": customer.notify_by_email},
                after={"notify_by_email": notify_by_email},
            ),
            need=None,
            customer=customer,
            actor_customer=customer,
        )
        customer.refresh_from_db()
    return customer

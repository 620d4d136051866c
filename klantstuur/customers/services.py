"""Customer records: created once, corrected by the customer themselves (R11)."""

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from klantstuur.businesses.models import Business, StaffMember
from klantstuur.core.errors import Conflict, Invalid
from klantstuur.needs.journal import record_event
from klantstuur.needs.models import EventKind

from .models import Customer

LANGUAGES = ("nl", "en")


def _clean(
    *, name: Any = None, email: Any = None, phone: Any = None, language: Any = None
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if name is not None:
        name = str(name).strip()
        if not name:
            raise Invalid(_("This field is required."), field="name")
        if len(name) > 200:
            raise Invalid(_("At most %(n)d characters.") % {"n": 200}, field="name")
        out["name"] = name
    if email is not None:
        email = str(email).strip().lower() or None
        if email:
            try:
                validate_email(email)
            except ValidationError:
                raise Invalid(_("Enter a valid e-mail address."), field="email") from None
        out["email"] = email
    if phone is not None:
        phone = str(phone).strip()
        if len(phone) > 40 or (phone and not all(c in "+0123456789 ()-" for c in phone)):
            raise Invalid(_("Enter a valid phone number."), field="phone")
        out["phone"] = phone
    if language is not None:
        if language not in LANGUAGES:
            raise Invalid(_("Choose nl or en."), field="language")
        out["language"] = language
    return out


def _existing(business_id: int, email: str | None) -> Customer | None:
    if not email:
        return None
    return Customer.objects.filter(business_id=business_id, email__iexact=email).first()


@transaction.atomic
def customer_create(
    *,
    business: Business,
    name: str,
    email: str | None = None,
    phone: str = "",
    language: str | None = None,
) -> Customer:
    """One record per person per business: a known e-mail address is a conflict."""
    fields = _clean(name=name, email=email, phone=phone, language=language or business.language)
    if found := _existing(business.pk, fields.get("email")):
        raise Conflict(
            _("A customer with this e-mail address already exists."),
            field="email",
            existing_id=found.pk,
        )
    try:
        with transaction.atomic():
            return Customer.objects.create(business=business, **fields)
    except IntegrityError:
        found = _existing(business.pk, fields.get("email"))
        raise Conflict(
            _("A customer with this e-mail address already exists."),
            field="email",
            existing_id=found.pk if found else None,
        ) from None


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
    fields = _clean(**changes)
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if "email" in fields and fields["email"] != customer.email:
        other = _existing(customer.business_id, fields["email"])
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
    record_event(
        need=None,
        customer=customer,
        kind=EventKind.CUSTOMER_UPDATED,
        actor_customer=actor_customer,
        actor_staff=actor_staff,
        data={"changed": sorted(changed), "before": before, "after": changed},
    )
    return customer

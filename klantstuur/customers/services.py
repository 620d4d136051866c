"""Customer records: created once, corrected by the customer themselves (R11)."""

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from klantstuur.businesses.models import Business
from klantstuur.core.errors import Conflict, Invalid

from .models import Customer

LANGUAGES = ("nl", "en")


def customer_fields_clean(
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


def customer_with_email(business_id: int, email: str | None) -> Customer | None:
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
    fields = customer_fields_clean(
        name=name, email=email, phone=phone, language=language or business.language
    )
    if found := customer_with_email(business.pk, fields.get("email")):
        raise Conflict(
            _("A customer with this e-mail address already exists."),
            field="email",
            existing_id=found.pk,
        )
    try:
        with transaction.atomic():
            return Customer.objects.create(business=business, **fields)
    except IntegrityError:
        found = customer_with_email(business.pk, fields.get("email"))
        raise Conflict(
            _("A customer with this e-mail address already exists."),
            field="email",
            existing_id=found.pk if found else None,
        ) from None

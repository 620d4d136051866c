"""What peers may see of each other: a first name or a chosen name, and text with
contact details taken out.

Peers read a shared question's summary and each other's answers. People type their
phone number or e-mail address into a question without thinking; before anything
reaches a peer, e-mail addresses, phone numbers and postcodes are replaced by ``[…]``.
The pattern errs on the side of taking out: a long number in a question is shown as
``[…]`` too.
"""

import re

from django.utils.translation import gettext as _

from klantstuur.core.errors import Invalid
from klantstuur.customers.models import Customer

HIDDEN = "[…]"
DISPLAY_NAME_MAX = 40

_EMAIL = re.compile(r"[^\s@<>()\[\],;:\"']+@[^\s@<>()\[\],;:\"']+", re.UNICODE)
# Seven or more digits, with the separators people type inside phone numbers.
_PHONE = re.compile(r"\+?\d(?:[\s().\-/]*\d){6,}")
# A Dutch postcode: four digits and two letters (the house address's key).
_POSTCODE = re.compile(r"\b\d{4}\s?[A-Za-z]{2}\b")


def redact(text: str) -> str:
    """``text`` with e-mail addresses, phone numbers and postcodes replaced by ``[…]``."""
    for pattern in (_EMAIL, _PHONE, _POSTCODE):
        text = pattern.sub(HIDDEN, text)
    return text


def first_name(customer: Customer) -> str:
    words = (customer.name or "").split()
    name = words[0] if words else ""
    # A name that is an address or a number (a company's "info@…") is not shown.
    if not name or redact(name) != name:
        return _("A fellow customer")
    return name[:DISPLAY_NAME_MAX]


def clean_display_name(value: str | None, *, customer: Customer) -> str:
    """A chosen name (checked), or the customer's first name."""
    text = " ".join((value or "").split())
    if not text:
        return first_name(customer)
    if len(text) > DISPLAY_NAME_MAX:
        raise Invalid(
            _("At most %(n)d characters.") % {"n": DISPLAY_NAME_MAX}, field="display_name"
        )
    if redact(text) != text or any(c.isdigit() for c in text):
        raise Invalid(
            _("A name only: no e-mail address, phone number or other digits."),
            field="display_name",
        )
    return text

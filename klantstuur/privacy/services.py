"""The customer's data rights, one module each: correct (profile), take along (export),
be forgotten (erasure). Interfaces import them from here."""

from .erasure import (
    erasure_request,
    erasure_withdraw,
    erasures_carry_out,
    obligations_in_words,
    open_obligations,
)
from .export import customer_export
from .profile import customer_update, preferences_update

__all__ = [
    "customer_export",
    "customer_update",
    "erasure_request",
    "erasure_withdraw",
    "erasures_carry_out",
    "obligations_in_words",
    "open_obligations",
    "preferences_update",
]

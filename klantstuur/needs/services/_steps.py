"""The checks every step of a need starts with: clean input, lock, authority, transition."""

from django.utils.translation import gettext as _

from klantstuur.businesses.models import StaffMember
from klantstuur.core.errors import Conflict, Invalid, NotAllowed

from ..models import Need, can_transition

SUMMARY_MAX = 300
BODY_MAX = 10_000


def clean_text(
    value: str | None, *, field: str, required: bool = True, max_len: int = BODY_MAX
) -> str:
    text = (value or "").strip()
    if required and not text:
        raise Invalid(_("This field is required."), field=field)
    if len(text) > max_len:
        raise Invalid(_("At most %(n)d characters.") % {"n": max_len}, field=field)
    return text


def lock_need(need: Need | int) -> Need:
    pk = need if isinstance(need, int) else need.pk
    # Lock the need row alone, then read it with its relations. A locking query with
    # joins would also lock the owner's and the customer's rows (serializing all of a
    # colleague's needs), and on PostgreSQL, after waiting for a concurrent owner change,
    # it re-checks the join against the old owner row and finds no need at all.
    Need.objects.select_for_update().only("pk").get(pk=pk)
    return Need.objects.select_related("owner", "customer").get(pk=pk)


def require_transition(need: Need, new: str) -> None:
    if not can_transition(need.status, new):
        raise Conflict(
            _("This need is %(status)s; that step is not possible now.")
            % {"status": need.get_status_display()},
            status=need.status,
        )


def require_owner(need: Need, staff: StaffMember) -> None:
    if need.owner_id != staff.pk:
        raise NotAllowed(
            _("Only the owner (%(owner)s) can do this. Offer a handoff or ask them.")
            % {"owner": need.owner.name},
            owner={"id": need.owner_id, "name": need.owner.name},
        )


def require_customer(need: Need, customer_id: int) -> None:
    if need.customer_id != customer_id:
        raise NotAllowed(_("Not your need."))

"""Remedies, granted on the spot within the granter's authority (R10)."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from klantstuur.businesses.models import FRONTLINE_ROLES, StaffMember
from klantstuur.core.errors import Conflict, Invalid, NotAllowed
from klantstuur.core.money import euro

from .. import events
from ..journal import record
from ..models import Need, Remedy, RemedyKind
from ._steps import clean_text, lock_need, require_owner

# Above this no amount is plausible, whatever anyone's authority.
AMOUNT_MAX_CENTS = 100_000_000


def may_grant(*, business_id: int, amount_cents: int) -> list[StaffMember]:
    """Colleagues whose authority covers the amount, on duty first."""
    return list(
        StaffMember.objects.filter(
            business_id=business_id,
            authority_cents__gte=amount_cents,
            role__in=FRONTLINE_ROLES,
        ).order_by("-on_duty", "authority_cents", "name")[:5]
    )


def _clean_remedy(kind: str, amount_cents: int) -> None:
    if kind not in RemedyKind.values:
        raise Invalid(
            _("Unknown remedy; choose one of: %(kinds)s.")
            % {"kinds": ", ".join(RemedyKind.values)},
            field="kind",
        )
    if not isinstance(amount_cents, int) or isinstance(amount_cents, bool) or amount_cents < 0:
        raise Invalid(_("A whole number of cents, zero or more."), field="amount_cents")
    if amount_cents > AMOUNT_MAX_CENTS:
        raise Invalid(_("That amount is not plausible."), field="amount_cents")


def _above_authority(staff: StaffMember, need: Need, amount_cents: int) -> NotAllowed:
    """The refusal names who may grant it, so the owner knows whom to hand off to."""
    who = may_grant(business_id=need.business_id, amount_cents=amount_cents)
    names = ", ".join(s.name for s in who) or _("nobody in this business")
    return NotAllowed(
        _(
            "%(amount)s is above your authority of %(limit)s. "
            "Hand the need off to someone who may grant it: %(names)s."
        )
        % {
            "amount": euro(amount_cents, compact=True),
            "limit": euro(staff.authority_cents, compact=True),
            "names": names,
        },
        field="amount_cents",
        limit_cents=staff.authority_cents,
        may_grant=[{"id": s.pk, "name": s.name, "authority_cents": s.authority_cents} for s in who],
    )


@transaction.atomic
def remedy_grant(
    *, staff: StaffMember, need: Need, kind: str, amount_cents: int, note: str = ""
) -> Remedy:
    """Takes effect at once within the actor's authority; above it nothing is recorded."""
    _clean_remedy(kind, amount_cents)
    note = clean_text(note, field="note", required=False, max_len=2000)
    need = lock_need(need)
    require_owner(need, staff)
    if not need.is_active:
        raise Conflict(_("This need is closed."), status=need.status)
    if amount_cents > staff.authority_cents:
        raise _above_authority(staff, need, amount_cents)
    now = timezone.now()
    remedy = Remedy.objects.create(
        business_id=need.business_id,
        need=need,
        kind=kind,
        amount_cents=amount_cents,
        note=note,
        granted_by=staff,
        created_at=now,
    )
    record(events.remedy_granted(remedy), need=need, actor_staff=staff, at=now)
    Need.objects.filter(pk=need.pk).update(updated_at=now)
    return remedy

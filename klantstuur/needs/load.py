"""Each colleague's active load, kept as a counter (``StaffMember.active_needs``).

The rule, written once: ``active_needs`` is the number of needs a colleague owns whose
status is in ``ACTIVE_STATUSES``. Every step that opens a need, moves it into or out of
those statuses, or moves it to another owner calls ``load_move`` in its own transaction,
so choosing the least-loaded owner reads one small row per colleague instead of counting
their needs (issue #10, "Creation flat"). ``active_needs_recount`` repairs the counters
from the needs themselves (after a bulk load) and is what the tests hold it to.
"""

from collections.abc import Iterable

from django.db.models import Count, F, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from klantstuur.businesses.models import StaffMember

from .models import ACTIVE_STATUSES, Need


def load_move(
    *, old_owner_id: int | None, new_owner_id: int | None, was_active: bool, is_active: bool
) -> None:
    """A need went from (old owner, was active) to (new owner, is active): F() updates.

    ``None`` for an owner means "no need" (before it was opened). Rows are updated in id
    order so two concurrent handoffs between the same colleagues cannot deadlock.
    """
    delta: dict[int, int] = {}
    if old_owner_id is not None and was_active:
        delta[old_owner_id] = delta.get(old_owner_id, 0) - 1
    if new_owner_id is not None and is_active:
        delta[new_owner_id] = delta.get(new_owner_id, 0) + 1
    for staff_id in sorted(delta):
        if delta[staff_id]:
            StaffMember.objects.filter(pk=staff_id).update(
                active_needs=F("active_needs") + delta[staff_id]
            )


def active_needs_counted(staff_ids: Iterable[int]) -> dict[int, int]:
    """The rule itself: each colleague's needs in ``ACTIVE_STATUSES``, counted."""
    ids = list(staff_ids)
    counted = dict(
        Need.objects.filter(owner_id__in=ids, status__in=ACTIVE_STATUSES)
        .order_by()
        .values_list("owner_id")
        .annotate(n=Count("*"))
    )
    return {pk: counted.get(pk, 0) for pk in ids}


def active_needs_recount(business_ids: Iterable[int] | None = None) -> int:
    """Set every counter (of the given businesses) from the needs, in one UPDATE.

    For paths that write needs in bulk (the demo, benchmark data); returns the number of
    colleagues whose counter was wrong.
    """
    load = (
        Need.objects.filter(owner=OuterRef("pk"), status__in=ACTIVE_STATUSES)
        .order_by()
        .values("owner")
        .annotate(n=Count("*"))
        .values("n")
    )
    staff = StaffMember.objects.all()
    if business_ids is not None:
        staff = staff.filter(business_id__in=list(business_ids))
    real = Coalesce(Subquery(load, output_field=IntegerField()), 0)
    wrong = staff.annotate(real=real).filter(~Q(active_needs=F("real"))).values("pk")
    return StaffMember.objects.filter(pk__in=Subquery(wrong)).update(active_needs=real)

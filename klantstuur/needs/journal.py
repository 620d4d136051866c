"""Writing to the journal. Only services call this, inside their transaction."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from klantstuur.businesses.models import StaffMember
from klantstuur.customers.models import Customer

from .events import Entry
from .models import CUSTOMER_SEES, INTERNAL_KINDS, EventKind, JournalEvent, Need


def journal_entry(
    *,
    need: Need | None,
    customer: Customer | None = None,
    kind: EventKind,
    actor_staff: StaffMember | None = None,
    actor_customer: Customer | None = None,
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> JournalEvent:
    """The event ``record_event`` would write, not saved yet (for ``record_events``)."""
    if need is None and customer is None:
        raise ValueError("An event concerns a need or a customer.")
    owner_customer = customer if customer is not None else need.customer  # type: ignore[union-attr]
    return JournalEvent(
        business_id=owner_customer.business_id,
        customer=owner_customer,
        need=need,
        kind=kind,
        actor_staff=actor_staff,
        actor_customer=actor_customer,
        # Decided per kind in the vocabulary (needs.models.CUSTOMER_SEES).
        visible_to_customer=kind not in INTERNAL_KINDS and CUSTOMER_SEES.get(kind, False),
        data=data or {},
        at=at or timezone.now(),
    )


def _in_transaction() -> None:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("Journal events are written inside the change's transaction.")


def record_event(
    *,
    need: Need | None,
    customer: Customer | None = None,
    kind: EventKind,
    actor_staff: StaffMember | None = None,
    actor_customer: Customer | None = None,
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> JournalEvent:
    """Append one event; reactions (notifications) run after the commit."""
    event = journal_entry(
        need=need,
        customer=customer,
        kind=kind,
        actor_staff=actor_staff,
        actor_customer=actor_customer,
        data=data,
        at=at,
    )
    _in_transaction()
    event.save(force_insert=True)
    from . import reactions

    if not reactions.suppressed.get():
        transaction.on_commit(lambda: reactions.dispatch(event))
    return event


def record(
    entry: Entry[Any],
    *,
    need: Need | None,
    customer: Customer | None = None,
    actor_staff: StaffMember | None = None,
    actor_customer: Customer | None = None,
    at: datetime | None = None,
) -> JournalEvent:
    """``record_event`` for an event built by ``events`` (its kind and typed payload)."""
    return record_event(
        need=need,
        customer=customer,
        kind=entry.kind,
        actor_staff=actor_staff,
        actor_customer=actor_customer,
        data=dict(entry.data),
        at=at,
    )


def record_events(events: Sequence[JournalEvent]) -> list[JournalEvent]:
    """Append many events (built by ``journal_entry``) in one INSERT, in the order given.

    After the commit they are handed to the reactions once, as one batch
    (``reactions.dispatch_many``): the immediate reactions per event, one task for
    the deferred reactions of them all.
    """
    if not events:
        return []
    _in_transaction()
    if any(e.pk is not None for e in events):
        raise RuntimeError("The journal is append-only.")
    created = JournalEvent.objects.bulk_create(list(events))
    from . import reactions

    if not reactions.suppressed.get():
        transaction.on_commit(lambda: reactions.dispatch_many(created))
    return created

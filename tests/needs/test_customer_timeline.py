"""Issue #14: the customer's timeline shows what happened to the customer; staff's own
bookkeeping stays with staff. Decided per event kind in the vocabulary, with no gap."""

from typing import Any

import pytest
from django.db import transaction

from klantstuur.needs.events import Entry
from klantstuur.needs.journal import journal_entry, record
from klantstuur.needs.models import (
    CUSTOMER_SEES,
    INTERNAL_KINDS,
    EventKind,
    JournalEvent,
)
from tests.conftest import World
from tests.helpers import open_need

API = "/api/v1"


def test_every_event_kind_is_decided_for_the_customer() -> None:
    assert set(CUSTOMER_SEES) == set(EventKind.values)
    assert all(CUSTOMER_SEES[k] is False for k in INTERNAL_KINDS)


@pytest.mark.parametrize("kind", list(EventKind))
def test_each_kind_is_recorded_and_read_as_decided(world: World, kind: EventKind) -> None:
    need = open_need(world.customer_a)
    with transaction.atomic():
        ev = record(Entry(kind, {}), need=need, actor_staff=world.owner)
    assert ev.visible_to_customer is CUSTOMER_SEES[kind]
    shown = JournalEvent.objects.filter(pk=ev.pk).visible_to_customer().exists()
    assert shown is CUSTOMER_SEES[kind]


def test_bookkeeping_stays_with_staff_even_on_older_events(world: World, api: Any) -> None:
    need = open_need(world.customer_a)
    with transaction.atomic():
        # An event written before #14, flagged visible: the vocabulary still keeps it back.
        old = journal_entry(need=need, kind=EventKind.ROOT_CAUSE_SET, data={"root_cause": {}})
        old.visible_to_customer = True
        old.save()
        record(Entry(EventKind.FEEDBACK_GIVEN, {}), need=need, actor_customer=world.customer_a)
        record(
            Entry(EventKind.STAFF_MESSAGE, {"body": "Hallo"}), need=need, actor_staff=world.owner
        )
    mine = api(world.customer_a).get(f"{API}/me/needs/{need.pk}/timeline").json()
    kinds = [e["kind"] for e in mine["items"]]
    assert "root_cause_set" not in kinds and "feedback_given" not in kinds
    assert "staff_message" in kinds
    staff = api(need.owner).get(f"{API}/needs/{need.pk}/timeline").json()
    assert {"root_cause_set", "feedback_given"} <= {e["kind"] for e in staff["items"]}

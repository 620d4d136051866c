"""Needs' rules, each written once: the handoff transition table, the journal payloads
(``needs.events``), root causes beside needs, and the kinds the API offers."""

from typing import Any, get_args

import pytest

from klantstuur.api import schemas
from klantstuur.needs import events, services
from klantstuur.needs.models import (
    HANDOFF_OPEN_STATUSES,
    HANDOFF_TRANSITIONS,
    EventKind,
    Handoff,
    HandoffStatus,
    JournalEvent,
    NeedKind,
    RemedyKind,
    RootCause,
    handoff_statuses_before,
)
from klantstuur.needs.root_causes import active_root_causes, root_cause_required
from tests.helpers import open_need

# The payload type each of needs' services writes, by kind.
PAYLOADS: dict[str, Any] = {
    EventKind.NEED_OPENED: events.NeedOpened,
    EventKind.STAFF_MESSAGE: events.Message,
    EventKind.CUSTOMER_MESSAGE: events.Message,
    EventKind.INTERNAL_NOTE: events.Message,
    EventKind.HANDOFF_OFFERED: events.HandoffOffered,
    EventKind.HANDOFF_ACCEPTED: events.HandoffAccepted,
    EventKind.HANDOFF_DECLINED: events.HandoffDeclined,
    EventKind.HANDOFF_REMINDED: events.HandoffReminded,
    EventKind.HANDOFF_EXPIRED: events.HandoffExpired,
    EventKind.REMEDY_GRANTED: events.RemedyGranted,
    EventKind.RESOLUTION_PROPOSED: events.ResolutionProposed,
    EventKind.RESOLUTION_CONFIRMED: events.ResolutionConfirmed,
    EventKind.NEED_REOPENED: events.NeedReopened,
    EventKind.NEED_CANCELLED: events.NeedCancelled,
    EventKind.ROOT_CAUSE_SET: events.RootCauseSet,
}


def test_the_database_knows_the_same_open_offers_as_the_table() -> None:
    [one_open] = [c for c in Handoff._meta.constraints if c.name == "one_open_handoff_per_need"]
    assert [value for _field, value in one_open.condition.children] == list(HANDOFF_OPEN_STATUSES)
    assert HANDOFF_OPEN_STATUSES == (HandoffStatus.OFFERED,)
    assert handoff_statuses_before(HandoffStatus.WITHDRAWN) == (HandoffStatus.OFFERED,)
    # Every status is in the table, and every answer is final.
    statuses = {s for pair in HANDOFF_TRANSITIONS for s in pair}
    assert statuses == set(HandoffStatus.values)
    assert not {new for _old, new in HANDOFF_TRANSITIONS} & set(HANDOFF_OPEN_STATUSES)


def test_the_api_offers_the_models_kinds() -> None:
    remedy = schemas.RemedyIn.model_fields["kind"].annotation
    need = schemas.NeedIn.model_fields["kind"].annotation
    assert list(get_args(remedy)) == RemedyKind.values
    assert list(get_args(need)) == NeedKind.values
    assert schemas.MyNeedIn.model_fields["kind"].annotation == need


def _keys(payload: Any) -> tuple[set[str], set[str]]:
    return set(payload.__required_keys__), set(payload.__optional_keys__)


def test_every_event_a_need_goes_through_has_its_payloads_keys(world: Any) -> None:
    RootCause.objects.create(business=world.x, name="Cold kitchen pass")
    cause = active_root_causes(business_id=world.x.pk).get()
    need = open_need(world.customer_a, kind="complaint")
    services.message_post_by_customer(customer=world.customer_a, need=need, body="Cold")
    services.message_post_by_staff(staff=world.owner, need=need, body="Sorry")
    services.message_post_by_staff(staff=world.owner, need=need, body="note", internal=True)
    offer = services.handoff_offer(
        staff=world.owner, need=need, to_staff=world.colleague, reason="please"
    )
    services.handoff_decline(staff=world.colleague, handoff=offer, reason="busy")
    offer = services.handoff_offer(
        staff=world.owner, need=need, to_staff=world.colleague, reason="please"
    )
    services.handoffs_remind_and_expire(now=offer.remind_at)
    services.handoffs_remind_and_expire(now=offer.expires_at)
    offer = services.handoff_offer(
        staff=world.owner, need=need, to_staff=world.lead, reason="authority"
    )
    services.handoff_accept(staff=world.lead, handoff=offer)
    services.remedy_grant(staff=world.lead, need=need, kind="goodwill", amount_cents=450)
    services.resolution_propose(
        staff=world.lead, need=need, summary="Fresh", root_cause_id=cause.pk
    )
    services.need_reopen(customer=world.customer_a, need=need, reason="still cold")
    services.resolution_propose(staff=world.lead, need=need, summary="Hot", root_cause_id=cause.pk)
    services.resolution_confirm(customer=world.customer_a, need=need)
    services.need_reopen(customer=world.customer_a, need=need, reason="again")
    services.need_cancel(customer=world.customer_a, need=need)
    seen = set()
    for event in JournalEvent.objects.filter(need=need):
        required, optional = _keys(PAYLOADS[event.kind])
        assert required <= set(event.data) <= required | optional, (event.kind, event.data)
        seen.add(event.kind)
    assert seen == set(PAYLOADS)


def test_the_stored_shapes_did_not_change(world: Any) -> None:
    need = open_need(world.customer_a, summary=" Where is it? ")
    opened = JournalEvent.objects.get(need=need, kind=EventKind.NEED_OPENED)
    assert opened.data == {
        "kind": "question",
        "summary": "Where is it?",
        "goal": "",
        "owner": {"id": world.owner.pk, "name": "Olga Owner"},
        "proactive": False,
    }
    offer = services.handoff_offer(
        staff=world.owner, need=need, to_staff=world.colleague, reason=" take it "
    )
    services.handoff_accept(staff=world.colleague, handoff=offer)
    accepted = JournalEvent.objects.get(need=need, kind=EventKind.HANDOFF_ACCEPTED)
    assert accepted.data == {
        "handoff_id": offer.pk,
        "from": {"id": world.owner.pk, "name": "Olga Owner"},
        "to": {"id": world.colleague.pk, "name": "Cor Colleague"},
        "reason": "take it",
    }


@pytest.mark.parametrize(
    ("kind", "listed", "required"),
    [
        ("complaint", True, True),
        ("complaint", False, False),
        ("question", True, False),
    ],
)
def test_a_complaint_names_its_cause_when_the_business_keeps_a_list(
    world: Any, kind: str, listed: bool, required: bool
) -> None:
    if listed:
        RootCause.objects.create(business=world.x, name="Late driver")
    need = open_need(world.customer_a, kind=kind)
    causes = active_root_causes(business_id=world.x.pk)
    assert root_cause_required(need, causes) is required
    assert root_cause_required(need, list(causes)) is required


def test_the_messages_other_apps_write_fit_the_message_payload() -> None:
    # The shapes the floor (host at the table) and feedback (listening) store today.
    assert events.staff_message("At your table", party_id=3).data == {
        "body": "At your table",
        "party_id": 3,
    }
    assert events.internal_note("Listened.", listening_sample_id=5).data == {
        "body": "Listened.",
        "listening_sample_id": 5,
    }
    required, optional = _keys(events.Message)
    assert (required, optional) == (
        {"body"},
        {"party_id", "listening_sample_id", "channel", "attachments"},
    )
    # An e-mail reply (mail.inbound) says so, with the files it brought.
    ref = {"id": 1, "name": "foto.jpg", "size": 10, "type": "image/jpeg"}
    assert events.customer_message("Hi", channel="email", attachments=[ref]).data == {
        "body": "Hi",
        "channel": "email",
        "attachments": [ref],
    }

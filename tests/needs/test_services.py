"""Services without HTTP: assignment, handoff sweeps, auto-confirm, the journal,
notifications and the worker's sweeps."""

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from klantstuur.businesses.models import Business, Role
from klantstuur.businesses.services import business_create, staff_create, staff_set_on_duty
from klantstuur.core.errors import Conflict, Invalid, NotAllowed
from klantstuur.customers.models import Customer
from klantstuur.customers.services import customer_create
from klantstuur.needs import services
from klantstuur.needs.journal import record_event
from klantstuur.needs.models import EventKind, Handoff, JournalEvent, Need, Notification
from klantstuur.worker import run_sweeps
from tests.helpers import kinds, open_need, settle, snapshot


def _offer(world: Any, need: Need, to: Any = None) -> Handoff:
    return services.handoff_offer(
        staff=need.owner, need=need, to_staff=to or world.colleague, reason="please take it"
    )


def _move(world: Any, need: Need, to: Any) -> Need:
    return services.handoff_accept(staff=to, handoff=_offer(world, need, to))


# --- assignment ------------------------------------------------------------------------


def test_it_keeps_the_customer_with_their_previous_owner_when_on_duty(world: Any) -> None:
    first = open_need(world.customer_a)
    _move(world, first, world.colleague)
    for _ in range(3):  # the colleague is now the busiest, and still gets Anna's next need
        open_need(world.customer_b)
    assert open_need(world.customer_a).owner_id == world.colleague.pk


def test_it_picks_the_least_loaded_colleague_when_the_previous_owner_is_off_duty(
    world: Any,
) -> None:
    first = open_need(world.customer_a)
    assert first.owner_id == world.owner.pk
    open_need(world.customer_b)  # -> colleague (0 active)
    open_need(world.customer_b)  # continuity -> colleague
    staff_set_on_duty(staff=world.owner, on_duty=False)
    # owner off duty; colleague has 2; lead has 0.
    assert open_need(world.customer_a).owner_id == world.lead.pk


def test_it_counts_only_active_needs_as_load(world: Any) -> None:
    c = customer_create(business=world.x, name="C")
    d = customer_create(business=world.x, name="D")
    for _ in range(3):
        services.need_cancel(customer=c, need=open_need(c))  # owner: 3 closed needs
    staff_set_on_duty(staff=world.owner, on_duty=False)
    open_need(d)  # colleague
    staff_set_on_duty(staff=world.owner, on_duty=True)
    fresh = customer_create(business=world.x, name="Fresh")
    # owner has 0 active (3 cancelled), colleague has 1, lead 0: owner by lowest id.
    assert open_need(fresh).owner_id == world.owner.pk


def test_it_assigns_managers_last_and_never_kitchen_or_carrier(world: Any) -> None:
    for _ in range(5):
        open_need(customer_create(business=world.x, name="busy"))
    counts = dict(Need.objects.values_list("owner__name").annotate(n=Count("id")))
    assert "Max Manager" not in counts
    assert "Kim Kitchen" not in counts
    assert "Carrier X" not in counts
    for staff in (world.owner, world.colleague, world.lead):
        staff_set_on_duty(staff=staff, on_duty=False)
    assert open_need(customer_create(business=world.x, name="late")).owner_id == world.manager.pk


def test_it_still_gives_an_owner_when_nobody_is_on_duty(world: Any) -> None:
    for staff in (world.owner, world.colleague, world.lead, world.manager, world.kitchen):
        staff_set_on_duty(staff=staff, on_duty=False)
    open_need(world.customer_a)  # owner: least loaded, lowest id, not the manager
    need = open_need(world.customer_b)
    assert need.owner_id == world.colleague.pk
    assert need.owner.role in (Role.HOST, Role.AGENT, Role.LEAD)


def test_it_refuses_to_open_a_need_in_a_business_without_owners(db: Any) -> None:
    empty = business_create(slug="empty", name="Empty")
    staff_create(business=empty, email="k@empty.example", name="K", role=Role.KITCHEN)
    customer = customer_create(business=empty, name="Lonely")
    with pytest.raises(Conflict):
        open_need(customer)
    assert Need.objects.count() == 0
    assert JournalEvent.objects.count() == 0


def test_it_refuses_an_unknown_kind(world: Any) -> None:
    with pytest.raises(Invalid) as exc:
        open_need(world.customer_a, kind="wish")
    assert exc.value.field == "kind"
    assert Need.objects.count() == 0


# --- handoff reminders and expiry ---------------------------------------------------------


def test_it_reminds_at_half_time_and_expires_at_the_deadline(world: Any) -> None:
    need = open_need(world.customer_a)
    handoff = _offer(world, need)
    t0 = handoff.created_at
    assert services.handoffs_remind_and_expire(now=t0 + timedelta(minutes=59)) == (0, 0)
    assert services.handoffs_remind_and_expire(now=t0 + timedelta(minutes=60)) == (1, 0)
    assert services.handoffs_remind_and_expire(now=t0 + timedelta(minutes=61)) == (0, 0)
    handoff.refresh_from_db()
    assert (handoff.status, handoff.reminded_at) == ("offered", t0 + timedelta(minutes=60))
    assert services.handoffs_remind_and_expire(now=t0 + timedelta(minutes=119)) == (0, 0)
    assert services.handoffs_remind_and_expire(now=t0 + timedelta(minutes=120)) == (0, 1)
    handoff.refresh_from_db()
    assert (handoff.status, handoff.answered_at) == ("expired", t0 + timedelta(minutes=120))
    need.refresh_from_db()
    assert (need.owner_id, need.handoffs) == (world.owner.pk, 0)
    assert kinds(need) == ["need_opened", "handoff_offered", "handoff_reminded", "handoff_expired"]
    assert kinds(need, for_customer=True) == ["need_opened"]
    assert services.handoffs_remind_and_expire(now=t0 + timedelta(days=2)) == (0, 0)


def test_it_expires_without_a_reminder_when_the_sweep_comes_late(world: Any) -> None:
    need = open_need(world.customer_a)
    handoff = _offer(world, need)
    assert services.handoffs_remind_and_expire(now=handoff.created_at + timedelta(hours=5)) == (
        0,
        1,
    )
    assert kinds(need)[-1] == "handoff_expired"


def test_it_never_accepts_an_expired_offer(world: Any) -> None:
    need = open_need(world.customer_a)
    handoff = _offer(world, need)
    services.handoffs_remind_and_expire(now=handoff.expires_at)
    before = snapshot(need)
    with pytest.raises(Conflict):
        services.handoff_accept(staff=world.colleague, handoff=handoff)
    with pytest.raises(Conflict):
        services.handoff_decline(staff=world.colleague, handoff=handoff, reason="late")
    assert snapshot(need) == before
    # The owner may offer again.
    assert _offer(world, need, world.lead).status == "offered"


def test_it_uses_the_businesss_own_expiry(world: Any) -> None:
    Business.objects.filter(pk=world.x.pk).update(handoff_expiry_minutes=10)
    need = open_need(world.customer_a)
    handoff = _offer(world, need)
    assert handoff.expires_at - handoff.created_at == timedelta(minutes=10)
    assert handoff.remind_at - handoff.created_at == timedelta(minutes=5)


def test_it_lets_only_the_offered_colleague_answer(world: Any) -> None:
    need = open_need(world.customer_a)
    handoff = _offer(world, need)
    before = snapshot(need)
    for other in (world.owner, world.lead, world.manager):
        with pytest.raises(NotAllowed):
            services.handoff_accept(staff=other, handoff=handoff)
    assert snapshot(need) == before


def test_it_refuses_an_accept_when_the_owner_changed_meanwhile(world: Any) -> None:
    """The compare-and-set: an offer made by a former owner cannot move ownership."""
    need = open_need(world.customer_a)
    handoff = _offer(world, need)
    # Simulate an owner change behind the offer's back (not possible through services).
    Need.objects.filter(pk=need.pk).update(owner=world.lead)
    before = snapshot(need)
    with pytest.raises(Conflict):
        services.handoff_accept(staff=world.colleague, handoff=handoff)
    assert snapshot(need) == before
    assert Handoff.objects.get(pk=handoff.pk).status == "offered"


# --- auto-confirm ------------------------------------------------------------------------


def test_it_confirms_after_the_announced_seven_days(world: Any) -> None:
    need = open_need(world.customer_a)
    need = services.resolution_propose(staff=world.owner, need=need, summary="Sent")
    due = need.autoconfirm_at
    assert due == need.proposed_at + timedelta(days=7)  # type: ignore[operator]
    assert services.resolutions_autoconfirm(now=due - timedelta(seconds=1)) == 0  # type: ignore[operator]
    assert Need.objects.get(pk=need.pk).status == "awaiting_customer"
    assert services.resolutions_autoconfirm(now=due) == 1
    need.refresh_from_db()
    assert (need.status, need.solved_at, need.autoconfirm_at) == ("solved", due, None)
    event = JournalEvent.objects.get(need=need, kind="resolution_confirmed")
    assert (event.actor_customer_id, event.actor_staff_id, event.data) == (
        None,
        None,
        {"auto": True, "summary": "Sent"},
    )
    assert event.actor_kind == "system"
    assert services.resolutions_autoconfirm(now=due + timedelta(days=1)) == 0  # type: ignore[operator]


def test_it_does_not_confirm_a_need_the_customer_reopened(world: Any) -> None:
    need = open_need(world.customer_a)
    need = services.resolution_propose(staff=world.owner, need=need, summary="Sent")
    services.need_reopen(customer=world.customer_a, need=need, reason="No")
    assert services.resolutions_autoconfirm(now=timezone.now() + timedelta(days=30)) == 0
    assert Need.objects.get(pk=need.pk).status == "open"


def test_it_withdraws_open_offers_when_solved(world: Any) -> None:
    need = open_need(world.customer_a)
    handoff = _offer(world, need)
    need = services.resolution_propose(staff=world.owner, need=need, summary="Sent")
    services.resolutions_autoconfirm(now=need.autoconfirm_at)
    assert Handoff.objects.get(pk=handoff.pk).status == "withdrawn"


# --- the journal --------------------------------------------------------------------------


def test_the_journal_is_append_only(world: Any) -> None:
    need = open_need(world.customer_a)
    event = JournalEvent.objects.get(need=need)
    event.data = {"summary": "rewritten"}
    with pytest.raises(RuntimeError):
        event.save()
    assert JournalEvent.objects.get(pk=event.pk).data["summary"] == "Where is my order?"


def test_it_writes_journal_events_only_inside_a_transaction(world: Any) -> None:
    need = open_need(world.customer_a)
    conn = transaction.get_connection()
    # The test itself runs in a transaction; leave it to check the guard.
    in_atomic, conn.in_atomic_block = conn.in_atomic_block, False
    try:
        with pytest.raises(RuntimeError):
            record_event(need=need, kind=EventKind.STAFF_MESSAGE, data={"body": "x"})
    finally:
        conn.in_atomic_block = in_atomic
    with pytest.raises(ValueError), transaction.atomic():
        record_event(need=None, kind=EventKind.STAFF_MESSAGE)
    assert JournalEvent.objects.count() == 1


def test_it_counts_every_contact_the_customer_made(world: Any) -> None:
    need = open_need(world.customer_a)
    services.message_post_by_customer(customer=world.customer_a, need=need, body="1")
    services.message_post_by_staff(staff=world.owner, need=need, body="answer")
    services.message_post_by_customer(customer=world.customer_a, need=need, body="2")
    need = services.resolution_propose(staff=world.owner, need=need, summary="s")
    need = services.need_reopen(customer=world.customer_a, need=need, reason="no")
    assert (need.contacts, need.reopens) == (4, 1)
    proactive = open_need(world.customer_a, by=world.owner, proactive=True)
    assert proactive.contacts == 0
    with pytest.raises(NotAllowed):
        services.message_post_by_customer(customer=world.customer_b, need=need, body="hijack")
    assert Need.objects.get(pk=need.pk).contacts == 4


# --- notifications ---------------------------------------------------------------------------


@pytest.fixture
def english(world: Any) -> None:
    Customer.objects.filter(pk=world.customer_a.pk).update(language="en")
    world.customer_a.refresh_from_db()


def test_it_mails_the_customer_a_staff_reply(
    world: Any, english: None, django_capture_on_commit_callbacks: Any
) -> None:
    need = open_need(world.customer_a)
    settle()
    with django_capture_on_commit_callbacks(execute=True):
        services.message_post_by_staff(staff=world.owner, need=need, body="It ships today")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["a@example.com"]
    assert message.subject == f"#{need.pk} Where is my order?"
    assert "Olga Owner: It ships today" in message.body
    assert "Your contact person: Olga Owner" in message.body
    assert f"/portal/needs/{need.pk}/" in message.body


def test_it_announces_the_autoconfirm_date_with_a_proposal(
    world: Any, english: None, django_capture_on_commit_callbacks: Any
) -> None:
    need = open_need(world.customer_a)
    settle()
    with django_capture_on_commit_callbacks(execute=True):
        need = services.resolution_propose(staff=world.owner, need=need, summary="New one sent")
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    assert mail.outbox[0].to == ["a@example.com"]
    assert "New one sent" in body
    assert need.autoconfirm_at is not None
    by = timezone.localtime(need.autoconfirm_at, ZoneInfo(need.business.time_zone))
    # The day in words, in the customer's language and the business's time zone (#14).
    assert f"If we hear nothing by {by:%A} {by.day} {by:%B} {by.year}," in body


def test_it_mails_the_owner_a_customer_message(
    world: Any, django_capture_on_commit_callbacks: Any
) -> None:
    need = open_need(world.customer_a)
    settle()
    with django_capture_on_commit_callbacks(execute=True):
        services.message_post_by_customer(customer=world.customer_a, need=need, body="Any news?")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["owner@x.example"]
    assert "Anna A: Any news?" in mail.outbox[0].body
    assert f"/console/needs/{need.pk}/" in mail.outbox[0].body


def test_it_mails_nobody_an_internal_note(
    world: Any, django_capture_on_commit_callbacks: Any
) -> None:
    need = open_need(world.customer_a)
    settle()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.message_post_by_staff(staff=world.owner, need=need, body="secret", internal=True)
    assert len(callbacks) == 1
    assert mail.outbox == []


def test_it_mails_on_opening_the_side_that_did_not_open(
    world: Any, english: None, django_capture_on_commit_callbacks: Any
) -> None:
    settle()
    with django_capture_on_commit_callbacks(execute=True):
        open_need(world.customer_a)
    assert [m.to for m in mail.outbox] == [["owner@x.example"]]
    settle()
    with django_capture_on_commit_callbacks(execute=True):
        open_need(world.customer_a, by=world.owner, summary="We saw a delay")
    assert [m.to for m in mail.outbox] == [["a@example.com"]]
    assert "We opened this for you: We saw a delay" in mail.outbox[0].body


def test_it_mails_the_colleague_an_offer_and_the_customer_the_new_owner(
    world: Any, english: None, django_capture_on_commit_callbacks: Any
) -> None:
    need = open_need(world.customer_a)
    settle()
    with django_capture_on_commit_callbacks(execute=True):
        handoff = _offer(world, need)
    assert [m.to for m in mail.outbox] == [["colleague@x.example"]]
    settle()
    with django_capture_on_commit_callbacks(execute=True):
        services.handoffs_remind_and_expire(now=handoff.remind_at)
    assert [sorted(m.to) for m in mail.outbox] == [["colleague@x.example", "owner@x.example"]]
    settle()
    with django_capture_on_commit_callbacks(execute=True):
        services.handoff_accept(staff=world.colleague, handoff=handoff)
    assert [m.to for m in mail.outbox] == [["a@example.com"]]
    assert "Cor Colleague is now your contact person for this." in mail.outbox[0].body


def test_it_never_lets_a_failing_notification_undo_the_change(
    world: Any, monkeypatch: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from klantstuur.needs import notifications

    class Down:
        def open(self) -> None:
            raise OSError("mail server down")

        def close(self) -> None:
            pass

    monkeypatch.setattr(notifications, "get_connection", Down)
    need = open_need(world.customer_a)
    with django_capture_on_commit_callbacks(execute=True):
        services.message_post_by_staff(staff=world.owner, need=need, body="Hi")
    assert kinds(need) == ["need_opened", "staff_message"]
    failed = Notification.objects.get(event__kind="staff_message")
    assert (failed.status, failed.attempts, failed.error) == ("failed", 1, "mail server down")
    assert failed.next_attempt_at is not None


# --- the worker -----------------------------------------------------------------------------


def test_the_worker_sweeps_reminders_expiries_and_confirmations(world: Any) -> None:
    past = timezone.now() - timedelta(days=8)
    expiring = open_need(world.customer_a)
    h1 = _offer(world, expiring)
    reminding = open_need(world.customer_b)
    h2 = services.handoff_offer(
        staff=reminding.owner, need=reminding, to_staff=world.lead, reason="x"
    )
    Handoff.objects.filter(pk=h1.pk).update(remind_at=past, expires_at=past)
    Handoff.objects.filter(pk=h2.pk).update(remind_at=past)
    proposed = services.resolution_propose(
        staff=world.owner, need=open_need(world.customer_a), summary="done"
    )
    Need.objects.filter(pk=proposed.pk).update(autoconfirm_at=past)
    done = run_sweeps()
    assert (done["handoffs"], done["autoconfirm"]) == (2, 1)  # one reminder + one expiry
    assert all(count >= 0 for count in done.values()), done  # -1 would be a failed sweep
    assert Handoff.objects.get(pk=h1.pk).status == "expired"
    assert Handoff.objects.get(pk=h2.pk).reminded_at is not None
    assert Need.objects.get(pk=proposed.pk).status == "solved"
    done = run_sweeps()
    assert (done["handoffs"], done["autoconfirm"]) == (0, 0)
    assert Need.objects.get(pk=expiring.pk).owner_id == world.owner.pk


def test_the_journal_refuses_bulk_changes_but_lets_erasure_scrub(world: Any) -> None:
    need = services.need_open(customer=world.customer_a, kind="question", summary="Waar?")
    events = JournalEvent.objects.filter(need=need)
    with pytest.raises(RuntimeError, match="append-only"):
        events.update(kind="tampered")
    with pytest.raises(RuntimeError, match="append-only"):
        events.delete()
    assert events.get().kind == "need_opened"
    assert events.scrub_data({}) == 1
    assert events.get().data == {}


def test_staff_read_their_mail_in_their_own_language(
    world: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """One mail per language the staff concerned read; who chose none reads the
    business's (Dutch here). Each is recorded on its own audience (#14)."""
    from klantstuur.accounts.models import User
    from klantstuur.needs.models import Notification

    User.objects.filter(pk=world.colleague.user_id).update(language="en")
    need = open_need(world.customer_a)
    settle()
    with django_capture_on_commit_callbacks(execute=True):
        handoff = _offer(world, need)
    settle()
    with django_capture_on_commit_callbacks(execute=True):
        services.handoffs_remind_and_expire(now=handoff.remind_at)
    by_to = {tuple(m.to): m for m in mail.outbox}
    assert sorted(by_to) == [("colleague@x.example",), ("owner@x.example",)]
    english, dutch = by_to[("colleague@x.example",)], by_to[("owner@x.example",)]
    assert english.subject.startswith("[Handoff reminder]"), english.subject
    assert dutch.subject.startswith("[Herinnering overdracht]"), dutch.subject
    reminded = Notification.objects.filter(event__kind="handoff_reminded")
    assert sorted(reminded.values_list("audience", "status")) == [
        ("staff", "sent"),
        ("staff-en", "sent"),
    ]
    assert english.extra_headers["Message-ID"] != dutch.extra_headers["Message-ID"]

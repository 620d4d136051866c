"""Races between real transactions, in threads, each with its own connection.

PostgreSQL serializes them with row locks (SELECT ... FOR UPDATE). SQLite has no row
locks; see ``_skip_unless_real_locks`` for when it runs there.
"""

import threading
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection

from klantstuur.core.errors import DomainError
from klantstuur.needs import services
from klantstuur.needs.models import EventKind, Handoff, JournalEvent, Need
from tests.helpers import open_need

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _skip_unless_real_locks(db: Any) -> None:
    if connection.vendor != "postgresql":
        pytest.skip(
            "SQLite's in-memory test database is shared-cache: concurrent writers get "
            "'database table is locked' at once instead of waiting, so races cannot be "
            "observed there; these run on PostgreSQL."
        )


def race(*jobs: Callable[[], Any]) -> list[str]:
    """Start every job at the same moment; return each one's outcome."""
    barrier = threading.Barrier(len(jobs))
    outcomes: list[str] = [""] * len(jobs)

    def run(i: int, job: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=10)
            job()
            outcomes[i] = "ok"
        except DomainError as exc:
            outcomes[i] = type(exc).__name__
        except Exception as exc:  # a deadlock or a crash is a failure of the test
            outcomes[i] = f"crash: {exc!r}"
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    assert not [o for o in outcomes if o.startswith("crash")], outcomes
    return outcomes


def owners_from_journal(need: Need) -> int:
    """Replay the journal: the opening owner, then each accepted handoff."""
    owner = None
    for e in JournalEvent.objects.filter(
        need=need, kind__in=[EventKind.NEED_OPENED, EventKind.HANDOFF_ACCEPTED]
    ).order_by("at", "id"):
        if e.kind == EventKind.NEED_OPENED:
            owner = e.data["owner"]["id"]
        else:
            assert e.data["from"]["id"] == owner
            owner = e.data["to"]["id"]
    assert owner is not None
    return owner


def _offered_need(world: Any, customer: Any) -> tuple[Need, Any, Any]:
    """A fresh need with an open offer from its owner to another frontline colleague."""
    need = open_need(customer)
    frm = need.owner
    to = world.colleague if frm.pk != world.colleague.pk else world.lead
    services.handoff_offer(staff=frm, need=need, to_staff=to, reason="please")
    return need, frm, to


ROUNDS = 3  # each race a few times, on a fresh need; one database flush per test


def test_it_lets_exactly_one_answer_to_an_offer_win(world: Any) -> None:
    for _ in range(ROUNDS):
        _one_answer_wins(world)


def _one_answer_wins(world: Any) -> None:
    need, frm, to = _offered_need(world, world.customer_a)
    handoff = Handoff.objects.get(need=need, status="offered")
    jobs: list[Callable[[], Any]] = []
    for i in range(8):
        if i % 4 == 3:  # someone else grabs for it
            jobs.append(lambda: services.handoff_accept(staff=world.kitchen, handoff=handoff))
        elif i % 2:
            jobs.append(lambda: services.handoff_accept(staff=to, handoff=handoff))
        else:
            jobs.append(lambda: services.handoff_decline(staff=to, handoff=handoff, reason="no"))
    outcomes = Counter(race(*jobs))
    assert outcomes["ok"] == 1, outcomes
    assert outcomes["NotAllowed"] == 2
    assert outcomes["Conflict"] == 5
    handoff.refresh_from_db()
    need.refresh_from_db()
    answers = JournalEvent.objects.filter(
        need=need, kind__in=[EventKind.HANDOFF_ACCEPTED, EventKind.HANDOFF_DECLINED]
    )
    assert answers.count() == 1
    if handoff.status == "accepted":
        assert (need.owner_id, need.handoffs) == (to.pk, 1)
    else:
        assert handoff.status == "declined"
        assert (need.owner_id, need.handoffs) == (frm.pk, 0)
    assert owners_from_journal(need) == need.owner_id


def test_it_never_makes_two_owners_when_accept_races_a_proposal(world: Any) -> None:
    for _ in range(ROUNDS):
        _accept_races_proposal(world)


def _accept_races_proposal(world: Any) -> None:
    need, frm, to = _offered_need(world, world.customer_b)
    handoff = Handoff.objects.get(need=need, status="offered")
    outcomes = race(
        lambda: services.handoff_accept(staff=to, handoff=handoff),
        lambda: services.resolution_propose(staff=frm, need=need, summary="done"),
    )
    need.refresh_from_db()
    assert outcomes[0] == "ok"  # the proposal leaves the offer open
    assert need.owner_id == to.pk == owners_from_journal(need)
    assert need.handoffs == 1
    if outcomes[1] == "ok":  # proposed before the owner changed
        assert need.status == "awaiting_customer"
    else:  # the old owner was too late
        assert outcomes[1] == "NotAllowed"
        assert need.status == "open"
        assert not JournalEvent.objects.filter(need=need, kind="resolution_proposed").exists()


def test_it_never_moves_a_cancelled_need(world: Any) -> None:
    for _ in range(ROUNDS):
        _accept_races_cancel(world)


def _accept_races_cancel(world: Any) -> None:
    need, frm, to = _offered_need(world, world.customer_a)
    handoff = Handoff.objects.get(need=need, status="offered")
    outcomes = race(
        lambda: services.handoff_accept(staff=to, handoff=handoff),
        lambda: services.need_cancel(customer=world.customer_a, need=need),
    )
    need.refresh_from_db()
    handoff.refresh_from_db()
    assert outcomes[1] == "ok"
    assert need.status == "cancelled"
    if outcomes[0] == "ok":
        assert handoff.status == "accepted"
        assert (need.owner_id, need.handoffs) == (to.pk, 1)
    else:
        assert outcomes[0] == "Conflict"
        assert handoff.status == "withdrawn"
        assert (need.owner_id, need.handoffs) == (frm.pk, 0)
    assert owners_from_journal(need) == need.owner_id


def test_it_never_deadlocks_an_answer_with_the_expiry_sweep(world: Any) -> None:
    for _ in range(ROUNDS):
        _accept_races_sweep(world)


def _accept_races_sweep(world: Any) -> None:
    need, frm, to = _offered_need(world, world.customer_a)
    handoff = Handoff.objects.get(need=need, status="offered")
    later = handoff.expires_at + timedelta(seconds=1)
    outcomes = race(
        lambda: services.handoff_accept(staff=to, handoff=handoff),
        lambda: services.handoffs_remind_and_expire(now=later),
        lambda: services.handoffs_remind_and_expire(now=later),
    )
    need.refresh_from_db()
    handoff.refresh_from_db()
    if outcomes[0] == "ok":
        assert handoff.status == "accepted"
        assert need.owner_id == to.pk
    else:
        assert outcomes[0] == "Conflict"
        assert handoff.status == "expired"
        assert need.owner_id == frm.pk
    assert JournalEvent.objects.filter(need=need, kind="handoff_expired").count() == (
        0 if handoff.status == "accepted" else 1
    )


def test_it_counts_every_one_of_twenty_concurrent_messages(world: Any) -> None:
    need = open_need(world.customer_a)
    outcomes = race(
        *[
            (
                lambda i=i: services.message_post_by_customer(
                    customer=world.customer_a, need=need, body=f"hello {i}"
                )
            )
            for i in range(20)
        ]
    )
    assert outcomes == ["ok"] * 20
    need.refresh_from_db()
    assert need.contacts == 21
    assert JournalEvent.objects.filter(need=need, kind="customer_message").count() == 20


def test_it_keeps_one_open_offer_when_two_are_made_at_once(world: Any) -> None:
    need = open_need(world.customer_a)
    assert need.owner_id == world.owner.pk
    outcomes = race(
        *[
            (
                lambda to=to: services.handoff_offer(
                    staff=world.owner, need=need, to_staff=to, reason="x"
                )
            )
            for to in (world.colleague, world.lead, world.manager, world.kitchen)
        ]
    )
    assert sorted(outcomes) == ["Conflict", "Conflict", "Conflict", "ok"]
    assert Handoff.objects.filter(need=need, status="offered").count() == 1
    assert JournalEvent.objects.filter(need=need, kind="handoff_offered").count() == 1

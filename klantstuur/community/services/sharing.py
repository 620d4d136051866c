"""Sharing a question with the other customers, un-sharing it, and leaving altogether."""

from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from klantstuur.core.errors import Conflict
from klantstuur.customers.models import Customer
from klantstuur.needs.journal import record
from klantstuur.needs.models import EventKind, JournalEvent, Need

from .. import events
from ..limits import lock_customer, require_under
from ..models import AnswerReport, Member, PeerAnswer, SharedQuestion
from ..privacy import clean_display_name, redact
from ._gates import member_of, own_need

PEER_KINDS = (
    EventKind.PEER_ANSWER,
    EventKind.PEER_ANSWER_ENDORSED,
    EventKind.PEER_ANSWER_CORRECTED,
    EventKind.PEER_ANSWER_HELPED,
    EventKind.PEER_ANSWER_REPORTED,
    EventKind.PEER_ANSWER_HIDDEN,
)


@transaction.atomic
def question_share(
    *, customer: Customer, need_id: int, display_name: str | None = None
) -> SharedQuestion:
    """Show an open need to the business's other customers, by first or chosen name only.

    Sharing what is shared already changes nothing (its name may be changed)."""
    chosen = clean_display_name(display_name, customer=customer) if display_name else None
    lock_customer(customer)
    need = own_need(customer, need_id)
    if not need.is_active:
        raise Conflict(_("Only an open question can be shared."), status=need.status)
    member = member_of(customer, display_name=chosen)
    now = timezone.now()
    question = SharedQuestion.objects.filter(need_id=need.pk).first()
    if question is not None and question.unshared_at is None:
        if question.display_name != member.display_name:
            question.display_name = member.display_name
            question.save(update_fields=["display_name"])
        return question
    require_under(
        "shares",
        count_since=lambda t: SharedQuestion.objects.filter(
            asker_id=customer.pk, shared_at__gte=t
        ).count(),
        field="need_id",
        now=now,
    )
    fields = {
        "business_id": need.business_id,
        "asker": customer,
        "display_name": member.display_name,
        "summary": redact(need.summary),
        "shared_at": now,
        "unshared_at": None,
        "open": True,
    }
    question, _created = SharedQuestion.objects.update_or_create(need=need, defaults=fields)
    record(events.shared(question), need=need, actor_customer=customer, at=now)
    return question


@transaction.atomic
def question_unshare(*, customer: Customer, need_id: int) -> None:
    """Other customers no longer see it; its answers stay on the asker's timeline."""
    need = own_need(customer, need_id)
    now = timezone.now()
    changed = SharedQuestion.objects.filter(need_id=need.pk, unshared_at__isnull=True).update(
        unshared_at=now
    )
    if changed:
        record(events.unshared(), need=need, actor_customer=customer, at=now)


def _scrub_peer_events(answer_ids: list[int], need_ids: list[int]) -> None:
    """The journal keeps that an answer was given, not its text or the peer's name."""
    found = JournalEvent.objects.filter(need_id__in=need_ids, kind__in=PEER_KINDS).only(
        "pk", "data"
    )
    for event in found:
        if event.data.get("answer_id") in answer_ids:
            scrubbed = {k: ("" if isinstance(v, str) else v) for k, v in event.data.items()}
            JournalEvent.objects.filter(pk=event.pk).scrub_data(scrubbed)


@transaction.atomic
def community_leave(*, customer: Customer) -> dict[str, Any]:
    """The customer leaves and takes their answers with them: each answer's text and name
    are gone from every view and from the journal, their questions are no longer
    shared, and peers see them no more. A fact stays: that an answer helped someone."""
    lock_customer(customer)
    now = timezone.now()
    mine = list(
        PeerAnswer.objects.select_for_update()
        .filter(author_id=customer.pk, withdrawn_at__isnull=True)
        .values_list("pk", "need_id", "hidden_at")
    )
    answer_ids = [pk for pk, _need, _hidden in mine]
    need_ids = sorted({need for _pk, need, _hidden in mine})
    _scrub_peer_events(answer_ids, need_ids)
    for pk, need_id, hidden_at in mine:
        if hidden_at is None:
            SharedQuestion.objects.filter(need_id=need_id).update(answers=F("answers") - 1)
        record(events.withdrawn(pk), need=Need.objects.get(pk=need_id), at=now)
    PeerAnswer.objects.filter(pk__in=answer_ids).update(
        body="", display_name="", correction="", withdrawn_at=now
    )
    AnswerReport.objects.filter(answer_id__in=answer_ids).delete()
    AnswerReport.objects.filter(reporter_id=customer.pk).delete()
    shared = list(
        SharedQuestion.objects.filter(asker_id=customer.pk, unshared_at__isnull=True).values_list(
            "need_id", flat=True
        )
    )
    for need_id in shared:
        question_unshare(customer=customer, need_id=need_id)
    Member.objects.filter(customer_id=customer.pk).delete()
    return {"answers_withdrawn": len(answer_ids), "questions_unshared": len(shared)}


def questions_erase(*, customer_id: int, text: str) -> int:
    """Erasure (privacy): the shared copies of the customer's summaries and their name."""
    return SharedQuestion.objects.filter(asker_id=customer_id).update(
        summary=text, display_name="", unshared_at=timezone.now()
    )

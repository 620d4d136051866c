"""A fellow customer's answer, and what the owner and the asker make of it.

The answer is no contact (the need's ``contacts`` stay as they are) and gives no
ownership: the owner is told, and endorses ("klopt", shown to all) or corrects it; the
asker marks the one that helped, which proposes the resolution on the business's
behalf — the asker still confirms it themselves (``need.resolution_confirm``).
"""

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from klantstuur.businesses.models import StaffMember
from klantstuur.core.errors import Conflict, NotFound
from klantstuur.customers.models import Customer
from klantstuur.needs import services as needs
from klantstuur.needs.journal import record
from klantstuur.needs.models import Need, NeedStatus
from klantstuur.needs.services._steps import clean_text, lock_need, require_owner

from .. import events
from ..limits import lock_customer, require_under
from ..models import AnswerReport, PeerAnswer, SharedQuestion
from ..privacy import redact
from ._gates import (
    ANSWER_MAX,
    REASON_MAX,
    answer_of,
    member_of,
    not_hidden,
    own_need,
    staff_need,
    visible_question,
)

# How the proposal reads that marking a helpful answer makes (by the business, not a person).
BY_PEER = "peer_answer"


@transaction.atomic
def answer_post(*, customer: Customer, need_id: int, body: str) -> PeerAnswer:
    """A fellow customer answers a shared open question of their own business."""
    text = redact(clean_text(body, field="body", max_len=ANSWER_MAX))
    lock_customer(customer)
    question = visible_question(customer, need_id)
    if question.unshared_at is not None:
        raise NotFound(_("No such question."), field="need_id")
    if question.asker_id == customer.pk:
        raise Conflict(_("This is your own question: write to its owner instead."), field="need_id")
    need = lock_need(need_id)
    if not need.is_active:
        raise Conflict(_("This question is closed."), status=need.status)
    now = timezone.now()
    require_under(
        "answers",
        count_since=lambda t: PeerAnswer.objects.filter(
            author_id=customer.pk, created_at__gte=t
        ).count(),
        field="body",
        now=now,
    )
    member = member_of(customer)
    answer = PeerAnswer.objects.create(
        business_id=need.business_id,
        need=need,
        author=customer,
        display_name=member.display_name,
        body=text,
        created_at=now,
    )
    # No actor on the event: the asker's timeline names the peer by display name only.
    entry = events.answered(answer_id=answer.pk, body=text, display_name=member.display_name)
    answer.event = record(entry, need=need, at=now)
    answer.save(update_fields=["event"])
    SharedQuestion.objects.filter(need_id=need.pk).update(answers=F("answers") + 1)
    return answer


@transaction.atomic
def answer_endorse(*, staff: StaffMember, need_id: int, answer_id: int) -> PeerAnswer:
    """The owner says the answer is right ("klopt"); every peer sees it."""
    need = staff_need(staff, need_id)
    require_owner(need, staff)
    answer = answer_of(need, answer_id)
    not_hidden(answer)
    if answer.endorsed_at is None:
        answer.endorsed_at, answer.endorsed_by = timezone.now(), staff
        answer.correction, answer.corrected_by = "", None
        answer.save(update_fields=["endorsed_at", "endorsed_by", "correction", "corrected_by"])
        record(events.endorsed(answer), need=need, actor_staff=staff, at=answer.endorsed_at)
    return answer


@transaction.atomic
def answer_correct(
    *, staff: StaffMember, need_id: int, answer_id: int, correction: str
) -> PeerAnswer:
    """The owner sets an answer right; the correction is shown beside it to all."""
    text = redact(clean_text(correction, field="correction", max_len=ANSWER_MAX))
    need = staff_need(staff, need_id)
    require_owner(need, staff)
    answer = answer_of(need, answer_id)
    not_hidden(answer)
    answer.correction, answer.corrected_by = text, staff
    answer.endorsed_at, answer.endorsed_by = None, None
    answer.save(update_fields=["endorsed_at", "endorsed_by", "correction", "corrected_by"])
    record(events.corrected(answer), need=need, actor_staff=staff)
    return answer


@transaction.atomic
def answer_hide(
    *, staff: StaffMember, need_id: int, answer_id: int, reason: str = ""
) -> PeerAnswer:
    """Staff of the business take an answer out of every peer's view (moderation)."""
    reason = clean_text(reason, field="reason", required=False, max_len=REASON_MAX)
    need = staff_need(staff, need_id)
    answer = answer_of(need, answer_id)
    if answer.hidden_at is not None:
        return answer
    if answer.helped_at is not None:
        raise Conflict(_("The asker marked this answer as the one that helped."), field="answer_id")
    answer.hidden_at, answer.hidden_by = timezone.now(), staff
    answer.save(update_fields=["hidden_at", "hidden_by"])
    SharedQuestion.objects.filter(need_id=need.pk).update(answers=F("answers") - 1)
    record(events.hidden(answer, reason=reason), need=need, actor_staff=staff, at=answer.hidden_at)
    return answer


@transaction.atomic
def answer_report(
    *, customer: Customer, need_id: int, answer_id: int, reason: str = ""
) -> PeerAnswer:
    """Anyone who can read an answer may report it; the owner is told, staff decide."""
    reason = redact(clean_text(reason, field="reason", required=False, max_len=REASON_MAX))
    lock_customer(customer)
    visible_question(customer, need_id)
    need = lock_need(need_id)
    answer = answer_of(need, answer_id)
    if answer.hidden_at is not None:
        raise NotFound(_("No such answer."), field="answer_id")
    if answer.author_id == customer.pk:
        raise Conflict(_("This is your own answer."), field="answer_id")
    if AnswerReport.objects.filter(answer=answer, reporter=customer).exists():
        return answer
    now = timezone.now()
    require_under(
        "reports",
        count_since=lambda t: AnswerReport.objects.filter(
            reporter_id=customer.pk, created_at__gte=t
        ).count(),
        field="answer_id",
        now=now,
    )
    AnswerReport.objects.create(answer=answer, reporter=customer, reason=reason, created_at=now)
    PeerAnswer.objects.filter(pk=answer.pk).update(reports=F("reports") + 1)
    answer.refresh_from_db()
    record(events.reported(answer, reason=reason), need=need, at=now)
    return answer


@transaction.atomic
def answer_mark_helped(
    *, customer: Customer, need_id: int, answer_id: int, confirm: bool = False
) -> Need:
    """The asker marks the answer that helped. An open need is then proposed as solved
    (on the business's behalf, the owner unchanged); ``confirm`` confirms it at once."""
    need = own_need(customer, need_id)
    answer = answer_of(need, answer_id)
    not_hidden(answer)
    now = timezone.now()
    if answer.helped_at is None:
        if need.status not in (NeedStatus.OPEN, NeedStatus.AWAITING_CUSTOMER):
            raise Conflict(_("This need is closed."), status=need.status)
        answer.helped_at = now
        try:
            with transaction.atomic():
                answer.save(update_fields=["helped_at"])
        except IntegrityError:
            raise Conflict(
                _("Another answer is already marked as the one that helped."), field="answer_id"
            ) from None
        record(events.helped(answer), need=need, actor_customer=customer, at=now)
        summary = _("Solved with the answer of %(name)s, a fellow customer.") % {
            "name": answer.display_name
        }
        needs.resolution_propose_on_behalf(
            need=need, summary=summary, actor_staff=None, by=BY_PEER, now=now
        )
    if confirm:
        need = Need.objects.get(pk=need.pk)
        if need.status != NeedStatus.SOLVED:
            needs.resolution_confirm(customer=customer, need=need)
    return Need.objects.select_related("owner", "customer").get(pk=need.pk)

"""The checks the community's writes start with: whose need, which answer, which state."""

from django.utils.translation import gettext as _

from klantstuur.businesses.models import Role, StaffMember
from klantstuur.core.errors import Conflict, NotAllowed, NotFound
from klantstuur.customers.models import Customer
from klantstuur.needs.models import Need
from klantstuur.needs.services._steps import lock_need

from ..models import Member, PeerAnswer, SharedQuestion
from ..privacy import first_name

ANSWER_MAX = 2000
REASON_MAX = 300


def own_need(customer: Customer, need_id: int) -> Need:
    """The customer's own need, locked; anyone else's is not found."""
    if not Need.objects.filter(pk=need_id, customer_id=customer.pk).exists():
        raise NotFound(_("No such need."), field="need_id")
    return lock_need(need_id)


def staff_need(staff: StaffMember, need_id: int) -> Need:
    """A need of the staff member's business, locked; another business's is not found."""
    if staff.role == Role.CARRIER:
        raise NotAllowed(_("A carrier integration account may only post carrier events."))
    if not Need.objects.filter(pk=need_id, business_id=staff.business_id).exists():
        raise NotFound(_("No such need."), field="need_id")
    return lock_need(need_id)


def visible_question(customer: Customer, need_id: int) -> SharedQuestion:
    """A question shared in the customer's business (or their own, shared or not yet)."""
    question = (
        SharedQuestion.objects.filter(need_id=need_id, business_id=customer.business_id)
        .select_related("need")
        .first()
    )
    if question is None or (question.unshared_at is not None and question.asker_id != customer.pk):
        raise NotFound(_("No such question."), field="need_id")
    return question


def answer_of(need: Need, answer_id: int) -> PeerAnswer:
    answer = (
        PeerAnswer.objects.select_for_update()
        .filter(pk=answer_id, need_id=need.pk, withdrawn_at__isnull=True)
        .first()
    )
    if answer is None:
        raise NotFound(_("No such answer."), field="answer_id")
    return answer


def not_hidden(answer: PeerAnswer) -> None:
    if answer.hidden_at is not None:
        raise Conflict(_("This answer was hidden by staff."), field="answer_id")


def member_of(customer: Customer, *, display_name: str | None = None) -> Member:
    """The customer's name among peers: chosen now, chosen before, or their first name."""
    member = Member.objects.filter(customer_id=customer.pk).first()
    if member is None:
        member = Member.objects.create(
            customer=customer,
            business_id=customer.business_id,
            display_name=display_name or first_name(customer),
        )
    elif display_name and display_name != member.display_name:
        member.display_name = display_name
        member.save(update_fields=["display_name"])
    return member

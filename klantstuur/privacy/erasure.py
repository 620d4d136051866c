"""The customer's right to be forgotten (R11).

Erasure is carried out by a sweep once nothing is open any more (active
needs, orders not yet fulfilled or cancelled, returns under way). Orders stay
as anonymised records (amounts and lines: the bookkeeping obligation); every
personal detail — name, e-mail, phone, addresses, neighbours' names, message
texts, instruction parameters — is removed. The journal is append-only except
for this one legal step, which blanks personal fields in place.
"""

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from klantstuur.community import services as community
from klantstuur.core.errors import Conflict
from klantstuur.customers.models import Customer
from klantstuur.delivery.instructions.models import StandingInstruction
from klantstuur.delivery.models import Delivery, ReturnRequest, ReturnStatus
from klantstuur.integrations.services import webhooks_erase_customer
from klantstuur.mail.models import Attachment, InboundMail
from klantstuur.mail.selectors import mail_of_customer
from klantstuur.needs.journal import record
from klantstuur.needs.models import ACTIVE_STATUSES, JournalEvent, Need
from klantstuur.orders.models import Order, OrderStatus

from . import events

ERASED = "[erased]"
PERSONAL_KEYS = {
    "body",
    # the Message-ID of a customer's e-mail (issue #11)
    "message_id",
    "before",
    "after",
    "reason",
    "note",
    "goal",
    "summary",
    "requested",
    "promised",
    "promise",
    "place",
    "house_number",
    "name",
    "street",
    "city",
}


def open_obligations(customer: Customer) -> list[str]:
    reasons = []
    if Need.objects.filter(customer=customer, status__in=ACTIVE_STATUSES).exists():
        reasons.append("open_needs")
    if Order.objects.filter(customer=customer, status=OrderStatus.PLACED).exists():
        reasons.append("open_orders")
    if ReturnRequest.objects.filter(customer=customer, status=ReturnStatus.REQUESTED).exists():
        reasons.append("returns_under_way")
    return reasons


# What an open obligation is, in the customer's words (``open_obligations`` codes).
OBLIGATION_WORDS = {
    "open_needs": gettext_lazy("a question or request that is still open"),
    "open_orders": gettext_lazy("an order that is still on its way"),
    "returns_under_way": gettext_lazy("a return that is still under way"),
}


def obligations_in_words(codes: list[str]) -> list[str]:
    return [str(OBLIGATION_WORDS.get(c, c)) for c in codes]


@transaction.atomic
def erasure_withdraw(*, customer: Customer, now: datetime | None = None) -> Customer:
    """The customer changes their mind while the erasure is pending: nothing is erased."""
    now = now or timezone.now()
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if customer.erased_at:
        raise Conflict(_("Your data has already been erased; this cannot be undone."))
    if customer.erasure_requested_at is None:
        raise Conflict(_("No erasure is pending."))
    Customer.objects.filter(pk=customer.pk).update(erasure_requested_at=None)
    record(
        events.erasure_withdrawn(open_obligations(customer)),
        need=None,
        customer=customer,
        actor_customer=customer,
        at=now,
    )
    customer.refresh_from_db()
    return customer


@transaction.atomic
def erasure_request(*, customer: Customer, now: datetime | None = None) -> Customer:
    now = now or timezone.now()
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if customer.erased_at:
        raise Conflict(_("Your data has already been erased."))
    if customer.erasure_requested_at is None:
        Customer.objects.filter(pk=customer.pk).update(erasure_requested_at=now)
        record(
            events.erasure_requested(open_obligations(customer)),
            need=None,
            customer=customer,
            actor_customer=customer,
            at=now,
        )
        customer.refresh_from_db()
    return customer


def mail_erase(*, customer: Customer) -> None:
    """What came by e-mail (issue #11): the files go, the log forgets the address, also
    of the mails that became no need (before the customer's own address is erased)."""
    Attachment.objects.filter(need__customer_id=customer.pk).delete()
    InboundMail.objects.filter(pk__in=mail_of_customer(customer).values("pk")).update(
        sender="", message_id=""
    )


def _scrub(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: (ERASED if k in PERSONAL_KEYS and v else _scrub(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    return value


def erasures_carry_out(now: datetime) -> int:
    """Worker sweep: erase those who asked, once nothing is open any more."""
    done = 0
    due = Customer.objects.filter(
        erasure_requested_at__isnull=False, erased_at__isnull=True
    ).values_list("pk", flat=True)[:100]
    for pk in list(due):
        with transaction.atomic():
            customer = Customer.objects.select_for_update().get(pk=pk)
            if customer.erased_at or open_obligations(customer):
                continue
            Customer.objects.filter(pk=pk).update(
                name=_("Erased customer #%(id)s") % {"id": pk},
                email=None,
                phone="",
                notify_by_email=False,
                erased_at=now,
            )
            if customer.user_id:
                user = customer.user
                assert user is not None
                user.is_active = False
                user.email = ""
                user.first_name = user.last_name = ""
                user.username = f"erased-{user.pk}"
                user.set_unusable_password()
                user.save()
                user.api_tokens.all().delete()
            for ev in JournalEvent.objects.filter(customer_id=pk).only("pk", "data"):
                JournalEvent.objects.filter(pk=ev.pk).scrub_data(_scrub(ev.data))
            mail_erase(customer=customer)
            Need.objects.filter(customer_id=pk).update(summary=ERASED, goal="")
            # Their answers to fellow customers leave with them; their questions are
            # no longer shared (and the shared copy of each summary is erased too).
            community.community_leave(customer=customer)
            community.questions_erase(customer_id=pk, text=ERASED)
            community.neighbours_erase(customer_id=pk, text=ERASED)
            Delivery.objects.filter(customer_id=pk).update(requested_place={}, promised_place={})
            StandingInstruction.objects.filter(customer_id=pk).update(params={}, active=False)
            ReturnRequest.objects.filter(customer_id=pk).update(reason=ERASED)
            webhooks_erase_customer(customer_id=pk)
            record(
                events.customer_erased(),
                need=None,
                customer=Customer.objects.get(pk=pk),
                at=now,
            )
            done += 1
    return done

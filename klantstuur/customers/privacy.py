"""The customer's own data: export everything, request erasure (R11).

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

from klantstuur.core.errors import Conflict
from klantstuur.needs.journal import record_event
from klantstuur.needs.models import ACTIVE_STATUSES, EventKind, JournalEvent, Need

from .models import Customer

ERASED = "[erased]"
PERSONAL_KEYS = {
    "body",
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


def _iso(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def customer_export(*, customer: Customer) -> dict[str, Any]:
    """Everything held about the customer, as plain JSON (bounded number of queries)."""
    from klantstuur.delivery.instructions.models import StandingInstruction
    from klantstuur.delivery.models import Delivery, ReturnRequest
    from klantstuur.orders.models import Order

    needs = list(Need.objects.filter(customer=customer).select_related("owner").order_by("id"))
    events = list(
        JournalEvent.objects.filter(customer=customer)
        .visible_to_customer()
        .select_related("actor_staff", "actor_customer")
        .order_by("at", "id")
    )
    orders = list(
        Order.objects.filter(customer=customer)
        .prefetch_related("lines__item", "checkpoints")
        .order_by("id")
    )
    deliveries = {
        d.order_id: d
        for d in Delivery.objects.filter(customer=customer).select_related(
            "promised_window", "requested_window"
        )
    }
    return {
        "exported_at": timezone.now().isoformat(),
        "business": {"slug": customer.business.slug, "name": customer.business.name},
        "customer": {
            "id": customer.pk,
            "name": customer.name,
            "email": customer.email,
            "phone": customer.phone,
            "language": customer.language,
            "notify_by_email": customer.notify_by_email,
            "created_at": _iso(customer.created_at),
            "updated_at": _iso(customer.updated_at),
            "erasure_requested_at": _iso(customer.erasure_requested_at),
        },
        "needs": [
            {
                "id": n.pk,
                "kind": n.kind,
                "summary": n.summary,
                "goal": n.goal,
                "status": n.status,
                "owner": n.owner.name,
                "created_at": _iso(n.created_at),
                "solved_at": _iso(n.solved_at),
            }
            for n in needs
        ],
        "journal": [
            {
                "need_id": e.need_id,
                "kind": e.kind,
                "at": _iso(e.at),
                "actor": e.actor_name,
                "data": e.data,
            }
            for e in events
        ],
        "orders": [
            {
                "id": o.pk,
                "status": o.status,
                "total_cents": o.total_cents,
                "created_at": _iso(o.created_at),
                "promise": o.promise_text,
                "lines": [
                    {
                        "item": line.item.name,
                        "quantity": line.quantity,
                        "price_cents": line.price_cents,
                    }
                    for line in o.lines.all()
                ],
                "checkpoints": [{"code": c.code, "at": _iso(c.at)} for c in o.checkpoints.all()],
                "delivery": _delivery_export(deliveries.get(o.pk)),
            }
            for o in orders
        ],
        "standing_instructions": [
            {
                "id": i.pk,
                "condition": i.condition,
                "hours": i.hours,
                "action": i.action,
                "params": i.params,
                "active": i.active,
                "created_at": _iso(i.created_at),
            }
            for i in StandingInstruction.objects.filter(customer=customer).order_by("id")
        ],
        "returns": [
            {
                "id": r.pk,
                "order_id": r.order_id,
                "reason": r.reason,
                "method": r.method,
                "status": r.status,
                "created_at": _iso(r.created_at),
            }
            for r in ReturnRequest.objects.filter(customer=customer).order_by("id")
        ],
    }


def _delivery_export(d: Any) -> dict[str, Any] | None:
    if d is None:
        return None
    return {
        "requested": {
            "date": _iso(d.requested_date),
            "window": d.requested_window.code,
            "place": d.requested_place,
        },
        "promised": {
            "date": _iso(d.promised_date),
            "window": d.promised_window.code,
            "place": d.promised_place,
        },
        "status": d.status,
    }


def open_obligations(customer: Customer) -> list[str]:
    from klantstuur.delivery.models import ReturnRequest, ReturnStatus
    from klantstuur.orders.models import Order, OrderStatus

    reasons = []
    if Need.objects.filter(customer=customer, status__in=ACTIVE_STATUSES).exists():
        reasons.append("open_needs")
    if Order.objects.filter(customer=customer, status=OrderStatus.PLACED).exists():
        reasons.append("open_orders")
    if ReturnRequest.objects.filter(customer=customer, status=ReturnStatus.REQUESTED).exists():
        reasons.append("returns_under_way")
    return reasons


@transaction.atomic
def erasure_request(*, customer: Customer, now: datetime | None = None) -> Customer:
    now = now or timezone.now()
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if customer.erased_at:
        raise Conflict(_("Your data has already been erased."))
    if customer.erasure_requested_at is None:
        Customer.objects.filter(pk=customer.pk).update(erasure_requested_at=now)
        record_event(
            need=None,
            customer=customer,
            kind=EventKind.ERASURE_REQUESTED,
            actor_customer=customer,
            data={"waiting_for": open_obligations(customer)},
            at=now,
        )
        customer.refresh_from_db()
    return customer


def _scrub(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: (ERASED if k in PERSONAL_KEYS and v else _scrub(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    return value


def erasures_carry_out(now: datetime) -> int:
    """Worker sweep: erase those who asked, once nothing is open any more."""
    from klantstuur.delivery.instructions.models import StandingInstruction
    from klantstuur.delivery.models import Delivery, ReturnRequest

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
            Need.objects.filter(customer_id=pk).update(summary=ERASED, goal="")
            Delivery.objects.filter(customer_id=pk).update(requested_place={}, promised_place={})
            StandingInstruction.objects.filter(customer_id=pk).update(params={}, active=False)
            ReturnRequest.objects.filter(customer_id=pk).update(reason=ERASED)
            record_event(
                need=None,
                customer=Customer.objects.get(pk=pk),
                kind=EventKind.CUSTOMER_ERASED,
                data={},
                at=now,
            )
            done += 1
    return done


__all__ = ["customer_export", "erasure_request", "erasures_carry_out", "open_obligations"]


@transaction.atomic
def preferences_update(*, customer: Customer, notify_by_email: bool) -> Customer:
    """Communication preferences: e-mail on top of the portal, or the portal only."""
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if customer.notify_by_email != notify_by_email:
        Customer.objects.filter(pk=customer.pk).update(notify_by_email=notify_by_email)
        record_event(
            need=None,
            customer=customer,
            kind=EventKind.CUSTOMER_UPDATED,
            actor_customer=customer,
            data={
                "changed": ["notify_by_email"],
                "before": {"notify_by_email": customer.notify_by_email},
                "after": {"notify_by_email": notify_by_email},
            },
        )
        customer.refresh_from_db()
    return customer

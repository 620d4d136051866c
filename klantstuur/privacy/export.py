"""The customer's right to take their data along (R11): everything held about them,
as plain JSON, in a bounded number of queries."""

from typing import Any

from django.utils import timezone

from klantstuur.community.selectors import community_export
from klantstuur.customers.models import Customer
from klantstuur.delivery.instructions.models import StandingInstruction
from klantstuur.delivery.models import Delivery, ReturnRequest
from klantstuur.mail.selectors import mail_export
from klantstuur.needs.models import JournalEvent, Need
from klantstuur.orders.models import Order


def _iso(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def customer_export(*, customer: Customer) -> dict[str, Any]:
    """Everything held about the customer, as plain JSON (bounded number of queries)."""
    return {
        "exported_at": timezone.now().isoformat(),
        "business": {"slug": customer.business.slug, "name": customer.business.name},
        "customer": _customer(customer),
        "needs": _needs(customer),
        "journal": _journal(customer),
        "orders": _orders(customer),
        "standing_instructions": _instructions(customer),
        "returns": _returns(customer),
        "community": community_export(customer=customer),
        "mail": mail_export(customer=customer),
    }


def _customer(customer: Customer) -> dict[str, Any]:
    return {
        "id": customer.pk,
        "name": customer.name,
        "email": customer.email,
        "phone": customer.phone,
        "language": customer.language,
        "notify_by_email": customer.notify_by_email,
        "created_at": _iso(customer.created_at),
        "updated_at": _iso(customer.updated_at),
        "erasure_requested_at": _iso(customer.erasure_requested_at),
    }


def _needs(customer: Customer) -> list[dict[str, Any]]:
    return [
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
        for n in Need.objects.filter(customer=customer).select_related("owner").order_by("id")
    ]


def _journal(customer: Customer) -> list[dict[str, Any]]:
    events = (
        JournalEvent.objects.filter(customer=customer)
        .visible_to_customer()
        .select_related("actor_staff", "actor_customer")
        .order_by("at", "id")
    )
    return [
        {
            "need_id": e.need_id,
            "kind": e.kind,
            "at": _iso(e.at),
            "actor": e.actor_name,
            "data": e.data,
        }
        for e in events
    ]


def _orders(customer: Customer) -> list[dict[str, Any]]:
    orders = (
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
    return [
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
            "delivery": _delivery(deliveries.get(o.pk)),
        }
        for o in orders
    ]


def _delivery(d: Delivery | None) -> dict[str, Any] | None:
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


def _instructions(customer: Customer) -> list[dict[str, Any]]:
    return [
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
    ]


def _returns(customer: Customer) -> list[dict[str, Any]]:
    return [
        {
            "id": r.pk,
            "order_id": r.order_id,
            "reason": r.reason,
            "method": r.method,
            "status": r.status,
            "created_at": _iso(r.created_at),
        }
        for r in ReturnRequest.objects.filter(customer=customer).order_by("id")
    ]

"""Small helpers shared by the tests: open needs through the services, and
snapshot everything a refused request must leave alone."""

from typing import Any

from klantstuur.accounts.models import IdempotencyRecord
from klantstuur.businesses.models import StaffMember
from klantstuur.customers.models import Customer
from klantstuur.needs import services
from klantstuur.needs.models import EventKind, Handoff, JournalEvent, Need, Remedy

API = "/api/v1"


def open_need(
    customer: Customer,
    *,
    by: StaffMember | None = None,
    kind: str = "question",
    summary: str = "Where is my order?",
    proactive: bool = False,
) -> Need:
    return services.need_open(
        customer=customer, kind=kind, summary=summary, opened_by_staff=by, proactive=proactive
    )


def snapshot(need: Need | None = None) -> dict[str, Any]:
    """Row counts everywhere, and the need's own state."""
    state: dict[str, Any] = {
        "needs": Need.objects.count(),
        "journal": JournalEvent.objects.count(),
        "handoffs": Handoff.objects.count(),
        "handoff_states": sorted(Handoff.objects.values_list("pk", "status")),
        "remedies": Remedy.objects.count(),
        "customers": Customer.objects.count(),
        "customer_rows": sorted(
            Customer.objects.values_list("pk", "name", "email", "phone", "language")
        ),
    }
    if need is not None:
        fresh = Need.objects.get(pk=need.pk)
        state["need"] = {
            "status": fresh.status,
            "owner_id": fresh.owner_id,
            "contacts": fresh.contacts,
            "handoffs": fresh.handoffs,
            "reopens": fresh.reopens,
            "summary": fresh.summary,
            "journal": JournalEvent.objects.filter(need=fresh).count(),
        }
    return state


def kinds(need: Need, *, for_customer: bool = False) -> list[str]:
    qs = JournalEvent.objects.filter(need=need).order_by("at", "id")
    if for_customer:
        qs = qs.visible_to_customer()
    return list(qs.values_list("kind", flat=True))


def idempotency_rows() -> int:
    return IdempotencyRecord.objects.count()


def assert_error(response: Any, status: int, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert isinstance(body["detail"], str) and body["detail"]
    if field is not None:
        assert field in [e["field"] for e in body["errors"]], body
    return body


__all__ = ["API", "EventKind", "assert_error", "kinds", "open_need", "snapshot"]


def same_time(text: str | None, when: Any) -> bool:
    """The API writes times to the millisecond (ISO 8601, UTC)."""
    from datetime import timedelta

    from django.utils.dateparse import parse_datetime

    parsed = parse_datetime(text or "")
    assert parsed is not None and parsed.tzinfo is not None, text
    return abs(parsed - when) < timedelta(milliseconds=1)


def settle() -> None:
    """What was written before now has had its reactions, and the test's mailbox is empty:
    a test that looks at what one step sends starts from here (the journal is the queue,
    so events written outside a captured commit are still handled at the next one)."""
    from django.core import mail

    from klantstuur.needs import consumers

    consumers.drain()
    mail.outbox.clear()

"""The journal into the outbox: each event, one delivery per active endpoint that
subscribed to its kind (a customer's endpoint: only their own records, as their timeline
shows them). Runs as a deferred reaction, in the transaction that moves its cursor:
every event is queued once, never lost, never twice (ADR 0010, ADR 0012)."""

from collections import defaultdict
from collections.abc import Sequence

from django.db.models import prefetch_related_objects
from django.utils import timezone

from klantstuur.needs.models import JournalEvent

from . import payloads
from .models import EndpointStatus, WebhookDelivery, WebhookEndpoint


def wants(endpoint: WebhookEndpoint, event: JournalEvent) -> bool:
    """The rule of who hears what (also in the tests' oracle)."""
    if endpoint.business_id != event.business_id or event.kind not in endpoint.events:
        return False
    if event.at < endpoint.created_at:  # before it subscribed (the worker was behind)
        return False
    if endpoint.customer_id is not None:
        return endpoint.customer_id == event.customer_id and payloads.customer_may_see(event)
    return True


def fan_out(event: JournalEvent) -> None:
    fan_out_many([event])


def fan_out_many(events: Sequence[JournalEvent]) -> None:
    businesses = {e.business_id for e in events}
    by_business: dict[int, list[WebhookEndpoint]] = defaultdict(list)
    for endpoint in WebhookEndpoint.objects.filter(
        business_id__in=businesses, status=EndpointStatus.ACTIVE
    ).order_by("id"):
        by_business[endpoint.business_id].append(endpoint)
    if not by_business:
        return
    pairs = [(e, ep) for e in events for ep in by_business.get(e.business_id, []) if wants(ep, e)]
    if not pairs:
        return
    prefetch_related_objects(
        list({e.pk: e for e, _ in pairs}.values()), "actor_staff", "actor_customer"
    )
    now = timezone.now()
    bodies: dict[int, str] = {}
    rows = []
    for event, endpoint in pairs:
        if event.pk not in bodies:
            bodies[event.pk] = payloads.event_body(event)
        rows.append(
            WebhookDelivery(
                endpoint=endpoint,
                event=event,
                event_type=event.kind,
                webhook_id=f"msg_{event.pk}",
                ordering_key=payloads.ordering_key(event),
                body=bodies[event.pk],
                next_attempt_at=now,
                queued_at=now,
            )
        )
    WebhookDelivery.objects.bulk_create(rows, batch_size=1000)

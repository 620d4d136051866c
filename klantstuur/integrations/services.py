"""Changing webhook endpoints and their deliveries: subscribe, rotate the secret, switch
off and on, send again, ping. Each is one atomic function with its actor."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from klantstuur.businesses.models import Business, Role, StaffMember
from klantstuur.core.errors import Conflict, Invalid
from klantstuur.customers.models import Customer

from . import addresses, payloads
from .models import (
    DELIVERY_TRANSITIONS,
    ENDPOINT_TRANSITIONS,
    DeliveryStatus,
    EndpointStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    new_secret,
)

# How long the old secret still signs after a rotation (both signatures are sent).
ROTATION_OVERLAP = timedelta(hours=24)
MAX_ENDPOINTS = 20


@dataclass(frozen=True)
class Made:
    endpoint: WebhookEndpoint
    secret: str  # shown once


def _events_check(events: list[str], *, customer: bool) -> list[str]:
    kinds = payloads.customer_subscribable() if customer else payloads.subscribable()
    if not events:
        raise Invalid(_("Choose at least one event kind."), field="events")
    unknown = [e for e in events if e not in kinds]
    if unknown:
        raise Invalid(
            _("Unknown event kind: %(kinds)s.") % {"kinds": ", ".join(unknown)}, field="events"
        )
    return sorted(set(events), key=kinds.index)


@transaction.atomic
def endpoint_create(
    *,
    business: Business,
    url: str,
    events: list[str],
    actor_staff: StaffMember | None = None,
    customer: Customer | None = None,
) -> Made:
    """A manager's endpoint for the business, or (``customer``) a customer's own."""
    if actor_staff is None and customer is None:
        raise ValueError("An endpoint is made by a manager or for a customer.")
    addresses.url_check(url)
    kinds = _events_check(events, customer=customer is not None)
    owned = WebhookEndpoint.objects.filter(business=business, customer=customer)
    if owned.count() >= MAX_ENDPOINTS:
        raise Conflict(_("At most %(n)d endpoints.") % {"n": MAX_ENDPOINTS}, field="url")
    secret = new_secret()
    endpoint = WebhookEndpoint.objects.create(
        business=business,
        customer=customer,
        created_by=actor_staff,
        url=url,
        events=kinds,
        secret=secret,
    )
    return Made(endpoint, secret)


def endpoint_delete(*, endpoint: WebhookEndpoint) -> None:
    """Gone, with its queue and its log."""
    WebhookEndpoint.objects.filter(pk=endpoint.pk).delete()


@transaction.atomic
def endpoint_rotate_secret(*, endpoint: WebhookEndpoint) -> str:
    """A new secret (returned once); the old one signs too for a day, so the receiver
    can switch without missing a message."""
    locked = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    secret = new_secret()
    locked.previous_secret, locked.previous_secret_until = (
        locked.secret,
        timezone.now() + ROTATION_OVERLAP,
    )
    locked.secret = secret
    locked.save(update_fields=["secret", "previous_secret", "previous_secret_until"])
    return secret


def _move(endpoint: WebhookEndpoint, new: str) -> bool:
    """Compare-and-set along ENDPOINT_TRANSITIONS; False when it was not in a state to."""
    olds = [old for (old, to) in ENDPOINT_TRANSITIONS if to == new]
    return bool(WebhookEndpoint.objects.filter(pk=endpoint.pk, status__in=olds).update(status=new))


@transaction.atomic
def endpoint_disable(*, endpoint_id: int, reason: str) -> None:
    """Stop sending (its queue is kept); its managers, or its customer, are told."""
    endpoint = WebhookEndpoint.objects.select_related("business", "customer").get(pk=endpoint_id)
    if not _move(endpoint, EndpointStatus.DISABLED):
        return
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(disabled_reason=reason[:300])
    if endpoint.customer is not None:
        to = [endpoint.customer.email] if endpoint.customer.email else []
    else:
        to = list(
            StaffMember.objects.filter(
                business_id=endpoint.business_id, role=Role.MANAGER, user__is_active=True
            ).values_list("user__email", flat=True)
        )
    if to:
        subject = _("Webhook endpoint switched off: %(url)s") % {"url": endpoint.url}
        text = _(
            "Klantstuur could not deliver to %(url)s (%(reason)s) and stopped sending to it. "
            "Nothing is lost: the messages wait until the endpoint is switched on again."
        ) % {"url": endpoint.url, "reason": reason}
        transaction.on_commit(
            lambda: send_mail(subject, text, settings.DEFAULT_FROM_EMAIL, to, fail_silently=True)
        )


@transaction.atomic
def endpoint_enable(*, endpoint: WebhookEndpoint) -> None:
    """On again; what waited is sent, oldest first, retried from now."""
    if not _move(endpoint, EndpointStatus.ACTIVE):
        return
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(disabled_reason="")
    now = timezone.now()
    WebhookDelivery.objects.filter(endpoint=endpoint, status=DeliveryStatus.PENDING).update(
        next_attempt_at=now, queued_at=now
    )


@transaction.atomic
def delivery_resend(*, delivery: WebhookDelivery) -> None:
    """ "Send again": the same message (same ``webhook-id``) queued anew."""
    olds = [o for (o, new), step in DELIVERY_TRANSITIONS.items() if step == "delivery_resend"]
    now = timezone.now()
    moved = WebhookDelivery.objects.filter(pk=delivery.pk, status__in=olds).update(
        status=DeliveryStatus.PENDING, next_attempt_at=now, queued_at=now, leased_until=None
    )
    if not moved:
        raise Conflict(_("This delivery is still on its way."), field="status")


@transaction.atomic
def endpoint_ping(*, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """A test message (``webhook.ping``) queued for now, outside any need's order."""
    now = timezone.now()
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint,
        event=None,
        event_type=payloads.PING,
        webhook_id="",
        ordering_key="",
        body="",
        next_attempt_at=now,
        queued_at=now,
    )
    delivery.webhook_id = f"msg_ping_{delivery.pk}"
    delivery.ordering_key = f"ping:{delivery.pk}"
    delivery.body = payloads.body(
        payloads.PING, now, {"endpoint_id": endpoint.pk, "message": "ping"}
    )
    delivery.save(update_fields=["webhook_id", "ordering_key", "body"])
    return delivery


def webhooks_erase_customer(*, customer_id: int) -> None:
    """Erasure (privacy): the customer's own endpoints go, and every queued or sent
    message about them, whose bodies copy their data (ADR 0012)."""
    WebhookEndpoint.objects.filter(customer_id=customer_id).delete()
    WebhookDelivery.objects.filter(event__customer_id=customer_id).delete()


# Rows deleted per sweep: the worker's other sweeps wait meanwhile.
PRUNE_BATCH = 1000


def deliveries_prune(now: datetime) -> int:
    """Worker sweep: the delivery log forgets messages sent or given up more than
    ``WEBHOOK_LOG_DAYS`` ago, with their attempts; a pending one is never touched."""
    cutoff = now - timedelta(days=settings.KLANTSTUUR["WEBHOOK_LOG_DAYS"])
    old = list(
        WebhookDelivery.objects.filter(queued_at__lt=cutoff)
        .exclude(status=DeliveryStatus.PENDING)
        .order_by("queued_at")
        .values_list("pk", flat=True)[:PRUNE_BATCH]
    )
    if not old:
        return 0
    with transaction.atomic():
        # Locked and checked again: "send again" may have queued one of them meanwhile.
        gone = list(
            WebhookDelivery.objects.select_for_update()
            .filter(pk__in=old)
            .exclude(status=DeliveryStatus.PENDING)
            .values_list("pk", flat=True)
        )
        WebhookAttempt.objects.filter(delivery_id__in=gone).delete()
        WebhookDelivery.objects.filter(pk__in=gone).delete()
    return len(gone)

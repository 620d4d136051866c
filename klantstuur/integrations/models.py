"""Outgoing webhooks: the endpoints that listen, and the outbox of deliveries to them.

The journal is the outbox's source (ADR 0010, ADR 0012): a deferred reaction turns each
journal event into one ``WebhookDelivery`` per subscribed endpoint, in the transaction
that moves its cursor, so every event is queued exactly once. The worker sends what is
due (``sender``), at least once, in order per need, and keeps every attempt.
"""

import base64
import secrets
from datetime import datetime

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from klantstuur.businesses.models import Business, StaffMember
from klantstuur.customers.models import Customer
from klantstuur.needs.models import JournalEvent

SECRET_PREFIX = "whsec_"  # noqa: S105 - the scheme's prefix, not a secret


def new_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


class EndpointStatus(models.TextChoices):
    ACTIVE = "active", _("Active")  # receives deliveries
    DISABLED = "disabled", _("Disabled")  # failed for 24 hours, or switched off; holds its queue


# (old, new) -> the step that makes the change (core/transitions.py).
ENDPOINT_TRANSITIONS = {
    (EndpointStatus.ACTIVE, EndpointStatus.DISABLED): "endpoint_disable",
    (EndpointStatus.DISABLED, EndpointStatus.ACTIVE): "endpoint_enable",
}


class WebhookEndpoint(models.Model):
    """A URL that hears about chosen event kinds: a business's (set by a manager) or one
    customer's own (their records only, what their timeline shows)."""

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    # Set for a customer's own endpoint: only events of their records reach it.
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        StaffMember, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    url = models.URLField(max_length=500)
    events = models.JSONField(default=list)
    # Kept to sign with; shown to its owner once, when made or rotated.
    secret = models.CharField(max_length=80)
    # After a rotation the old secret signs too, until this time (both signatures sent).
    previous_secret = models.CharField(max_length=80, blank=True, default="")
    previous_secret_until = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=10, choices=EndpointStatus.choices, default=EndpointStatus.ACTIVE
    )
    disabled_reason = models.CharField(max_length=300, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["business", "status"], name="webhook_endpoint_business"),
            models.Index(fields=["customer", "id"], name="webhook_endpoint_customer"),
        ]

    def __str__(self) -> str:
        return self.url

    def signing_secrets(self, now: datetime) -> list[str]:
        """The secret, and during a rotation's overlap the previous one as well."""
        found = [self.secret]
        if self.previous_secret and self.previous_secret_until and now < self.previous_secret_until:
            found.append(self.previous_secret)
        return found


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")  # due now or at next_attempt_at
    DELIVERED = "delivered", _("Delivered")  # the endpoint answered 2xx
    FAILED = "failed", _("Failed")  # given up after 24 hours of retries


DELIVERY_TRANSITIONS = {
    (DeliveryStatus.PENDING, DeliveryStatus.DELIVERED): "delivery_delivered",
    (DeliveryStatus.PENDING, DeliveryStatus.FAILED): "delivery_give_up",
    (DeliveryStatus.DELIVERED, DeliveryStatus.PENDING): "delivery_resend",
    (DeliveryStatus.FAILED, DeliveryStatus.PENDING): "delivery_resend",
}


class WebhookDelivery(models.Model):
    """One message to one endpoint: the exact body (retries send the same bytes and the
    same ``webhook-id``), its state and when it is next due."""

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="+")
    # None for a test ping.
    event = models.ForeignKey(
        JournalEvent, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    event_type = models.CharField(max_length=40)
    webhook_id = models.CharField(max_length=64)
    # Deliveries with the same key reach the endpoint in id order (per need).
    ordering_key = models.CharField(max_length=40)
    body = models.TextField()
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    # A worker sending it holds it until then; a killed worker's lease simply runs out.
    leased_until = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    # When it was queued (or queued again by "send again"): retries stop 24 hours later.
    queued_at = models.DateTimeField()
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # What is due: pending ones by time.
            models.Index(
                fields=["next_attempt_at", "id"],
                name="webhook_delivery_due",
                condition=Q(status="pending"),
            ),
            # The order per need: an earlier pending one of the same key holds the rest.
            models.Index(
                fields=["endpoint", "ordering_key", "id"],
                name="webhook_delivery_order",
                condition=Q(status="pending"),
            ),
            # What the log may forget: sent or given up, oldest first.
            models.Index(
                fields=["queued_at"],
                name="webhook_delivery_done",
                condition=~Q(status="pending"),
            ),
            # The delivery log, newest first.
            models.Index(fields=["endpoint", "-id"], name="webhook_delivery_log"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} → {self.endpoint_id} ({self.status})"


class WebhookAttempt(models.Model):
    """One try: when, the answer's status code (None for a time-out or no connection),
    how long it took, and what went wrong."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=300, blank=True, default="")

    class Meta:
        indexes = [models.Index(fields=["delivery", "at"], name="webhook_attempt_delivery")]

    def __str__(self) -> str:
        return f"{self.delivery_id} @ {self.at}: {self.status_code or self.error}"

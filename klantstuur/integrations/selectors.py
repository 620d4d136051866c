"""Reading endpoints and their log, each through its owner: a manager sees the business's
endpoints, a customer their own; anything else is not found (404)."""

from collections import defaultdict
from collections.abc import Iterable

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from klantstuur.businesses.models import StaffMember
from klantstuur.core.errors import NotFound
from klantstuur.core.queries import MAX_ID
from klantstuur.customers.models import Customer

from .models import WebhookAttempt, WebhookDelivery, WebhookEndpoint


def endpoints_of_business(*, business_id: int) -> QuerySet[WebhookEndpoint]:
    """The business's own endpoints (not its customers'), oldest first."""
    return WebhookEndpoint.objects.filter(business_id=business_id, customer__isnull=True).order_by(
        "id"
    )


def endpoints_of_customer(*, customer: Customer) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(
        business_id=customer.business_id, customer=customer
    ).order_by("id")


def _one(qs: QuerySet[WebhookEndpoint], endpoint_id: int) -> WebhookEndpoint:
    found = qs.filter(pk=endpoint_id).first() if 0 < endpoint_id <= MAX_ID else None
    if found is None:
        raise NotFound(_("No such webhook endpoint."))
    return found


def endpoint_for_staff(*, staff: StaffMember, endpoint_id: int) -> WebhookEndpoint:
    return _one(endpoints_of_business(business_id=staff.business_id), endpoint_id)


def endpoint_for_customer(*, customer: Customer, endpoint_id: int) -> WebhookEndpoint:
    return _one(endpoints_of_customer(customer=customer), endpoint_id)


def deliveries_of_endpoint(*, endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    """The delivery log, newest first."""
    return WebhookDelivery.objects.filter(endpoint=endpoint).order_by("-id")


def delivery_of_endpoint(*, endpoint: WebhookEndpoint, delivery_id: int) -> WebhookDelivery:
    found = (
        deliveries_of_endpoint(endpoint=endpoint).filter(pk=delivery_id).first()
        if 0 < delivery_id <= MAX_ID
        else None
    )
    if found is None:
        raise NotFound(_("No such delivery."))
    found.endpoint = endpoint
    return found


def attempts_of(deliveries: Iterable[WebhookDelivery]) -> dict[int, list[WebhookAttempt]]:
    """The attempts of a page of deliveries, oldest first, in one query."""
    found: dict[int, list[WebhookAttempt]] = defaultdict(list)
    ids = [d.pk for d in deliveries]
    for attempt in WebhookAttempt.objects.filter(delivery_id__in=ids).order_by("at", "id"):
        found[attempt.delivery_id].append(attempt)
    return found

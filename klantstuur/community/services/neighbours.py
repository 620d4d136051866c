"""Neighbours who accept parcels: the offer, the ask, and the neighbour's answer.

A customer offers to accept parcels (postcode, house number, hours at home). Another
customer of the same business whose delivery needs a place picks a participating
neighbour of their postcode; the neighbour is asked and accepts or declines from their
phone. On acceptance the delivery moves to "with a neighbour" (``delivery_move``, the
same step as the customer's own change): the order and its need keep their owner.
Neither side ever sees the other's street, e-mail or phone: a first name and a house
number, which is what handing over a parcel needs.
"""

import re
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from klantstuur.core.errors import Conflict, Invalid, NotFound
from klantstuur.customers.models import Customer
from klantstuur.delivery.models import Delivery, DeliveryStatus
from klantstuur.delivery.services.booking import delivery_lock, delivery_move, delivery_need
from klantstuur.delivery.services.requests import Spec
from klantstuur.needs.journal import record
from klantstuur.needs.models import EventKind, JournalEvent
from klantstuur.needs.services._steps import clean_text
from klantstuur.orders.models import Order

from .. import neighbour_events as events
from ..limits import lock_customer, require_under
from ..models import (
    NEIGHBOUR_TRANSITIONS,
    NeighbourRequest,
    NeighbourRequestStatus,
    ParcelNeighbour,
)
from ..privacy import first_name, redact

_POSTCODE = re.compile(r"^(\d{4})\s?([A-Za-z]{2})$")
_HOUSE_NUMBER = re.compile(r"^\d{1,5}(?:[ -]?[A-Za-z0-9]{1,4})?$")
# A delivery in one of these can still be given another place.
MOVABLE = (
    DeliveryStatus.SCHEDULED,
    DeliveryStatus.ATTEMPT_FAILED,
    DeliveryStatus.EXCEPTION,
)


def clean_postcode(value: str | None, *, field: str = "postcode") -> str:
    found = _POSTCODE.match((value or "").strip())
    if found is None:
        raise Invalid(_("A postcode like 3512 JK."), field=field)
    return f"{found.group(1)}{found.group(2).upper()}"


def clean_house_number(value: str | None, *, field: str = "house_number") -> str:
    text = " ".join((value or "").split())
    if not _HOUSE_NUMBER.match(text):
        raise Invalid(_("A house number like 14 or 14-A."), field=field)
    return text


@transaction.atomic
def neighbour_offer(
    *, customer: Customer, postcode: str, house_number: str, hours_at_home: str
) -> ParcelNeighbour:
    """Opt in (or change the details): accept parcels for neighbours."""
    fields = {
        "business_id": customer.business_id,
        "display_name": first_name(customer),
        "postcode": clean_postcode(postcode),
        "house_number": clean_house_number(house_number),
        "hours_at_home": redact(clean_text(hours_at_home, field="hours_at_home", max_len=100)),
        "active": True,
    }
    offer, _created = ParcelNeighbour.objects.update_or_create(customer=customer, defaults=fields)
    record(events.offered(offer), need=None, customer=customer, actor_customer=customer)
    return offer


@transaction.atomic
def neighbour_withdraw(*, customer: Customer) -> None:
    """Opt out: nobody is offered this neighbour any more; open requests are withdrawn."""
    offer = ParcelNeighbour.objects.select_for_update().filter(customer=customer).first()
    if offer is None or not offer.active:
        return
    offer.active = False
    offer.save(update_fields=["active"])
    now = timezone.now()
    waiting = NeighbourRequest.objects.select_for_update().filter(
        neighbour=customer, status=NeighbourRequestStatus.ASKED
    )
    for req in waiting.order_by("id"):
        req.status, req.answered_at = NeighbourRequestStatus.WITHDRAWN, now
        req.save(update_fields=["status", "answered_at"])
        # The asker reads it on their delivery's need, as they would a "no".
        delivery = Delivery.objects.select_related("order__need").get(order_id=req.order_id)
        record(
            events.answered(
                req, side="neighbour", name=offer.display_name, house_number=offer.house_number
            ),
            need=delivery_need(delivery),
            at=now,
        )
    record(events.offered(offer), need=None, customer=customer, actor_customer=customer)


def _order_of(customer: Customer, order_id: int) -> Order:
    order = (
        Order.objects.filter(pk=order_id, business_id=customer.business_id, customer=customer)
        .select_related("need")
        .first()
    )
    if order is None:
        raise NotFound(_("No such order."), field="order_id")
    return order


def _window(delivery: Delivery) -> str:
    return f"{delivery.promised_date.isoformat()} {delivery.promised_window}"


@transaction.atomic
def neighbour_ask(
    *, customer: Customer, order_id: int, neighbour_id: int, house_number: str
) -> NeighbourRequest:
    """Ask a participating neighbour of the business to accept this order's parcel."""
    number = clean_house_number(house_number)
    lock_customer(customer)
    order = _order_of(customer, order_id)
    delivery = delivery_lock(order)
    if delivery.status not in MOVABLE:
        raise Conflict(
            _("This delivery is %(status)s; it cannot go to a neighbour any more.")
            % {"status": delivery.get_status_display()},
            status=delivery.status,
        )
    offer = ParcelNeighbour.objects.filter(
        customer_id=neighbour_id, business_id=customer.business_id, active=True
    ).first()
    if offer is None or offer.customer_id == customer.pk:
        raise NotFound(_("No such neighbour."), field="neighbour_id")
    now = timezone.now()
    require_under(
        "neighbour_requests",
        count_since=lambda t: NeighbourRequest.objects.filter(
            asker=customer, created_at__gte=t
        ).count(),
        field="neighbour_id",
        now=now,
    )
    if NeighbourRequest.objects.filter(order=order, status=NeighbourRequestStatus.ASKED).exists():
        raise Conflict(_("A neighbour has been asked already; wait for the answer."))
    return _ask(customer, delivery, offer, number, now=now, actor=customer)


def _ask(
    customer: Customer,
    delivery: Delivery,
    offer: ParcelNeighbour,
    number: str,
    *,
    now: datetime,
    actor: Customer | None,
) -> NeighbourRequest:
    """The request, on the asker's delivery need and on the neighbour's own journal."""
    req = NeighbourRequest.objects.create(
        business_id=customer.business_id,
        order_id=delivery.order_id,
        asker=customer,
        neighbour_id=offer.customer_id,
        asker_house_number=number,
        asker_name=first_name(customer),
        created_at=now,
    )
    window = _window(delivery)
    mine = events.asked(
        req,
        side="neighbour",
        name=offer.display_name,
        house_number=offer.house_number,
        hours=offer.hours_at_home,
        window=window,
    )
    record(mine, need=delivery_need(delivery), actor_customer=actor, at=now)
    theirs = events.asked(
        req, side="asker", name=req.asker_name, house_number=number, hours="", window=window
    )
    record(theirs, need=None, customer=offer.customer, at=now)
    return req


def instruction_ask(*, delivery: Delivery, params: dict[str, Any], now: datetime) -> str | None:
    """A standing instruction "leave it with a participating neighbour" (delivery.hooks):
    the first participating neighbour at the customer's postcode is asked. Inside the
    instruction's transaction, the delivery locked."""
    try:
        postcode = clean_postcode(params.get("postcode"))
        number = clean_house_number(params.get("house_number"))
    except Invalid:
        return None
    customer = Customer.objects.get(pk=delivery.customer_id)
    if NeighbourRequest.objects.filter(
        order_id=delivery.order_id, status=NeighbourRequestStatus.ASKED
    ).exists():
        return _("a neighbour has been asked already")
    offer = (
        ParcelNeighbour.objects.filter(
            business_id=delivery.business_id, postcode=postcode, active=True
        )
        .exclude(customer_id=customer.pk)
        .select_related("customer")
        .order_by("house_number", "customer_id")
        .first()
    )
    if offer is None:
        return None
    _ask(customer, delivery, offer, number, now=now, actor=None)
    return _("asked %(name)s at number %(n)s; waiting for their answer") % {
        "name": offer.display_name,
        "n": offer.house_number,
    }


@transaction.atomic
def neighbour_answer(*, customer: Customer, request_id: int, accept: bool) -> NeighbourRequest:
    """The neighbour accepts (the delivery goes to them) or declines (nothing moves)."""
    req = (
        NeighbourRequest.objects.select_for_update()
        .filter(pk=request_id, neighbour=customer)
        .first()
    )
    if req is None:
        raise NotFound(_("No such request."), field="request_id")
    new = NeighbourRequestStatus.ACCEPTED if accept else NeighbourRequestStatus.DECLINED
    if (req.status, new) not in NEIGHBOUR_TRANSITIONS:
        raise Conflict(
            _("This request was %(status)s already.") % {"status": req.get_status_display()},
            status=req.status,
        )
    offer = ParcelNeighbour.objects.get(customer=customer)
    order = Order.objects.select_related("need").get(pk=req.order_id)
    delivery = delivery_lock(order)
    now = timezone.now()
    if accept and delivery.status not in MOVABLE:
        new = NeighbourRequestStatus.WITHDRAWN
    req.status, req.answered_at = new, now
    req.save(update_fields=["status", "answered_at"])
    if new == NeighbourRequestStatus.ACCEPTED:
        place = {
            "kind": "neighbour",
            "house_number": offer.house_number,
            "name": offer.display_name,
        }
        spec = Spec(
            day=delivery.promised_date,
            window=delivery.promised_window,
            place_kind="neighbour",
            place=place,
        )
        delivery_move(delivery, spec, now=now)
    record(
        events.answered(
            req, side="neighbour", name=offer.display_name, house_number=offer.house_number
        ),
        need=delivery_need(Delivery.objects.select_related("order__need").get(pk=delivery.pk)),
        at=now,
    )
    record(
        events.answered(
            req, side="asker", name=req.asker_name, house_number=req.asker_house_number
        ),
        need=None,
        customer=customer,
        actor_customer=customer,
        at=now,
    )
    return req


def neighbours_erase(*, customer_id: int, text: str) -> None:
    """Erasure (privacy): the offer goes; requests keep no name or house number of theirs,
    nor do the events that told the other side."""
    ParcelNeighbour.objects.filter(customer_id=customer_id).delete()
    asked = list(NeighbourRequest.objects.filter(asker_id=customer_id).values_list("pk", flat=True))
    NeighbourRequest.objects.filter(
        asker_id=customer_id, status=NeighbourRequestStatus.ASKED
    ).update(status=NeighbourRequestStatus.WITHDRAWN, answered_at=timezone.now())
    NeighbourRequest.objects.filter(asker_id=customer_id).update(
        asker_name=text, asker_house_number=""
    )
    requests_to_them = NeighbourRequest.objects.filter(neighbour_id=customer_id)
    ids = set(asked) | set(requests_to_them.values_list("pk", flat=True))
    kinds = (EventKind.NEIGHBOUR_ASKED, EventKind.NEIGHBOUR_ANSWERED)
    for event in (
        JournalEvent.objects.filter(kind__in=kinds, business_id__isnull=False)
        .filter(data__request_id__in=sorted(ids))
        .only("pk", "data")
    ):
        scrubbed = {**event.data, "name": text, "house_number": "", "hours_at_home": ""}
        JournalEvent.objects.filter(pk=event.pk).scrub_data(scrubbed)

"""Reads for delivery pages and endpoints, through access gates, in bounded queries."""

from datetime import datetime
from typing import Any, cast

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from klantstuur.businesses.models import StaffMember
from klantstuur.core.errors import NotFound
from klantstuur.core.queries import MAX_ID, one
from klantstuur.customers.models import Customer
from klantstuur.needs.models import EventKind, JournalEvent, Need
from klantstuur.orders.models import Checkpoint, Order, OrderLine

from .events import InstructionCarriedOut
from .models import (
    CLOSED_STATUSES,
    Delivery,
    DeliverySettings,
    PickupPoint,
    ReturnLine,
    ReturnRequest,
)
from .models import FINAL_STATUSES as FINAL_DELIVERY_STATUSES
from .proactive import CHOICES
from .promise import delivery_promise
from .returns import with_reason_words
from .tracking import carrier_of, expected, headline

NOTICE_KINDS = (EventKind.ALERT, EventKind.INSTRUCTION_CARRIED_OUT)


def _deliveries() -> QuerySet[Delivery]:
    return Delivery.objects.select_related(
        "order__need__owner",
        "order__business__delivery_settings",
        "promised_window",
        "requested_window",
        "pickup_point",
    )


def delivery_for_customer(*, customer: Customer, order_id: int) -> Delivery:
    found = one(_deliveries().filter(order_id=order_id, customer_id=customer.pk))
    if found is None:
        raise NotFound(_("No such order, or it has no delivery."))
    return found


def delivery_for_staff(*, staff: StaffMember, order_id: int) -> Delivery:
    found = one(_deliveries().filter(order_id=order_id, business_id=staff.business_id))
    if found is None:
        raise NotFound(_("No such order, or it has no delivery."))
    return found


def delivery_out(d: Delivery) -> dict[str, Any]:
    now = timezone.now()
    owner = d.order.need.owner
    return {
        "order_id": d.order_id,
        "status": d.status,
        "requested": {
            "date": d.requested_date,
            "window": d.requested_window.code,
            "place": d.requested_place,
        },
        "promised": {
            "date": d.promised_date,
            "window": d.promised_window.code,
            "place": d.promised_place,
        },
        "promise": delivery_promise(d),
        "carrier": carrier_of(d),
        "tracking_number": d.tracking_number,
        "expected": expected(d),
        "headline": headline(d, now=now),
        "window_start": d.window_start,
        "window_end": d.window_end,
        "cutoff": d.cutoff_at,
        "changeable": delivery_out_light(d, now=now),
        "needs_choice": d.needs_choice,
        "problem": d.problem_reason,
        "choices": CHOICES if d.needs_choice else [],
        "owner": {"id": owner.pk, "name": owner.name},
    }


def tracking(*, customer: Customer, order_id: int) -> dict[str, Any]:
    """Everything the tracking page shows: order, lines, checkpoints, delivery, notices.

    Four queries, each on an index (docs/performance-delivery.md): the order with its
    need, owner, business and delivery (primary key, then the customer check); its
    lines (order_id); its checkpoints (order_id, at, id); its returns (order_id), and
    with a return that has a reason code, the business's reasons (their labels). One
    more only while the customer has a choice to make: the latest alert (customer, at).
    The delivery options are not computed here: the change form loads them when opened.
    """
    order = one(
        Order.objects.select_related(
            "need__owner",
            "business__delivery_settings",
            "exchange_return",
            "delivery__promised_window",
            "delivery__requested_window",
            "delivery__pickup_point",
        )
        .prefetch_related(
            Prefetch("lines", queryset=OrderLine.objects.select_related("item").order_by("id")),
            Prefetch("checkpoints", queryset=Checkpoint.objects.order_by("at", "id")),
        )
        .filter(pk=order_id, customer_id=customer.pk)
    )
    if order is None:
        raise NotFound(_("No such order."))
    try:
        delivery: Delivery | None = order.delivery
    except Delivery.DoesNotExist:
        delivery = None
    alert = None
    if delivery is not None and delivery.needs_choice:
        # Only while there is a choice to make: who follows the problem up. Not joined
        # into the order's query, where its 27 columns cost every view of the page.
        if delivery.problem_need_id:
            delivery.problem_need = one(
                Need.objects.select_related("owner").filter(pk=delivery.problem_need_id)
            )
        alert = (
            JournalEvent.objects.filter(
                customer_id=customer.pk, kind=EventKind.ALERT, data__order_id=order.pk
            )
            .order_by("-at", "-id")
            .first()
        )
    returns = with_reason_words(
        ReturnRequest.objects.filter(order_id=order.pk)
        .select_related("need__owner")
        .prefetch_related(
            Prefetch("lines", queryset=ReturnLine.objects.select_related("line__item"))
        )
        .order_by("-id")
    )
    return {"order": order, "delivery": delivery, "alert": alert, "returns": returns}


def notices_of(*, customer: Customer) -> QuerySet[JournalEvent]:
    return (
        JournalEvent.objects.filter(customer_id=customer.pk, kind__in=NOTICE_KINDS)
        .visible_to_customer()
        .order_by("-at", "-id")
    )


def notice_out(e: JournalEvent) -> dict[str, Any]:
    from .notify import alert_text

    if e.kind == EventKind.ALERT:
        text = alert_text(e)
    else:
        done = cast(InstructionCarriedOut, e.data)
        text = _("Done for you, because you asked: %(what)s") % {
            "what": f"{done.get('because', '')} — {done.get('result', '')}"
        }
    return {
        "id": e.pk,
        "kind": e.kind,
        "at": e.at,
        "need_id": e.need_id,
        "order_id": e.data.get("order_id"),
        "text": text,
        "choices": e.data.get("choices", []),
    }


def orders_with_delivery(*, customer: Customer) -> QuerySet[Order]:
    """The customer's orders, newest first, with what is in each (item names) and their
    delivery (whether the customer's choice is needed): three queries a page."""
    return (
        Order.objects.filter(customer=customer)
        .select_related("need__owner", "delivery__promised_window", "exchange_return")
        .prefetch_related(
            Prefetch("lines", queryset=OrderLine.objects.select_related("item").order_by("id"))
        )
        .order_by("-created_at", "-id")
    )


ORDERS_PAGE = 25


def orders_for_staff(
    *,
    staff: StaffMember,
    status: str | None = None,
    delivery_status: str | None = None,
    problem: bool = False,
    query: str = "",
    before: int | None = None,
) -> list[Order]:
    """The business's orders, newest first, one page (``ORDERS_PAGE`` + 1 to tell whether
    there is an older page): keyset paging by id (``before``), no count, so the first and
    the hundredth page cost the same at a million orders.

    ``query``: an order number, or part of the customer's name or e-mail address.
    ``problem``: deliveries waiting for the customer's choice (a failed attempt, an
    exception) that is not final yet.
    """
    qs = Order.objects.filter(business_id=staff.business_id)
    if status:
        qs = qs.filter(status=status)
    if delivery_status:
        qs = qs.filter(delivery__status=delivery_status)
    if problem:
        # From the few deliveries with a problem (a partial index), not through every order.
        waiting = (
            Delivery.objects.filter(business_id=staff.business_id)
            .filter(~Q(problem_reason=""))
            .exclude(status__in=FINAL_DELIVERY_STATUSES)
        )
        qs = qs.filter(pk__in=waiting.values("order_id"))
    query = query.strip()
    if query:
        number = query.lstrip("#")
        if number.isascii() and number.isdecimal() and int(number) <= MAX_ID:
            qs = qs.filter(pk=int(number))
        else:
            qs = qs.filter(Q(customer__name__icontains=query) | Q(customer__email__icontains=query))
    if before is not None:
        qs = qs.filter(pk__lt=before)
    return list(
        qs.select_related("customer", "need__owner", "delivery__promised_window").order_by("-id")[
            : ORDERS_PAGE + 1
        ]
    )


def delivery_out_light(d: Delivery, *, now: datetime | None = None) -> bool:
    """Whether the customer may change it now (no extra queries): not once the parcel is
    out for delivery, delivered or cancelled (``CLOSED_STATUSES``), nor when final."""
    return (
        not d.is_final
        and d.status not in CLOSED_STATUSES
        and d.status != "available_for_pickup"
        and d.order.status != "cancelled"
        and (d.needs_choice or (now or timezone.now()) < d.cutoff_at)
    )


def staff_tracking(*, staff: StaffMember, order_id: int) -> dict[str, Any]:
    """The staff delivery page: request beside promise, checkpoints, the needs and owners.

    Another business's order is a 404. Four or five queries, each on an index: the order
    (primary key + business) with its need, owner, customer and delivery; lines;
    checkpoints; returns with their needs' owners.
    """
    order = one(
        Order.objects.select_related(
            "need__owner",
            "customer",
            "business",
            "exchange_return",
            "delivery__promised_window",
            "delivery__requested_window",
            "delivery__pickup_point",
            "delivery__problem_need__owner",
        )
        .prefetch_related(
            Prefetch("lines", queryset=OrderLine.objects.select_related("item").order_by("id")),
            Prefetch("checkpoints", queryset=Checkpoint.objects.order_by("at", "id")),
        )
        .filter(pk=order_id, business_id=staff.business_id)
    )
    if order is None:
        raise NotFound(_("No such order."))
    try:
        delivery: Delivery | None = order.delivery
    except Delivery.DoesNotExist:
        delivery = None
    returns = with_reason_words(
        ReturnRequest.objects.filter(order_id=order.pk)
        .select_related("need__owner")
        .prefetch_related(
            Prefetch("lines", queryset=ReturnLine.objects.select_related("line__item"))
        )
        .order_by("-id")
    )
    needs = [order.need]
    problem = delivery.problem_need if delivery is not None else None
    if problem is not None and problem.pk != order.need_id:
        needs.append(problem)
    needs += [r.need for r in returns if r.need_id not in {n.pk for n in needs}]
    return {"order": order, "delivery": delivery, "returns": returns, "needs": needs}


def settings_for_webhook(*, slug: str) -> DeliverySettings | None:
    """The business a carrier webhook is addressed to, if it has a webhook secret."""
    return (
        DeliverySettings.objects.select_related("business")
        .filter(business__slug=slug[:50])
        .exclude(webhook_secret="")
        .first()
    )


def return_with_owner(*, return_id: int) -> ReturnRequest:
    """A return the caller has just been let through to, with the need's owner (to show)
    and its reason in words (``reason_words``)."""
    found = (
        ReturnRequest.objects.select_related("need__owner")
        .prefetch_related(
            Prefetch("lines", queryset=ReturnLine.objects.select_related("line__item"))
        )
        .get(pk=return_id)
    )
    with_reason_words([found])
    return found


def pickup_points_of(*, business_id: int) -> QuerySet[PickupPoint]:
    return PickupPoint.objects.filter(business_id=business_id, active=True)

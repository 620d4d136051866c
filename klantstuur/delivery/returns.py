"""Returns, any hour (R4): a need of kind return with an owner; the refund is a
remedy when the item arrives."""

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from klantstuur.businesses.models import StaffMember
from klantstuur.core.errors import Conflict, Invalid, NotFound
from klantstuur.customers.models import Customer
from klantstuur.needs.journal import record
from klantstuur.needs.models import RemedyKind
from klantstuur.needs.services import need_open, remedy_grant
from klantstuur.orders.models import Order, OrderStatus

from . import events
from .models import PickupPoint, ReturnMethod, ReturnRequest, ReturnStatus


@transaction.atomic
def return_start(
    *, customer: Customer, order: Order, reason: Any, method: Any, pickup_point: Any = None
) -> ReturnRequest:
    if order.customer_id != customer.pk:
        raise NotFound(_("No such order."))
    text = (reason or "").strip() if isinstance(reason, str) else ""
    if not text:
        raise Invalid(_("Tell us why, in a few words."), field="reason")
    if len(text) > 2000:
        raise Invalid(_("At most %(n)d characters.") % {"n": 2000}, field="reason")
    if method not in ReturnMethod.values:
        raise Invalid(_("Choose pickup or dropoff."), field="method")
    point = None
    if method == ReturnMethod.DROPOFF:
        if not isinstance(pickup_point, str) or not pickup_point:
            raise Invalid(_("Choose a pickup point to drop it off."), field="pickup_point")
        point = PickupPoint.objects.filter(
            business_id=order.business_id, code=pickup_point, active=True
        ).first()
        if point is None:
            raise Invalid(_("There is no such pickup point."), field="pickup_point")
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.status != OrderStatus.FULFILLED:
        raise Conflict(
            _("A return is possible once the order has been delivered."), status=order.status
        )
    need = need_open(
        customer=customer,
        kind="return",
        summary=(_("Return of order #%(id)s: %(reason)s") % {"id": order.pk, "reason": text})[:300],
        goal=text,
    )
    try:
        with transaction.atomic():
            ret = ReturnRequest.objects.create(
                business_id=order.business_id,
                order=order,
                customer=customer,
                need=need,
                reason=text,
                method=method,
                pickup_point=point,
            )
    except IntegrityError:
        raise Conflict(_("A return of this order is already under way.")) from None
    record(events.return_started(ret), need=need, actor_customer=customer)
    return ret


@transaction.atomic
def return_arrived(
    *, staff: StaffMember, ret: ReturnRequest, refund_cents: Any = None
) -> ReturnRequest:
    """The item is back: the owner of the return's need grants the refund within authority."""
    ret = ReturnRequest.objects.select_for_update().select_related("order", "need").get(pk=ret.pk)
    if ret.business_id != staff.business_id:
        raise NotFound(_("No such return."))
    if ret.status != ReturnStatus.REQUESTED:
        raise Conflict(_("This return is already %(s)s.") % {"s": ret.get_status_display()})
    amount = ret.order.total_cents if refund_cents is None else refund_cents
    if not isinstance(amount, int) or isinstance(amount, bool) or amount < 0:
        raise Invalid(_("A whole number of cents, zero or more."), field="refund_cents")
    if amount > ret.order.total_cents:
        raise Invalid(_("More than the order's total."), field="refund_cents")
    now = timezone.now()
    ReturnRequest.objects.filter(pk=ret.pk).update(status=ReturnStatus.ARRIVED, arrived_at=now)
    record(events.return_arrived(ret), need=ret.need, actor_staff=staff, at=now)
    if amount:
        remedy_grant(
            staff=staff,
            need=ret.need,
            kind=RemedyKind.REFUND,
            amount_cents=amount,
            note=_("Return of order #%(id)s arrived") % {"id": ret.order_id},
        )
    ret.refresh_from_db()
    return ret


def return_for_staff(*, staff: StaffMember, return_id: int) -> ReturnRequest:
    found = ReturnRequest.objects.filter(pk=return_id, business_id=staff.business_id).first()
    if found is None:
        raise NotFound(_("No such return."))
    return found

"""Returns, any hour (R4): the customer chooses lines and quantities (never more than was
delivered and not yet returned), a reason from the business's list, a refund or an
exchange, and drop-off or pick-up; a need of kind return with an owner, and a return
label with a code. When the items arrive, the owner of the return's need grants the
refund (or the replacement of an exchange) as a remedy, within their authority.
"""

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from klantstuur.businesses.models import StaffMember
from klantstuur.core.errors import Conflict, Invalid, NotFound
from klantstuur.customers.models import Customer
from klantstuur.needs.journal import record
from klantstuur.needs.models import RemedyKind
from klantstuur.needs.services import need_open, remedy_grant
from klantstuur.orders.models import LineStatus, Order, OrderLine, OrderStatus

from . import events
from .exchange import exchange_place
from .models import (
    PickupPoint,
    ReturnLine,
    ReturnMethod,
    ReturnOutcome,
    ReturnReason,
    ReturnRequest,
    ReturnStatus,
)

# Label codes: no 0/O, 1/I/L to misread at a counter.
_LABEL_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def label_code_new() -> str:
    raw = "".join(secrets.choice(_LABEL_ALPHABET) for _ in range(8))
    return f"RT-{raw[:4]}-{raw[4:]}"


def reasons_of(*, business_id: int) -> list[ReturnReason]:
    return list(ReturnReason.objects.filter(business_id=business_id, active=True))


def reasons_out(*, business_id: int) -> list[dict[str, str]]:
    """``[{code, label}]`` in the reader's language."""
    language = get_language() or "nl"
    return [
        {"code": r.code, "label": r.label_in(language)} for r in reasons_of(business_id=business_id)
    ]


def reason_labels(*, business_id: int) -> dict[str, str]:
    """Every reason code of the business (also retired ones) → its label in the reader's
    language: what pages, e-mails and exports show instead of the code. One query."""
    language = get_language() or "nl"
    rows = ReturnReason.objects.filter(business_id=business_id)
    return {r.code: r.label_in(language) for r in rows}


def reason_words(code: str, labels: dict[str, str]) -> str:
    """A return's reason in words; a code no longer in the list reads as words too."""
    if not code:
        return ""
    return labels.get(code) or code.replace("_", " ").replace("-", " ")


def with_reason_words(returns: Iterable[ReturnRequest]) -> list[ReturnRequest]:
    """Sets ``reason_words`` on each return (one query per business among those that
    have a reason code, none otherwise) and, when its lines are prefetched with their
    order lines, ``items_count`` and ``value_cents``."""
    found = list(returns)
    by_business: dict[int, dict[str, str]] = {}
    for r in found:
        if r.reason_code and r.business_id not in by_business:
            by_business[r.business_id] = reason_labels(business_id=r.business_id)
        words = reason_words(r.reason_code, by_business.get(r.business_id, {}))
        r.reason_words = words  # type: ignore[attr-defined]
        if "lines" in getattr(r, "_prefetched_objects_cache", {}):
            # What goes back and its worth, from the prefetched lines (no query).
            rows = [(rl.quantity, rl.line.price_cents) for rl in r.lines.all()]
            r.items_count = sum(q for q, _p in rows)  # type: ignore[attr-defined]
            r.value_cents = sum(q * p for q, p in rows)  # type: ignore[attr-defined]
    return found


def returnable(order: Order) -> dict[int, int]:
    """Per order line: how many may still be returned (delivered, less what is already in a
    return that is not cancelled). Two queries: the lines, the quantities in returns."""
    lines = OrderLine.objects.filter(order_id=order.pk).exclude(status=LineStatus.CANCELLED)
    left = {pk: qty for pk, qty in lines.values_list("pk", "quantity")}
    taken = (
        ReturnLine.objects.filter(ret__order_id=order.pk)
        .exclude(ret__status=ReturnStatus.CANCELLED)
        .values("line_id")
        .annotate(n=Sum("quantity"))
    )
    for row in taken:
        if row["line_id"] in left:
            left[row["line_id"]] -= row["n"]
    return {pk: n for pk, n in left.items() if n > 0}


@dataclass(frozen=True)
class Choice:
    """A return request, checked."""

    lines: dict[int, int]
    reason_code: str
    reason: str
    outcome: str
    method: str
    point: PickupPoint | None


def _int(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value


def _lines(order: Order, value: Any) -> dict[int, int]:
    left = returnable(order)
    if value is None:
        if not left:
            raise Conflict(_("Everything of this order has been returned already."))
        return left
    if not isinstance(value, list) or not value:
        raise Invalid(_("Choose at least one item to return."), field="lines")
    chosen: dict[int, int] = {}
    for n, row in enumerate(value):
        row = row if isinstance(row, dict) else {}
        line_id, qty = _int(row.get("line_id")), _int(row.get("quantity"))
        if line_id is None or line_id in chosen:
            raise Invalid(_("Choose an item of this order, once."), field=f"lines.{n}.line_id")
        if line_id not in left:
            raise Invalid(_("This item cannot be returned (any more)."), field=f"lines.{n}.line_id")
        if qty is None or qty < 1:
            raise Invalid(_("A whole number, at least 1."), field=f"lines.{n}.quantity")
        if qty > left[line_id]:
            raise Invalid(
                _("At most %(n)d can be returned.") % {"n": left[line_id]},
                field=f"lines.{n}.quantity",
            )
        chosen[line_id] = qty
    return chosen


def _reason(order: Order, reason_code: Any, reason: Any) -> tuple[str, str]:
    text = reason.strip() if isinstance(reason, str) else ""
    if len(text) > 2000:
        raise Invalid(_("At most %(n)d characters.") % {"n": 2000}, field="reason")
    code = reason_code.strip() if isinstance(reason_code, str) else ""
    codes = {r.code for r in reasons_of(business_id=order.business_id)}
    if code and code not in codes:
        raise Invalid(_("Choose one of the reasons in the list."), field="reason_code")
    if not code and codes:
        raise Invalid(_("Choose a reason."), field="reason_code")
    if not code and not text:
        raise Invalid(_("Tell us why, in a few words."), field="reason")
    return code, text


def _point(order: Order, method: Any, pickup_point: Any) -> PickupPoint | None:
    if method not in ReturnMethod.values:
        raise Invalid(_("Choose pick-up or drop-off."), field="method")
    if method != ReturnMethod.DROPOFF:
        return None
    if not isinstance(pickup_point, str) or not pickup_point:
        raise Invalid(_("Choose a pickup point to drop it off."), field="pickup_point")
    point = PickupPoint.objects.filter(
        business_id=order.business_id, code=pickup_point, active=True
    ).first()
    if point is None:
        raise Invalid(_("There is no such pickup point."), field="pickup_point")
    return point


def _summary(order: Order, choice: Choice) -> str:
    names = dict(OrderLine.objects.filter(pk__in=choice.lines).values_list("pk", "item__name"))
    what = ", ".join(f"{q}× {names.get(pk, '')}" for pk, q in choice.lines.items())
    return (_("Return of order #%(id)s: %(what)s") % {"id": order.pk, "what": what})[:300]


@transaction.atomic
def return_start(
    *,
    customer: Customer,
    order: Order,
    reason: Any = "",
    method: Any,
    pickup_point: Any = None,
    lines: Any = None,
    reason_code: Any = "",
    outcome: Any = ReturnOutcome.REFUND,
) -> ReturnRequest:
    """Start a return of (part of) a delivered order; ``lines`` None: all that is left."""
    if order.customer_id != customer.pk:
        raise NotFound(_("No such order."))
    code, text = _reason(order, reason_code, reason)
    if outcome not in ReturnOutcome.values:
        raise Invalid(_("Choose a refund or an exchange."), field="outcome")
    point = _point(order, method, pickup_point)
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.status != OrderStatus.FULFILLED:
        raise Conflict(
            _("A return is possible once the order has been delivered."), status=order.status
        )
    choice = Choice(_lines(order, lines), code, text, outcome, method, point)
    need = need_open(
        customer=customer,
        kind="return",
        summary=_summary(order, choice),
        goal=text or reason_words(code, reason_labels(business_id=order.business_id)),
    )
    try:
        with transaction.atomic():
            ret = ReturnRequest.objects.create(
                business_id=order.business_id,
                order=order,
                customer=customer,
                need=need,
                reason=text,
                reason_code=code,
                outcome=outcome,
                method=method,
                pickup_point=point,
                label_code=label_code_new(),
            )
    except IntegrityError:
        raise Conflict(_("A return of this order is already under way.")) from None
    ReturnLine.objects.bulk_create(
        [ReturnLine(ret=ret, line_id=pk, quantity=q) for pk, q in choice.lines.items()]
    )
    record(events.return_started(ret, lines=choice.lines), need=need, actor_customer=customer)
    return ret


def return_value(ret: ReturnRequest) -> int:
    """What the returned items cost (their lines' prices × quantities)."""
    rows = ReturnLine.objects.filter(ret_id=ret.pk).values_list("quantity", "line__price_cents")
    found = [q * price for q, price in rows]
    return sum(found) if found else ret.order.total_cents


@transaction.atomic
def return_arrived(
    *, staff: StaffMember, ret: ReturnRequest, refund_cents: Any = None
) -> ReturnRequest:
    """The items are back: the owner of the return's need grants the refund within their
    authority — or, for an exchange, the replacement (what the returned lines cost) and the
    exchange order for the same items follows (``exchange``). Above the owner's authority,
    403 naming who may and nothing changes: the return waits for them. Once only: the row
    is locked and a return that arrived is a 409, so a second arrival places no order."""
    ret = (
        ReturnRequest.objects.select_for_update(of=("self",))
        .select_related("order__business", "need")
        .get(pk=ret.pk)
    )
    if ret.business_id != staff.business_id:
        raise NotFound(_("No such return."))
    if ret.status != ReturnStatus.REQUESTED:
        raise Conflict(_("This return is already %(s)s.") % {"s": ret.get_status_display()})
    exchange = ret.outcome == ReturnOutcome.EXCHANGE
    if exchange and refund_cents is not None:
        raise Invalid(
            _("An exchange sends the same items again: there is no refund to give."),
            field="refund_cents",
        )
    amount = return_value(ret) if refund_cents is None else refund_cents
    if not isinstance(amount, int) or isinstance(amount, bool) or amount < 0:
        raise Invalid(_("A whole number of cents, zero or more."), field="refund_cents")
    if amount > ret.order.total_cents and not exchange:
        raise Invalid(_("More than the order's total."), field="refund_cents")
    now = timezone.now()
    ReturnRequest.objects.filter(pk=ret.pk).update(status=ReturnStatus.ARRIVED, arrived_at=now)
    if not exchange:
        record(events.return_arrived(ret), need=ret.need, actor_staff=staff, at=now)
    if amount:
        # Above the owner's authority nothing happens (403, all rolled back).
        remedy_grant(
            staff=staff,
            need=ret.need,
            kind=RemedyKind.REPLACEMENT if exchange else RemedyKind.REFUND,
            amount_cents=amount,
            note=(
                _("Return of order #%(id)s arrived: the same items are sent again")
                if exchange
                else _("Return of order #%(id)s arrived")
            )
            % {"id": ret.order_id},
        )
    if exchange:
        placed = exchange_place(staff=staff, ret=ret)
        arrived = events.return_arrived(ret, exchange_order_id=placed.pk)
        record(arrived, need=ret.need, actor_staff=staff, at=now)
    ret.refresh_from_db()
    return ret


def return_for_staff(*, staff: StaffMember, return_id: int) -> ReturnRequest:
    found = ReturnRequest.objects.filter(pk=return_id, business_id=staff.business_id).first()
    if found is None:
        raise NotFound(_("No such return."))
    return found


def return_for_customer(*, customer: Customer, return_id: int) -> ReturnRequest:
    found = (
        ReturnRequest.objects.select_related("order__business", "pickup_point", "need__owner")
        .filter(pk=return_id, customer_id=customer.pk)
        .first()
    )
    if found is None:
        raise NotFound(_("No such return."))
    return found

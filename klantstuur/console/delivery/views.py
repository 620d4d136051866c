"""The staff delivery page: the order's request beside the promise, its checkpoints, the
delivery needs with their owners, and what staff may do here (a shop scan, out of stock).

Staff of the order's business only: another business's order is a 404; customers and
carrier accounts get 403 (``staff_page``). Thin views over services and selectors.
"""

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from klantstuur.businesses.models import StaffMember
from klantstuur.console.access import staff_page
from klantstuur.core.errors import DomainError, NotFound
from klantstuur.delivery import returns as return_services
from klantstuur.delivery import selectors
from klantstuur.delivery.services import booking, ingest
from klantstuur.orders import stock
from klantstuur.orders.checkpoints import SHOP_SCAN_CODES, label

from .forms import OrderFilterForm


@staff_page
def orders(request: HttpRequest, me: StaffMember) -> HttpResponse:
    """Every order of my business, newest first: find one by number or customer, or see
    which deliveries wait for the customer's choice."""
    form = OrderFilterForm(request.GET or None)
    found: list[Any] = []
    valid = not form.is_bound or form.is_valid()
    if valid:
        data = form.cleaned_data if form.is_bound else {}
        delivery = data.get("delivery") or ""
        found = selectors.orders_for_staff(
            staff=me,
            status=data.get("status") or None,
            delivery_status=None if delivery in ("", "problem") else delivery,
            problem=delivery == "problem",
            query=data.get("q") or "",
            before=data.get("before"),
        )
    older = None
    if len(found) > selectors.ORDERS_PAGE:
        found = found[: selectors.ORDERS_PAGE]
        query = request.GET.copy()
        query["before"] = str(found[-1].pk)
        older = query.urlencode()
    return render(
        request,
        "delivery/console_orders.html",
        {"me": me, "nav": "orders", "form": form, "orders": found, "older": older},
        status=200 if valid else 422,
    )


def _context(me: StaffMember, order_id: int) -> dict[str, Any]:
    try:
        ctx = selectors.staff_tracking(staff=me, order_id=order_id)
    except NotFound:
        raise Http404 from None
    ctx.update(
        me=me,
        nav="needs",
        scan_codes=[(code, label(code)) for code in SHOP_SCAN_CODES],
    )
    return ctx


@staff_page
def order(request: HttpRequest, me: StaffMember, order_id: int) -> HttpResponse:
    return render(request, "delivery/console_order.html", _context(me, order_id))


@require_POST
@staff_page
def scan(request: HttpRequest, me: StaffMember, order_id: int) -> HttpResponse:
    _context(me, order_id)  # 404 for another business's order before anything else
    code = request.POST.get("code", "")
    try:
        ingest.shop_scan_record(staff=me, order_id=order_id, code=code)
    except DomainError as exc:
        ctx = _context(me, order_id)
        ctx["action_error"] = exc.message
        return render(request, "delivery/console_order.html", ctx, status=exc.status)
    messages.success(request, _("Recorded: %(what)s.") % {"what": label(code)})
    return redirect("console_delivery:order", order_id)


@require_POST
@staff_page
def tracking_set(request: HttpRequest, me: StaffMember, order_id: int) -> HttpResponse:
    _context(me, order_id)  # 404 for another business's order before anything else
    try:
        booking.delivery_tracking_set(
            staff=me,
            order_id=order_id,
            carrier=request.POST.get("carrier", ""),
            tracking_number=request.POST.get("tracking_number", ""),
        )
    except DomainError as exc:
        ctx = _context(me, order_id)
        ctx["action_error"] = exc.message
        return render(request, "delivery/console_order.html", ctx, status=exc.status)
    messages.success(request, _("The tracking number is saved; the customer sees it."))
    return redirect("console_delivery:order", order_id)


@require_POST
@staff_page
def out_of_stock(
    request: HttpRequest, me: StaffMember, order_id: int, line_id: int
) -> HttpResponse:
    try:
        line = stock.line_for_staff(staff=me, line_id=line_id)
    except NotFound:
        raise Http404 from None
    if line.order_id != order_id:
        raise Http404
    try:
        stock.line_out_of_stock(staff=me, line=line, note=request.POST.get("note", "")[:500])
    except DomainError as exc:
        ctx = _context(me, order_id)
        ctx["action_error"] = exc.message
        return render(request, "delivery/console_order.html", ctx, status=exc.status)
    messages.success(
        request,
        _("%(item)s is marked out of stock; the customer's standing instruction is carried out.")
        % {"item": line.item.name},
    )
    return redirect("console_delivery:order", order_id)


@require_POST
@staff_page
def return_arrived(request: HttpRequest, me: StaffMember, return_id: int) -> HttpResponse:
    """The returned items are here: the refund, or the exchange order, follows — within
    the authority of the return's owner (above it the page names who may; nothing changes)."""
    try:
        ret = return_services.return_for_staff(staff=me, return_id=return_id)
    except NotFound:
        raise Http404 from None
    try:
        ret = return_services.return_arrived(staff=me, ret=ret)
    except DomainError as exc:
        ctx = _context(me, ret.order_id)
        ctx["action_error"] = exc.message
        return render(request, "delivery/console_order.html", ctx, status=exc.status)
    if ret.exchange_order_id:
        messages.success(
            request,
            _("Arrived. Exchange order #%(id)s is placed; the customer can follow it.")
            % {"id": ret.exchange_order_id},
        )
    else:
        messages.success(request, _("Arrived. The refund is granted."))
    return redirect("console_delivery:order", ret.order_id)

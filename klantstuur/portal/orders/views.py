"""The customer's orders: tracking, changing the delivery, returns, standing
instructions, my data and notifications. Thin views over services and selectors."""

import json
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from klantstuur.core.errors import DomainError, NotFound
from klantstuur.core.pages import is_htmx, page_of, show_error
from klantstuur.customers.models import Customer
from klantstuur.delivery import returns as return_services
from klantstuur.delivery import selectors, tracking
from klantstuur.delivery.calendar import delivery_ics
from klantstuur.delivery.instructions import services as instruction_services
from klantstuur.delivery.instructions.engine import describe
from klantstuur.delivery.labels import label_svg
from klantstuur.delivery.models import CLOSED_STATUSES, DeliverySettings
from klantstuur.delivery.services import booking
from klantstuur.delivery.services.options import delivery_options
from klantstuur.orders.checkpoints import label
from klantstuur.portal.access import customer_page
from klantstuur.privacy import services as privacy

from .forms import (
    FIELD_MAP,
    ChangeForm,
    ErasureForm,
    InstructionForm,
    PreferencesForm,
    ReturnForm,
)


def _points(me: Customer) -> list[tuple[str, str]]:
    return [
        (p.code, f"{p.name}, {p.address}")
        for p in selectors.pickup_points_of(business_id=me.business_id)
    ]


@customer_page
def orders(request: HttpRequest, me: Customer) -> HttpResponse:
    return render(
        request,
        "delivery/orders.html",
        {
            "me": me,
            "nav": "orders",
            "page": page_of(request, selectors.orders_with_delivery(customer=me)),
        },
    )


def _tracking(me: Customer, order_id: int) -> dict[str, Any]:
    try:
        return selectors.tracking(customer=me, order_id=order_id)
    except NotFound:
        raise Http404 from None


def _change_form(me: Customer, ctx: dict[str, Any], data: Any = None) -> ChangeForm:
    """The change form with its options (four queries): only when it is opened or posted."""
    options = delivery_options(business=me.business)
    d = ctx["delivery"]
    initial = {}
    if d is not None:
        place = d.promised_place or {}
        initial = {
            "date": d.promised_date.isoformat(),
            "window": d.promised_window.code,
            "place": d.place_kind,
            "house_number": place.get("house_number", ""),
            "name": place.get("name", "") if d.place_kind == "neighbour" else "",
            "pickup_point": place.get("pickup_point", ""),
            "street": place.get("street", ""),
            "postcode": place.get("postcode", ""),
            "city": place.get("city", ""),
        }
    return ChangeForm(data, options=options, initial=initial)


def _order_context(
    me: Customer,
    order_id: int,
    *,
    open_form: bool = False,
    open_return: bool = False,
    **bound: Any,
) -> dict[str, Any]:
    ctx = _tracking(me, order_id)
    if open_form and ctx["delivery"] is not None:
        bound["change_form"] = _change_form(me, ctx)
    order = ctx["order"]
    checkpoints = [
        {"code": c.code, "label": label(c.code), "at": c.at, "location": c.location, "note": c.note}
        for c in reversed(order.checkpoints.all())
    ]
    under_way = any(r.status == "requested" for r in ctx["returns"])
    can_return = (
        order.status == "fulfilled"
        and not under_way
        and (not ctx["returns"] or bool(return_services.returnable(order)))
    )
    return_form = bound.get("return_form")
    if return_form is None and open_return and can_return:
        return_form = _return_form(me, order)
    ctx.update(_tracking_words(ctx["delivery"], can_return))
    ctx.update(
        me=me,
        nav="orders",
        checkpoints=checkpoints,
        change_form=bound.get("change_form"),
        return_form=return_form,
        can_return=can_return,
        top_error=bound.get("top_error"),
        changeable=ctx["delivery"] is not None and selectors.delivery_out_light(ctx["delivery"]),
    )
    return ctx


def _tracking_words(d: Any, can_return: bool) -> dict[str, Any]:
    """The headline, progress, carrier and, once changes are closed, why and what is left."""
    if d is None:
        return {}
    closed = d.order.status == "cancelled" or d.status in CLOSED_STATUSES
    status = "cancelled" if d.order.status == "cancelled" else d.status
    try:
        allows = d.order.business.delivery_settings.carrier_allows_redirect
    except DeliverySettings.DoesNotExist:
        allows = False
    return {
        "headline": tracking.headline(d),
        "progress": tracking.progress(d),
        "carrier": tracking.carrier_of(d),
        "expected": tracking.expected(d),
        "closed_words": booking.closed_words(status) if closed else "",
        "still_possible": booking.still_possible(d, allows_redirect=allows) if closed else [],
    }


def _return_form(me: Customer, order: Any, data: Any = None) -> ReturnForm:
    left = return_services.returnable(order)
    lines = [(ln.pk, ln.item.name, left[ln.pk]) for ln in order.lines.all() if ln.pk in left]
    reasons = [
        (r["code"], r["label"]) for r in return_services.reasons_out(business_id=me.business_id)
    ]
    return ReturnForm(data, points=_points(me), lines=lines, reasons=reasons)


def _render_order(
    request: HttpRequest, me: Customer, order_id: int, status: int = 200, **bound: Any
) -> HttpResponse:
    return render(
        request, "delivery/order.html", _order_context(me, order_id, **bound), status=status
    )


@customer_page
def order(request: HttpRequest, me: Customer, order_id: int) -> HttpResponse:
    return _render_order(request, me, order_id)


@customer_page
def change_form(request: HttpRequest, me: Customer, order_id: int) -> HttpResponse:
    """The change form, loaded by htmx when the panel opens; without htmx, the whole page."""
    if not is_htmx(request):
        return render(request, "delivery/order.html", _order_context(me, order_id, open_form=True))
    ctx = _tracking(me, order_id)
    if ctx["delivery"] is None or not selectors.delivery_out_light(ctx["delivery"]):
        raise Http404
    ctx.update(me=me, change_form=_change_form(me, ctx))
    return render(request, "delivery/change_form.html", ctx)


@require_POST
@customer_page
def delivery_change(request: HttpRequest, me: Customer, order_id: int) -> HttpResponse:
    ctx = _tracking(me, order_id)
    form = _change_form(me, ctx, request.POST)
    status = 422
    if form.is_valid():
        try:
            booking.delivery_change(customer=me, order=ctx["order"], request=form.request())
        except DomainError as exc:
            show_error(form, exc, FIELD_MAP)
            return _render_order(
                request,
                me,
                order_id,
                exc.status,
                change_form=form,
                top_error=exc.message if exc.status == 409 else None,
            )
        messages.success(request, _("Your delivery is changed."))
        return redirect("portal_orders:order", order_id)
    return _render_order(request, me, order_id, status, change_form=form)


@require_http_methods(["GET", "POST"])
@customer_page
def return_start(request: HttpRequest, me: Customer, order_id: int) -> HttpResponse:
    """GET: the return form, loaded by htmx when its panel opens (not on every view of
    the tracking page); without htmx, the whole page with the form open. POST: start it."""
    if request.method == "GET":
        ctx = _order_context(me, order_id, open_return=True)
        if ctx["return_form"] is None:
            raise Http404
        template = "delivery/return_form.html" if is_htmx(request) else "delivery/order.html"
        return render(request, template, ctx)
    ctx = _tracking(me, order_id)
    form = _return_form(me, ctx["order"], request.POST)
    status = 422
    if form.is_valid():
        try:
            ret = return_services.return_start(
                customer=me,
                order=ctx["order"],
                reason=form.cleaned_data["reason"],
                reason_code=form.cleaned_data.get("reason_code") or "",
                outcome=form.cleaned_data["outcome"] or "refund",
                method=form.cleaned_data["method"],
                pickup_point=form.cleaned_data["pickup_point"] or None,
                lines=form.chosen_lines(),
            )
        except DomainError as exc:
            show_error(form, exc, form.field_map())
            status = exc.status
        else:
            messages.success(
                request,
                _("Return started. %(name)s takes care of it.") % {"name": ret.need.owner.name},
            )
            return redirect("portal_orders:return_label", ret.pk)
    return _render_order(request, me, order_id, status, return_form=form)


@customer_page
def return_label(request: HttpRequest, me: Customer, return_id: int) -> HttpResponse:
    """The return label to show at the pickup point or print: code, QR code, what goes back."""
    try:
        ret = return_services.return_for_customer(customer=me, return_id=return_id)
    except NotFound:
        raise Http404 from None
    shown = selectors.return_with_owner(return_id=ret.pk)
    return render(
        request,
        "delivery/return_label.html",
        {
            "me": me,
            "nav": "orders",
            "ret": ret,
            "lines": shown.lines.all(),
            "reason_words": getattr(shown, "reason_words", ""),
            "qr": label_svg(ret),
        },
    )


@customer_page
def calendar(request: HttpRequest, me: Customer, order_id: int) -> HttpResponse:
    """The promised window as a calendar file (the same as the API's delivery.ics)."""
    try:
        d = selectors.delivery_for_customer(customer=me, order_id=order_id)
    except NotFound:
        raise Http404 from None
    response = HttpResponse(delivery_ics(d), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="delivery-{d.order_id}.ics"'
    return response


@customer_page
def instructions(request: HttpRequest, me: Customer) -> HttpResponse:
    status = 200
    form = InstructionForm(points=_points(me))
    if request.method == "POST":
        form = InstructionForm(request.POST, points=_points(me))
        status = 422
        if form.is_valid():
            try:
                instruction_services.instruction_create(
                    customer=me,
                    condition=form.cleaned_data["condition"],
                    action=form.cleaned_data["action"],
                    hours=form.cleaned_data["hours"],
                    params=form.params(),
                )
            except DomainError as exc:
                show_error(
                    form,
                    exc,
                    {
                        f"params.{k}": k
                        for k in (
                            "house_number",
                            "name",
                            "pickup_point",
                            "policy",
                            "channel",
                            "language",
                        )
                    },
                )
                status = exc.status
            else:
                messages.success(request, _("Saved. We carry this out for you."))
                return redirect("portal_orders:instructions")
    items = [(i, describe(i)) for i in instruction_services.instructions_of(me)]
    return render(
        request,
        "delivery/instructions.html",
        {"me": me, "nav": "instructions", "items": items, "form": form},
        status=status,
    )


@require_POST
@customer_page
def instruction_remove(request: HttpRequest, me: Customer, instruction_id: int) -> HttpResponse:
    try:
        instruction_services.instruction_remove(customer=me, instruction_id=instruction_id)
    except NotFound:
        raise Http404 from None
    messages.success(request, _("Removed."))
    return redirect("portal_orders:instructions")


@customer_page
def my_data(request: HttpRequest, me: Customer) -> HttpResponse:
    status = 200
    form = PreferencesForm(initial={"notify_by_email": me.notify_by_email})
    if request.method == "POST":
        form = PreferencesForm(request.POST)
        status = 422
        if form.is_valid():
            privacy.preferences_update(
                customer=me, notify_by_email=form.cleaned_data["notify_by_email"]
            )
            messages.success(request, _("Your preferences are saved."))
            return redirect("portal_orders:my_data")
    return _my_data_page(request, me, form, ErasureForm(), status)


def _my_data_page(
    request: HttpRequest, me: Customer, form: Any, erasure_form: Any, status: int
) -> HttpResponse:
    return render(
        request,
        "delivery/my_data.html",
        {
            "me": me,
            "nav": "my_data",
            "form": form,
            "erasure_form": erasure_form,
            "waiting_for": privacy.obligations_in_words(
                privacy.open_obligations(me) if me.erasure_requested_at else []
            ),
        },
        status=status,
    )


@customer_page
def export(request: HttpRequest, me: Customer) -> HttpResponse:
    body = json.dumps(
        privacy.customer_export(customer=me), ensure_ascii=False, indent=2, default=str
    )
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="my-data-{me.business.slug}.json"'
    return response


@require_POST
@customer_page
def erasure(request: HttpRequest, me: Customer) -> HttpResponse:
    form = ErasureForm(request.POST)
    if not form.is_valid():
        prefs = PreferencesForm(initial={"notify_by_email": me.notify_by_email})
        return _my_data_page(request, me, prefs, form, 422)
    try:
        privacy.erasure_request(customer=me)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("Erasure requested. We carry it out as soon as nothing is open any more.")
        )
    return redirect("portal_orders:my_data")


@require_POST
@customer_page
def erasure_withdraw(request: HttpRequest, me: Customer) -> HttpResponse:
    try:
        privacy.erasure_withdraw(customer=me)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Your request is withdrawn: nothing is erased."))
    return redirect("portal_orders:my_data")


@customer_page
def notifications(request: HttpRequest, me: Customer) -> HttpResponse:
    page = page_of(request, selectors.notices_of(customer=me))
    items = [selectors.notice_out(e) for e in page.object_list]
    return render(
        request,
        "delivery/notifications.html",
        {"me": me, "nav": "notifications", "page": page, "items": items},
    )

"""The manager's webhook page: subscribe an endpoint (its secret shown once), rotate the
secret, ping it, switch it off and on, and read its delivery log with "send again".

Managers only (``manager_page``): another business's endpoint is a 404. Thin views over
``integrations`` services and selectors.
"""

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from klantstuur.businesses.models import StaffMember
from klantstuur.console.insight.common import manager_page
from klantstuur.core.errors import DomainError, NotFound
from klantstuur.core.pages import show_error
from klantstuur.integrations import selectors, services
from klantstuur.integrations.models import WebhookEndpoint

from .forms import EndpointForm

LOG_PAGE = 50


def _endpoint(me: StaffMember, endpoint_id: int) -> WebhookEndpoint:
    try:
        return selectors.endpoint_for_staff(staff=me, endpoint_id=endpoint_id)
    except NotFound:
        raise Http404 from None


@manager_page
def endpoints(request: HttpRequest, me: StaffMember) -> HttpResponse:
    """The list and the form; a new endpoint's secret is shown here once."""
    form = EndpointForm(request.POST or None)
    status, secret, made = 200, "", None
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                result = services.endpoint_create(
                    business=me.business,
                    url=form.cleaned_data["url"],
                    events=form.cleaned_data["events"],
                    actor_staff=me,
                )
            except DomainError as exc:
                show_error(form, exc, {})
            else:
                status, secret, made, form = 201, result.secret, result.endpoint, EndpointForm()
    return render(
        request,
        "integrations/console_endpoints.html",
        {
            "me": me,
            "nav": "webhooks",
            "form": form,
            "endpoints": list(selectors.endpoints_of_business(business_id=me.business_id)),
            "secret": secret,
            "made": made,
        },
        status=status,
    )


def _log(
    request: HttpRequest, me: StaffMember, endpoint: WebhookEndpoint, **extra: Any
) -> HttpResponse:
    deliveries = list(selectors.deliveries_of_endpoint(endpoint=endpoint)[:LOG_PAGE])
    attempts = selectors.attempts_of(deliveries)
    return render(
        request,
        "integrations/console_endpoint.html",
        {
            "me": me,
            "nav": "webhooks",
            "endpoint": endpoint,
            "rows": [(d, attempts.get(d.pk, [])) for d in deliveries],
            **extra,
        },
    )


@manager_page
def endpoint(request: HttpRequest, me: StaffMember, endpoint_id: int) -> HttpResponse:
    return _log(request, me, _endpoint(me, endpoint_id))


@require_POST
@manager_page
def rotate(request: HttpRequest, me: StaffMember, endpoint_id: int) -> HttpResponse:
    found = _endpoint(me, endpoint_id)
    secret = services.endpoint_rotate_secret(endpoint=found)
    return _log(request, me, found, secret=secret)


@require_POST
@manager_page
def ping(request: HttpRequest, me: StaffMember, endpoint_id: int) -> HttpResponse:
    services.endpoint_ping(endpoint=_endpoint(me, endpoint_id))
    messages.success(request, _("A test ping is on its way."))
    return redirect("console_webhooks:endpoint", endpoint_id)


@require_POST
@manager_page
def enable(request: HttpRequest, me: StaffMember, endpoint_id: int) -> HttpResponse:
    services.endpoint_enable(endpoint=_endpoint(me, endpoint_id))
    messages.success(request, _("Switched on: waiting messages are sent now."))
    return redirect("console_webhooks:endpoint", endpoint_id)


@require_POST
@manager_page
def delete(request: HttpRequest, me: StaffMember, endpoint_id: int) -> HttpResponse:
    services.endpoint_delete(endpoint=_endpoint(me, endpoint_id))
    messages.success(request, _("The endpoint is removed."))
    return redirect("console_webhooks:endpoints")


@require_POST
@manager_page
def resend(
    request: HttpRequest, me: StaffMember, endpoint_id: int, delivery_id: int
) -> HttpResponse:
    found = _endpoint(me, endpoint_id)
    try:
        delivery = selectors.delivery_of_endpoint(endpoint=found, delivery_id=delivery_id)
        services.delivery_resend(delivery=delivery)
        messages.success(request, _("Queued to be sent again."))
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("console_webhooks:endpoint", endpoint_id)

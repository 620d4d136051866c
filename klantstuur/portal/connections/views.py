"""Mijn koppelingen: a customer's own software acting for them. Named API tokens (read or
write, shown once, stored hashed, with their last use, revocable) and webhooks for their
own records. Thin views over ``accounts`` and ``integrations``."""

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from klantstuur.accounts import selectors as accounts_selectors
from klantstuur.accounts import services as accounts_services
from klantstuur.accounts.services import customer_user
from klantstuur.core.errors import DomainError, NotFound
from klantstuur.core.pages import show_error
from klantstuur.customers.models import Customer
from klantstuur.integrations import selectors, services
from klantstuur.portal.access import customer_page

from .forms import EndpointForm, TokenForm


def _page(request: HttpRequest, me: Customer, status: int = 200, **extra: Any) -> HttpResponse:
    context: dict[str, Any] = {
        "me": me,
        "nav": "connections",
        "tokens": list(accounts_selectors.tokens_of_user(user_id=me.user_id or 0)[:50]),
        "endpoints": list(selectors.endpoints_of_customer(customer=me)),
        "token_form": TokenForm(),
        "endpoint_form": EndpointForm(),
        **extra,
    }
    return render(request, "integrations/portal_connections.html", context, status=status)


@customer_page
def home(request: HttpRequest, me: Customer) -> HttpResponse:
    return _page(request, me)


@require_POST
@customer_page
def token_create(request: HttpRequest, me: Customer) -> HttpResponse:
    form = TokenForm(request.POST)
    if not form.is_valid():
        return _page(request, me, 422, token_form=form)
    _token, key = accounts_services.token_create(
        user=customer_user(customer=me),
        name=form.cleaned_data["name"],
        scope=form.cleaned_data["scope"],
    )
    return _page(request, me, 201, new_token=key, new_token_name=form.cleaned_data["name"])


@require_POST
@customer_page
def token_revoke(request: HttpRequest, me: Customer, token_id: int) -> HttpResponse:
    try:
        accounts_services.token_revoke(user=customer_user(customer=me), token_id=token_id)
    except NotFound:
        raise Http404 from None
    messages.success(request, _("The key is revoked: it no longer works."))
    return redirect("portal_connections:home")


@require_POST
@customer_page
def endpoint_create(request: HttpRequest, me: Customer) -> HttpResponse:
    form = EndpointForm(request.POST)
    if form.is_valid():
        try:
            made = services.endpoint_create(
                business=me.business,
                url=form.cleaned_data["url"],
                events=form.cleaned_data["events"],
                customer=me,
            )
        except DomainError as exc:
            show_error(form, exc, {})
        else:
            return _page(request, me, 201, secret=made.secret, made=made.endpoint)
    return _page(request, me, 422, endpoint_form=form)


@require_POST
@customer_page
def endpoint_delete(request: HttpRequest, me: Customer, endpoint_id: int) -> HttpResponse:
    try:
        found = selectors.endpoint_for_customer(customer=me, endpoint_id=endpoint_id)
    except NotFound:
        raise Http404 from None
    services.endpoint_delete(endpoint=found)
    messages.success(request, _("The webhook is removed."))
    return redirect("portal_connections:home")

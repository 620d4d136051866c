"""Who may use the portal: a logged-in customer, never a staff session."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from klantstuur.accounts.models import User
from klantstuur.core.zones import business_time
from klantstuur.customers.models import Customer
from klantstuur.customers.selectors import customer_for_login


def _customer_with_business(user: Any) -> Customer | None:
    """The login's customer record and its business in one query (every portal page)."""
    customer = customer_for_login(user_id=user.pk)
    # Later customer_of(request.user) calls reuse it instead of asking again.
    User.customer.related.set_cached_value(user, customer)
    return customer


def customer_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Anonymous: to the magic-link page. Staff, or a login without a customer: 403.

    The view gets the customer as its second argument and renders in the
    business's time zone.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("portal:login"))
        user: Any = request.user
        customer = _customer_with_business(user)
        if customer is None:  # a staff member's login has no customer record
            raise PermissionDenied
        with business_time(customer.business.time_zone):
            return view(request, customer, *args, **kwargs)

    return wrapper

"""Who may use the console: logged-in staff, never a carrier integration account."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from klantstuur.accounts.actors import staff_of
from klantstuur.businesses.models import Role
from klantstuur.core.zones import business_time

StaffView = Callable[..., HttpResponse]


def staff_page(view: StaffView) -> Callable[..., HttpResponse]:
    """Anonymous: to the login page. A customer or a carrier account: 403.

    The view gets the acting staff member as its second argument, and renders
    in the business's time zone.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("console:login"))
        member = staff_of(request.user)
        if member is None or member.role == Role.CARRIER:
            raise PermissionDenied
        with business_time(member.business.time_zone):
            return view(request, member, *args, **kwargs)

    return wrapper

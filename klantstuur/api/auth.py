"""Bearer tokens: a staff member's or a customer's."""

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.security import HttpBearer

from klantstuur.accounts.actors import customer_of, staff_of
from klantstuur.accounts.selectors import token_for_key
from klantstuur.businesses.models import Role, StaffMember
from klantstuur.core import throttle
from klantstuur.core.errors import NotAllowed
from klantstuur.customers.models import Customer


def user_for_bearer(key: str) -> Any:
    token = token_for_key(key)
    if token is None or not token.user.is_active:
        return None
    return token.user


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = getattr(request, "_api_user", None)
        if user is None:
            # Unknown tokens count per client address; past the limit, 429 (issue #15).
            ip = throttle.client_ip(request)
            if (seconds := throttle.wait("api-token-ip", ip)) is not None:
                raise throttle.Throttled(seconds)
            user = user_for_bearer(token)
            if user is None:
                throttle.hit("api-token-ip", ip)
                return None
        # Both were fetched with the token (token_for_key).
        request.api_staff = staff_of(user)  # type: ignore[attr-defined]
        request.api_customer = customer_of(user)  # type: ignore[attr-defined]
        return user


def staff(request: HttpRequest, *, allow_carrier: bool = False) -> StaffMember:
    member: StaffMember | None = getattr(request, "api_staff", None)
    if member is None:
        raise NotAllowed(_("This is for staff; customers use /api/v1/me/…"))
    if member.role == Role.CARRIER and not allow_carrier:
        raise NotAllowed(_("A carrier integration account may only post carrier events."))
    return member


def manager(request: HttpRequest) -> StaffMember:
    member = staff(request)
    if member.role != Role.MANAGER:
        raise NotAllowed(_("Only managers may see this."))
    return member


def customer(request: HttpRequest) -> Customer:
    who: Customer | None = getattr(request, "api_customer", None)
    if who is None:
        raise NotAllowed(_("This is for customers; staff use the other /api/v1/ paths."))
    return who

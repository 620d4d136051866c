"""Bearer tokens: a staff member's or a customer's."""

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.security import HttpBearer

from klantstuur.accounts.actors import customer_of, staff_of
from klantstuur.accounts.models import ApiToken, TokenScope
from klantstuur.accounts.selectors import token_for_key
from klantstuur.accounts.services import token_touch
from klantstuur.businesses.models import Role, StaffMember
from klantstuur.core import throttle
from klantstuur.core.errors import NotAllowed
from klantstuur.core.middleware import answer_in_language
from klantstuur.customers.models import Customer

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def token_for_bearer(key: str) -> ApiToken | None:
    token = token_for_key(key)
    if token is None or not token.user.is_active:
        return None
    return token


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        found = getattr(request, "_api_token", None)
        if found is None:
            # Unknown tokens count per client address; past the limit, 429 (issue #15).
            ip = throttle.client_ip(request)
            if (seconds := throttle.wait("api-token-ip", ip)) is not None:
                raise throttle.Throttled(seconds)
            found = token_for_bearer(token)
            if found is None:
                throttle.hit("api-token-ip", ip)
                return None
        user = found.user
        # Both were fetched with the token (token_for_key).
        request.api_staff = staff_of(user)  # type: ignore[attr-defined]
        request.api_customer = customer_of(user)  # type: ignore[attr-defined]
        if request.api_customer is not None:  # type: ignore[attr-defined]
            who = request.api_customer  # type: ignore[attr-defined]
            answer_in_language(request, chosen=who.language, business=who.business)
        elif request.api_staff is not None:  # type: ignore[attr-defined]
            staff_member = request.api_staff  # type: ignore[attr-defined]
            answer_in_language(request, chosen=user.language, business=staff_member.business)
        token_touch(token=found)
        if found.scope == TokenScope.READ and request.method in WRITE_METHODS:
            raise NotAllowed(_("This token may only read."), field="Authorization")
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

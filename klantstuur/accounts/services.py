"""Logins: API tokens, customer magic links."""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from sesame.utils import get_query_string

from klantstuur.businesses.models import StaffMember
from klantstuur.core.errors import Invalid, NotFound
from klantstuur.core.queries import MAX_ID
from klantstuur.customers.models import Customer

from .models import ApiToken, TokenScope, User


@transaction.atomic
def customer_user(*, customer: Customer) -> User:
    """The login behind a customer record, made on first use."""
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if customer.user_id:
        return customer.user  # type: ignore[return-value]
    user = User.objects.create_user(
        username=f"customer-{customer.pk}",
        email=customer.email or "",
        first_name=customer.name[:150],
        language=customer.language,
    )
    user.set_unusable_password()
    user.save(update_fields=["password"])
    customer.user = user
    customer.save(update_fields=["user"])
    return user


@transaction.atomic
def token_create(
    *, user: User, name: str = "", scope: str = TokenScope.WRITE
) -> tuple[ApiToken, str]:
    """Returns the token row and the key, which is shown once and stored only as a hash."""
    if scope not in TokenScope.values:
        raise Invalid(_("Scope is read or write."), field="scope")
    key = ApiToken.new_key()
    token = ApiToken.objects.create(
        user=user, name=name, prefix=key[:10], key_hash=ApiToken.hash_key(key), scope=scope
    )
    return token, key


def token_revoke(*, user: User, token_id: int) -> None:
    """A user's own token, gone at once; another user's is not found (404)."""
    if not 0 < token_id <= MAX_ID:
        raise NotFound(_("No such token."))
    deleted, _rows = ApiToken.objects.filter(pk=token_id, user=user).delete()
    if not deleted:
        raise NotFound(_("No such token."))


TOUCH_EVERY = timedelta(minutes=1)


def token_touch(*, token: ApiToken) -> None:
    """Remember the token's last use, at most once a minute (a write per request is not
    worth what it tells)."""
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= TOUCH_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


@dataclass
class Identity:
    staff: StaffMember | None = None
    customer: Customer | None = None


def identity_for_email(*, email: str, business_slug: str | None = None) -> Identity:
    """Find the staff member or the customer record an e-mail address names."""
    email = email.strip().lower()
    staff_qs = StaffMember.objects.select_related("business", "user").filter(user__email=email)
    customer_qs = Customer.objects.select_related("business").filter(email__iexact=email)
    if business_slug:
        staff_qs = staff_qs.filter(business__slug=business_slug)
        customer_qs = customer_qs.filter(business__slug=business_slug)
    staff = list(staff_qs[:2])
    if staff:
        return Identity(staff=staff[0])
    customers = list(customer_qs[:10])
    if not customers:
        raise NotFound(f"No staff member or customer with e-mail {email}.", field="email")
    if len(customers) > 1:
        slugs = ", ".join(sorted(c.business.slug for c in customers))
        raise Invalid(
            f"{email} is a customer of several businesses ({slugs}); name one with --business.",
            field="business",
        )
    return Identity(customer=customers[0])


def token_for_email(*, email: str, business_slug: str | None = None) -> str:
    identity = identity_for_email(email=email, business_slug=business_slug)
    if identity.staff:
        user = identity.staff.user
    else:
        assert identity.customer is not None
        user = customer_user(customer=identity.customer)
    _, key = token_create(user=user, name="cli")
    return key


def magic_link(*, customer: Customer, next_url: str | None = None) -> str:
    """A one-time login link for the customer's portal (django-sesame)."""
    user = customer_user(customer=customer)
    url = settings.SITE_URL + reverse("portal:magic") + get_query_string(user)
    if next_url and next_url.startswith("/"):
        from urllib.parse import quote

        url += "&next=" + quote(next_url)
    return url

"""Setting up a business and its staff."""

from django.contrib.auth import get_user_model
from django.db import transaction

from .models import Business, Role, StaffMember


@transaction.atomic
def business_create(*, slug: str, name: str, time_zone: str = "Europe/Amsterdam") -> Business:
    return Business.objects.create(slug=slug, name=name, time_zone=time_zone)


@transaction.atomic
def staff_create(
    *,
    business: Business,
    email: str,
    name: str,
    role: str,
    authority_cents: int = 0,
    password: str | None = None,
    on_duty: bool = True,
) -> StaffMember:
    if role not in Role.values:
        raise ValueError(f"unknown role {role!r}")
    email = email.strip().lower()
    # The login is the configured user model (accounts.User), reached through Django
    # rather than imported: accounts sits above businesses.
    user = get_user_model().objects.create_user(username=email, email=email, password=password)
    if password is None:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return StaffMember.objects.create(
        business=business,
        user=user,
        name=name,
        role=role,
        authority_cents=authority_cents,
        on_duty=on_duty,
    )


@transaction.atomic
def staff_set_on_duty(*, staff: StaffMember, on_duty: bool) -> StaffMember:
    staff.on_duty = on_duty
    staff.save(update_fields=["on_duty"])
    return staff

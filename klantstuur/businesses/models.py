"""Businesses (the tenants) and their staff."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Business(models.Model):
    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=200)
    time_zone = models.CharField(max_length=64, default="Europe/Amsterdam")
    language = models.CharField(max_length=8, default="nl")
    handoff_expiry_minutes = models.PositiveIntegerField(default=120)
    autoconfirm_days = models.PositiveIntegerField(default=7)

    class Meta:
        verbose_name_plural = "businesses"

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    MANAGER = "manager", _("Manager")
    LEAD = "lead", _("Team lead")
    HOST = "host", _("Host")
    AGENT = "agent", _("Agent")
    KITCHEN = "kitchen", _("Kitchen")
    RUNNER = "runner", _("Runner")
    # A machine account of a carrier integration: may post carrier events, nothing else.
    CARRIER = "carrier", _("Carrier integration")


# Roles that own needs when they are assigned automatically.
FRONTLINE_ROLES = (Role.HOST, Role.AGENT, Role.LEAD, Role.MANAGER)
# Roles that may own a need at all (kitchen and runners can take one over by handoff).
OWNER_ROLES = (*FRONTLINE_ROLES, Role.KITCHEN, Role.RUNNER)


class StaffMember(models.Model):
    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="staff")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_member"
    )
    name = models.CharField(max_length=200)
    role = models.CharField(max_length=20, choices=Role.choices)
    # What this person may grant on the spot, in euro cents (R10).
    authority_cents = models.PositiveIntegerField(default=0)
    on_duty = models.BooleanField(default=True)
    # Needs this colleague owns that are open or awaiting the customer; kept in the same
    # transaction as every change to them (needs.load), so picking the least-loaded owner
    # reads this row instead of counting needs.
    active_needs = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["business", "role", "on_duty"])]

    def __str__(self) -> str:
        return self.name

    @property
    def email(self) -> str:
        return self.user.email

    @property
    def is_manager(self) -> bool:
        return self.role == Role.MANAGER

    @property
    def may_own_needs(self) -> bool:
        return self.role in OWNER_ROLES

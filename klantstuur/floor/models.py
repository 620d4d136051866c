"""The restaurant floor: sections, tables, and the parties seated at them."""

import secrets

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from klantstuur.businesses.models import Business, StaffMember
from klantstuur.core.transitions import starting
from klantstuur.customers.models import Customer
from klantstuur.needs.models import Need


class Section(models.Model):
    """Part of the floor (the terrace, inside). Its host owns the needs of its parties."""

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="sections")
    name = models.CharField(max_length=100)
    # The host on the current shift.
    host = models.ForeignKey(
        StaffMember, on_delete=models.PROTECT, null=True, blank=True, related_name="sections"
    )

    def __str__(self) -> str:
        return self.name


def _token() -> str:
    return secrets.token_urlsafe(24)


class Table(models.Model):
    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="tables")
    section = models.ForeignKey(Section, on_delete=models.PROTECT, related_name="tables")
    # What guests and staff call it ("12", "T3").
    number = models.CharField(max_length=20)
    # Seat positions are numbered 1..seats clockwise from the marked reference.
    seats = models.PositiveSmallIntegerField()
    # Printed in the table's QR code; identifies the table, not a party.
    qr_token = models.CharField(max_length=64, unique=True, default=_token)
    # Position on the floor plan (grid units).
    x = models.SmallIntegerField(default=0)
    y = models.SmallIntegerField(default=0)
    # Where seat 1 is: the marked reference (a notch on the table, "facing the street").
    # The floor plan draws seat 1 at the mark and the others clockwise from it.
    seat_reference = models.CharField(max_length=100, blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["business", "number"], name="table_number_per_business"
            ),
            models.CheckConstraint(condition=Q(seats__gte=1), name="table_has_seats"),
        ]

    def __str__(self) -> str:
        return self.number


class PartyStatus(models.TextChoices):
    SEATED = "seated", _("Seated")
    BILL_REQUESTED = "bill_requested", _("Bill requested")
    # Paid and gone: the guest link stops working.
    LEFT = "left", _("Left")


# The only party status changes there are, and the step that makes each one.
PARTY_TRANSITIONS: dict[tuple[str, str], str] = {
    (PartyStatus.SEATED, PartyStatus.BILL_REQUESTED): "request_bill",
    (PartyStatus.SEATED, PartyStatus.LEFT): "leave",
    (PartyStatus.BILL_REQUESTED, PartyStatus.LEFT): "leave",
}
# Still at the table: the guest link works, the table is taken, the party can leave.
AT_TABLE = starting(PARTY_TRANSITIONS, PartyStatus, "leave")


class Party(models.Model):
    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="parties")
    table = models.ForeignKey(Table, on_delete=models.PROTECT, related_name="parties")
    seats = models.PositiveSmallIntegerField()
    # Optional: walk-in guests need no customer record.
    customer = models.ForeignKey(
        Customer, on_delete=models.SET_NULL, null=True, blank=True, related_name="parties"
    )
    # The party's evening is one need, owned by the section's host.
    need = models.OneToOneField(Need, on_delete=models.PROTECT, related_name="party")
    # Unguessable secret of the guest link; dead once the party has left.
    guest_token = models.CharField(max_length=64, unique=True, default=_token)
    status = models.CharField(
        max_length=20, choices=PartyStatus.choices, default=PartyStatus.SEATED
    )
    seated_at = models.DateTimeField(default=timezone.now)
    left_at = models.DateTimeField(null=True, blank=True)
    # The guests pressed "call my host" and the host has not come yet.
    host_called_at = models.DateTimeField(null=True, blank=True)
    bill_requested_at = models.DateTimeField(null=True, blank=True)
    # Walk-in guests get a minimal customer record (no e-mail) for the need.
    walk_in = models.BooleanField(default=False)

    class Meta:
        verbose_name_plural = "parties"
        constraints = [
            # One party at a table at a time.
            models.UniqueConstraint(
                fields=["table"], condition=~Q(status="left"), name="one_party_per_table"
            ),
        ]
        indexes = [models.Index(fields=["business", "status"])]

    def __str__(self) -> str:
        return f"{self.table} ({self.seats})"


class FloorSettings(models.Model):
    """How a business runs its floor (set up in the admin)."""

    business = models.OneToOneField(
        Business, on_delete=models.CASCADE, related_name="floor_settings"
    )
    # Fire the next held course by itself once every plate of the courses before it is
    # served (otherwise the host fires it with one tap on the floor card).
    fire_next_course_when_served = models.BooleanField(default=False)

    class Meta:
        verbose_name_plural = "floor settings"

    def __str__(self) -> str:
        return f"floor settings of {self.business_id}"


class PaymentMethod(models.TextChoices):
    CARD = "card", _("Card")
    CASH = "cash", _("Cash")
    OTHER = "other", _("Other")


class Payment(models.Model):
    """Money received for a party's bill (ADR 0013): per seat, per item or any amount.

    The bill itself is never stored: it is the party's lines (price × quantity, a
    voided line counts nothing) minus these payments, allocated in order.
    """

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="payments")
    amount_cents = models.PositiveIntegerField()
    tip_cents = models.PositiveIntegerField(default=0)
    method = models.CharField(max_length=10, choices=PaymentMethod.choices)
    # What it pays for: these seats, or these lines; neither: the bill as a whole.
    seats = models.JSONField(default=list, blank=True)
    line_ids = models.JSONField(default=list, blank=True)
    taken_by = models.ForeignKey(
        StaffMember, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount_cents__gte=1), name="payment_positive"),
        ]
        indexes = [models.Index(fields=["party", "created_at"])]

    def __str__(self) -> str:
        return f"{self.amount_cents} ({self.method})"

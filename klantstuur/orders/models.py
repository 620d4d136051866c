"""Orders, their lines, and the checkpoints on the way to the customer (R2, R13)."""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from klantstuur.businesses.models import Business, StaffMember
from klantstuur.catalog.models import CatalogItem, Station
from klantstuur.core.transitions import starting
from klantstuur.customers.models import Customer
from klantstuur.needs.models import JournalEvent, Need


class OrderStatus(models.TextChoices):
    # Taken; somewhere between the kitchen, the warehouse and the carrier.
    PLACED = "placed", _("Placed")
    # Everything served or delivered.
    FULFILLED = "fulfilled", _("Fulfilled")
    CANCELLED = "cancelled", _("Cancelled")


# The only order status changes there are, and the step that makes each one.
ORDER_TRANSITIONS: dict[tuple[str, str], str] = {
    (OrderStatus.PLACED, OrderStatus.FULFILLED): "fulfil",
    (OrderStatus.PLACED, OrderStatus.CANCELLED): "cancel",
}


# Still under way: every status an order still moves on from.
OPEN_ORDERS = starting(ORDER_TRANSITIONS, OrderStatus)
FULFILLABLE_ORDERS = starting(ORDER_TRANSITIONS, OrderStatus, "fulfil")


class OrderChannel(models.TextChoices):
    STAFF = "staff", _("Taken by staff")
    GUEST = "guest", _("Ordered by the guest")
    CUSTOMER = "customer", _("Ordered by the customer")
    SHOP = "shop", _("From the shop platform")


class Order(models.Model):
    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="orders")
    # The need this order serves (a party's evening, or the shop order's own need).
    need = models.ForeignKey(Need, on_delete=models.PROTECT, related_name="orders")
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, null=True, blank=True, related_name="orders"
    )
    # A party at a table (the floor's model, named by label: orders sit below the floor).
    party = models.ForeignKey(
        "floor.Party", on_delete=models.PROTECT, null=True, blank=True, related_name="orders"
    )
    channel = models.CharField(max_length=20, choices=OrderChannel.choices)
    status = models.CharField(
        max_length=20, choices=OrderStatus.choices, default=OrderStatus.PLACED
    )
    # The latest checkpoint's code, for lists; the checkpoints themselves are the truth.
    last_checkpoint = models.CharField(max_length=40, blank=True, default="")
    # What the business committed to.
    promised_at = models.DateTimeField(null=True, blank=True)
    promise_text = models.CharField(max_length=300, blank=True, default="")
    # The shop platform's own reference (unique per business when given).
    external_ref = models.CharField(max_length=100, blank=True, default="")
    created_by = models.ForeignKey(
        StaffMember, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    total_cents = models.PositiveIntegerField(default=0)
    # An exchange order (#14): the same items again, at no charge, for a return of this
    # original order (the return itself names it: delivery's ``ReturnRequest.exchange_order``).
    exchange_of = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="exchanges"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["business", "external_ref"],
                condition=~Q(external_ref=""),
                name="order_external_ref_per_business",
            ),
        ]
        indexes = [
            models.Index(fields=["business", "status", "-created_at"]),
            models.Index(fields=["customer", "-created_at"]),
            models.Index(fields=["need"]),
        ]

    def __str__(self) -> str:
        return f"Order #{self.pk}"


class LineStatus(models.TextChoices):
    # Its course is not fired yet (mains wait while drinks go).
    HELD = "held", _("Waiting for its course")
    # On the station's board.
    RECEIVED = "received", _("Received")
    IN_PROGRESS = "in_progress", _("Being made")
    READY = "ready", _("Ready")
    ON_ITS_WAY = "on_its_way", _("On its way")
    SERVED = "served", _("Served")
    CANCELLED = "cancelled", _("Cancelled")


# The only line status changes there are, and the step that makes each one.
LINE_TRANSITIONS: dict[tuple[str, str], str] = {
    (LineStatus.HELD, LineStatus.RECEIVED): "fire",
    (LineStatus.RECEIVED, LineStatus.IN_PROGRESS): "start",
    (LineStatus.RECEIVED, LineStatus.READY): "bump",
    (LineStatus.IN_PROGRESS, LineStatus.READY): "bump",
    (LineStatus.READY, LineStatus.RECEIVED): "recall",
    (LineStatus.ON_ITS_WAY, LineStatus.RECEIVED): "recall",
    (LineStatus.READY, LineStatus.ON_ITS_WAY): "pick_up",
    (LineStatus.READY, LineStatus.SERVED): "deliver",
    (LineStatus.ON_ITS_WAY, LineStatus.SERVED): "deliver",
    (LineStatus.ON_ITS_WAY, LineStatus.READY): "put_back",
    (LineStatus.HELD, LineStatus.CANCELLED): "cancel",
    (LineStatus.RECEIVED, LineStatus.CANCELLED): "cancel",
    # Voided at the close-out (with a reason, journaled): also once it is being made.
    (LineStatus.IN_PROGRESS, LineStatus.CANCELLED): "void",
    (LineStatus.READY, LineStatus.CANCELLED): "void",
    (LineStatus.ON_ITS_WAY, LineStatus.CANCELLED): "void",
}
# On a station's board: still to be made (the kitchen bumps them).
OPEN_AT_STATION = starting(LINE_TRANSITIONS, LineStatus, "bump")
# On the pass or carried: the runner serves them.
AT_THE_PASS = starting(LINE_TRANSITIONS, LineStatus, "deliver")
# Not yet made: may still be cancelled (or reported out of stock).
CANCELLABLE_LINES = starting(LINE_TRANSITIONS, LineStatus, "cancel")
# Not yet at the guest: every status a line still moves on from.
UNSERVED = starting(LINE_TRANSITIONS, LineStatus)


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    item = models.ForeignKey(CatalogItem, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveSmallIntegerField(default=1)
    # Seat position at the table (1..seats), so the right plate reaches the right guest.
    seat = models.PositiveSmallIntegerField(null=True, blank=True)
    note = models.CharField(max_length=500, blank=True, default="")
    allergies = models.CharField(max_length=300, blank=True, default="")
    course = models.CharField(max_length=20, blank=True, default="")
    # The modifiers chosen from the item's ("zonder suiker, extra stroop").
    modifiers = models.CharField(max_length=300, blank=True, default="")
    station = models.ForeignKey(
        Station, on_delete=models.PROTECT, null=True, blank=True, related_name="lines"
    )
    status = models.CharField(
        max_length=20, choices=LineStatus.choices, default=LineStatus.RECEIVED
    )
    price_cents = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)
    fired_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ready_at = models.DateTimeField(null=True, blank=True)
    served_at = models.DateTimeField(null=True, blank=True)
    # The honest time: moves when the line is going to miss its first promise.
    promised_at = models.DateTimeField(null=True, blank=True)
    first_promised_at = models.DateTimeField(null=True, blank=True)
    late_alerted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="line_quantity_positive"),
        ]
        indexes = [
            models.Index(fields=["station", "status", "fired_at"]),
            models.Index(fields=["business", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.quantity}× {self.item_id} (seat {self.seat})"


class Checkpoint(models.Model):
    """An unambiguous fact on the way to the customer, seen alike by staff and customer.

    Each is written with its journal event in one transaction; this table is the
    fast index of an order's checkpoints, the journal event the truth.
    """

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="checkpoints")
    line = models.ForeignKey(
        OrderLine, on_delete=models.CASCADE, null=True, blank=True, related_name="checkpoints"
    )
    code = models.CharField(max_length=40)
    at = models.DateTimeField(default=timezone.now)
    location = models.CharField(max_length=200, blank=True, default="")
    note = models.CharField(max_length=500, blank=True, default="")
    event = models.OneToOneField(JournalEvent, on_delete=models.CASCADE, related_name="checkpoint")

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["order", "at", "id"])]

    def __str__(self) -> str:
        return f"{self.code} @ {self.at:%H:%M}"

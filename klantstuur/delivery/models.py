"""Delivery the customer steers (R4, R13): windows, places, capacity, the request
beside the promise, carrier events, returns."""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from klantstuur.businesses.models import Business
from klantstuur.customers.models import Customer
from klantstuur.needs.models import Need
from klantstuur.orders.models import Checkpoint, Order, OrderLine


class DeliverySettings(models.Model):
    """Per business: how far ahead customers may book, and the carrier webhook secret."""

    business = models.OneToOneField(
        Business, on_delete=models.CASCADE, related_name="delivery_settings"
    )
    horizon_days = models.PositiveSmallIntegerField(default=14)
    # Standard Webhooks secret ("whsec_" + base64), shared with the carrier.
    webhook_secret = models.CharField(max_length=120, blank=True, default="")
    # The carrier that delivers (shown on the tracking page unless an event names another).
    carrier_name = models.CharField(max_length=100, blank=True, default="", db_default="")
    # Whether the carrier can still redirect a parcel that is out for delivery (to a
    # neighbour or a pickup point) when the customer is not at home.
    carrier_allows_redirect = models.BooleanField(default=False, db_default=False)

    class Meta:
        verbose_name_plural = "delivery settings"

    def __str__(self) -> str:
        return f"delivery settings of {self.business_id}"


class DeliveryWindow(models.Model):
    """A time window on any day, e.g. 18:00-21:00, with its capacity and cutoff."""

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="windows")
    starts = models.TimeField()
    ends = models.TimeField()
    # Deliveries per date in this window.
    capacity = models.PositiveIntegerField(default=50)
    # Changes close this many minutes before the window starts (business time).
    cutoff_minutes = models.PositiveIntegerField(default=360)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["starts", "id"]
        constraints = [
            models.UniqueConstraint(fields=["business", "starts", "ends"], name="window_unique"),
            models.CheckConstraint(condition=Q(starts__lt=models.F("ends")), name="window_order"),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def code(self) -> str:
        return f"{self.starts:%H:%M}-{self.ends:%H:%M}"


class PickupPoint(models.Model):
    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="pickup_points")
    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=200)
    address = models.CharField(max_length=300)
    postcode = models.CharField(max_length=10)
    opening_hours = models.CharField(max_length=200, blank=True, default="")
    # Parcels per date.
    capacity = models.PositiveIntegerField(default=100)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["business", "code"], name="pickup_point_code_unique")
        ]

    def __str__(self) -> str:
        return self.name


class SlotLoad(models.Model):
    """Booked count per window or pickup point per date; F()-updated under its capacity."""

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    # "w<window id>" or "p<pickup point id>"
    key = models.CharField(max_length=24)
    date = models.DateField()
    booked = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key", "date"], name="slot_load_unique")]

    def __str__(self) -> str:
        return f"{self.key} {self.date}: {self.booked}"


class PlaceKind(models.TextChoices):
    HOME = "home", _("At home")
    NEIGHBOUR = "neighbour", _("With a neighbour")
    PICKUP_POINT = "pickup_point", _("At a pickup point")
    ADDRESS = "address", _("At another address")


class DeliveryStatus(models.TextChoices):
    # Booked; not on the road yet.
    SCHEDULED = "scheduled", _("Scheduled")
    # The carrier has it (info received or in transit).
    IN_TRANSIT = "in_transit", _("On its way")
    OUT_FOR_DELIVERY = "out_for_delivery", _("Out for delivery")
    # The promise broke: waiting for the customer's choice (or an instruction).
    ATTEMPT_FAILED = "attempt_failed", _("Delivery attempt failed")
    EXCEPTION = "exception", _("Problem in delivery")
    AVAILABLE_FOR_PICKUP = "available_for_pickup", _("Ready at the pickup point")
    DELIVERED = "delivered", _("Delivered")
    CANCELLED = "cancelled", _("Cancelled")


_S = DeliveryStatus
# Who moves a delivery from one status to another: the one table (as needs.models.TRANSITIONS
# for a need). "carrier": a carrier event or shop scan whose checkpoint moves a delivery there
# (CheckpointCode.meaning.moves_delivery_to), unless an event already applied is later;
# "choice": the customer (or a standing instruction) chooses again after a broken promise;
# "cancel": the order is cancelled. A status without a way out is final.
_OPEN = (
    _S.SCHEDULED,
    _S.IN_TRANSIT,
    _S.OUT_FOR_DELIVERY,
    _S.ATTEMPT_FAILED,
    _S.EXCEPTION,
    _S.AVAILABLE_FOR_PICKUP,
)
_CARRIER_TARGETS = (
    _S.IN_TRANSIT,
    _S.OUT_FOR_DELIVERY,
    _S.ATTEMPT_FAILED,
    _S.EXCEPTION,
    _S.AVAILABLE_FOR_PICKUP,
    _S.DELIVERED,
)
TRANSITIONS: dict[tuple[str, str], str] = {
    **{(old, new): "carrier" for old in _OPEN for new in _CARRIER_TARGETS},
    (_S.ATTEMPT_FAILED, _S.SCHEDULED): "choice",
    (_S.EXCEPTION, _S.SCHEDULED): "choice",
    **{(old, _S.CANCELLED): "cancel" for old in _OPEN},
}


def can_transition(old: str, new: str, by: str) -> bool:
    return TRANSITIONS.get((old, new)) == by


# Nothing moves a delivery out of these.
FINAL_STATUSES = tuple(s for s in _S if not any(old == s for old, _new in TRANSITIONS))
# The customer may choose again at any time in these (the promise broke).
BROKEN_STATUSES = tuple(s for s in _S if can_transition(s, _S.SCHEDULED, "choice"))
# Changes close in these: the van has left, the parcel is delivered, or the order is
# cancelled; nothing the customer chooses can reach it any more (409 naming why).
CLOSED_STATUSES = (_S.OUT_FOR_DELIVERY, _S.DELIVERED, _S.CANCELLED)
# Watched by the "promise about to break" sweep: booked or with the carrier, not yet out.
UNDERWAY_STATUSES = (_S.SCHEDULED, _S.IN_TRANSIT)


class Delivery(models.Model):
    """When and where an order reaches the customer: what they asked, what we promised."""

    order = models.OneToOneField(Order, on_delete=models.CASCADE, related_name="delivery")
    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="deliveries")
    # The customer's request, as asked.
    requested_date = models.DateField()
    requested_window = models.ForeignKey(DeliveryWindow, on_delete=models.PROTECT, related_name="+")
    requested_place = models.JSONField(default=dict)
    # The business's promise (usually the request; a full slot or a rule may differ).
    promised_date = models.DateField()
    promised_window = models.ForeignKey(DeliveryWindow, on_delete=models.PROTECT, related_name="+")
    place_kind = models.CharField(max_length=20, choices=PlaceKind.choices)
    promised_place = models.JSONField(default=dict)
    pickup_point = models.ForeignKey(
        PickupPoint, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The promised window in UTC, and the moment changes close.
    window_start = models.DateTimeField()
    window_end = models.DateTimeField()
    cutoff_at = models.DateTimeField()
    status = models.CharField(
        max_length=24, choices=DeliveryStatus.choices, default=DeliveryStatus.SCHEDULED
    )
    last_carrier_at = models.DateTimeField(null=True, blank=True)
    # Who carries it and their number for it: from a carrier event or set by staff.
    # (db_default: rows inserted by hand-written SQL, e.g. the benchmarks' generator)
    carrier = models.CharField(max_length=100, blank=True, default="", db_default="")
    tracking_number = models.CharField(max_length=60, blank=True, default="", db_default="")
    # Bumped by every change (the calendar file's SEQUENCE follows it); instructions and alerts fire once per version.
    version = models.PositiveIntegerField(default=1)
    # The need a delivery problem was brought to (reused for the next problem).
    problem_need = models.ForeignKey(
        Need, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Set while the customer has a choice to make after a problem.
    problem_reason = models.CharField(max_length=40, blank=True, default="")
    late_alerted_version = models.PositiveIntegerField(default=0)
    missed_alerted_version = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "deliveries"
        indexes = [
            models.Index(fields=["status", "window_start"]),
            models.Index(fields=["status", "window_end"]),
            models.Index(fields=["customer", "status"]),
            # The console's "waiting for the customer's choice": the few with a problem.
            models.Index(
                fields=["business", "order"],
                condition=~models.Q(problem_reason=""),
                name="delivery_with_problem",
            ),
        ]

    def __str__(self) -> str:
        return f"delivery of order {self.order_id}"

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def needs_choice(self) -> bool:
        return bool(self.problem_reason) and not self.is_final


class CarrierEvent(models.Model):
    """Every carrier event as received (API or webhook): counted back, never lost."""

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="carrier_events")
    status = models.CharField(max_length=30)
    reason = models.CharField(max_length=40, blank=True, default="")
    at = models.DateTimeField()
    received_at = models.DateTimeField(default=timezone.now)
    location = models.CharField(max_length=200, blank=True, default="")
    note = models.CharField(max_length=500, blank=True, default="")
    source = models.CharField(max_length=10, default="api")
    # The carrier's own id for the event: a retry with the same id is not a second event.
    external_id = models.CharField(max_length=100, blank=True, default="")
    checkpoint = models.OneToOneField(
        Checkpoint, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["business", "external_id"],
                condition=~Q(external_id=""),
                name="carrier_event_external_id_unique",
            )
        ]
        indexes = [models.Index(fields=["order", "at"])]

    def __str__(self) -> str:
        return f"{self.status} for order {self.order_id}"


class WebhookReceipt(models.Model):
    """A webhook message id seen once; a replay of it is refused."""

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    message_id = models.CharField(max_length=200)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["business", "message_id"], name="webhook_once")
        ]

    def __str__(self) -> str:
        return self.message_id


class ReturnMethod(models.TextChoices):
    PICKUP = "pickup", _("Picked up at my address")
    DROPOFF = "dropoff", _("I drop it off at a pickup point")


class ReturnStatus(models.TextChoices):
    # Started by the customer; on its way back.
    REQUESTED = "requested", _("Requested")
    # The item arrived; the refund is a remedy on the return's need.
    ARRIVED = "arrived", _("Arrived")
    CANCELLED = "cancelled", _("Cancelled")


class ReturnOutcome(models.TextChoices):
    REFUND = "refund", _("My money back")
    EXCHANGE = "exchange", _("The same item again")


class ReturnReason(models.Model):
    """A reason a customer may give for a return: the business's own list (admin)."""

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="return_reasons")
    code = models.SlugField(max_length=40)
    label_nl = models.CharField(max_length=120)
    label_en = models.CharField(max_length=120)
    position = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["business", "code"], name="return_reason_code_unique")
        ]

    def __str__(self) -> str:
        return self.label_en

    def label_in(self, language: str) -> str:
        return self.label_nl if (language or "").startswith("nl") else self.label_en


class ReturnRequest(models.Model):
    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="returns")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="returns")
    need = models.OneToOneField(Need, on_delete=models.PROTECT, related_name="return_request")
    # The customer's own words (optional beside a reason code).
    reason = models.TextField(blank=True, default="")
    method = models.CharField(max_length=10, choices=ReturnMethod.choices)
    pickup_point = models.ForeignKey(
        PickupPoint, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status = models.CharField(
        max_length=12, choices=ReturnStatus.choices, default=ReturnStatus.REQUESTED
    )
    # The business's reason code (ReturnReason.code), when chosen from its list.
    reason_code = models.SlugField(max_length=40, blank=True, default="", db_default="")
    outcome = models.CharField(
        max_length=10,
        choices=ReturnOutcome.choices,
        default=ReturnOutcome.REFUND,
        db_default=ReturnOutcome.REFUND,
    )
    # The code on the return label, shown at the drop-off or to the courier.
    label_code = models.CharField(max_length=20, blank=True, default="", db_default="")
    created_at = models.DateTimeField(default=timezone.now)
    arrived_at = models.DateTimeField(null=True, blank=True)
    # An exchange, once the items arrived: the new order for the same items (one, ever).
    exchange_order = models.OneToOneField(
        Order, on_delete=models.PROTECT, null=True, blank=True, related_name="exchange_return"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["label_code"], condition=~Q(label_code=""), name="return_label_unique"
            ),
            models.UniqueConstraint(
                fields=["order"],
                condition=Q(status="requested"),
                name="one_open_return_per_order",
            ),
        ]

    def __str__(self) -> str:
        return f"return of order {self.order_id}"


class ReturnLine(models.Model):
    """One order line (and how many of it) in a return: never more than was delivered."""

    ret = models.ForeignKey(ReturnRequest, on_delete=models.CASCADE, related_name="lines")
    line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ret", "line"], name="return_line_once"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="return_line_quantity"),
        ]
        indexes = [models.Index(fields=["line"])]

    def __str__(self) -> str:
        return f"{self.quantity} of line {self.line_id}"

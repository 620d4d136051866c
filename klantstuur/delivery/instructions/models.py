"""Standing instructions: rules a customer sets that the system carries out (R12, R17).

The documented set (docs/delivery.md): a condition and an action with its
parameters. Each instruction runs at most once per trigger (InstructionRun).
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from klantstuur.businesses.models import Business
from klantstuur.customers.models import Customer
from klantstuur.orders.models import Order


class Condition(models.TextChoices):
    # A preference that always holds (contact, language, substitutes).
    ALWAYS = "always", _("Always")
    # The delivery is later than the promised window by more than N hours.
    LATE = "late", _("Late by more than N hours")
    # Any failed delivery attempt.
    ATTEMPT_FAILED = "attempt_failed", _("Delivery attempt failed")
    # A failed attempt because nobody was at home.
    NOT_AT_HOME = "not_at_home", _("Not at home")
    # An item of the order is out of stock.
    OUT_OF_STOCK = "out_of_stock", _("Item out of stock")


class Action(models.TextChoices):
    LEAVE_WITH_NEIGHBOUR = "leave_with_neighbour", _("Leave it with a neighbour")
    DELIVER_TO_PICKUP_POINT = "deliver_to_pickup_point", _("Deliver to a pickup point")
    CANCEL_AND_REFUND = "cancel_and_refund", _("Cancel and refund")
    SUBSTITUTES = "substitutes", _("Substitutes")
    CONTACT = "contact", _("How to contact me")
    LANGUAGE = "language", _("Language")


# Which conditions each action may be combined with.
ALLOWED: dict[str, tuple[str, ...]] = {
    Action.LEAVE_WITH_NEIGHBOUR: (Condition.ATTEMPT_FAILED, Condition.NOT_AT_HOME, Condition.LATE),
    Action.DELIVER_TO_PICKUP_POINT: (
        Condition.ATTEMPT_FAILED,
        Condition.NOT_AT_HOME,
        Condition.LATE,
    ),
    Action.CANCEL_AND_REFUND: (Condition.LATE, Condition.ATTEMPT_FAILED, Condition.OUT_OF_STOCK),
    Action.SUBSTITUTES: (Condition.OUT_OF_STOCK,),
    Action.CONTACT: (Condition.ALWAYS,),
    Action.LANGUAGE: (Condition.ALWAYS,),
}


class StandingInstruction(models.Model):
    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="instructions")
    condition = models.CharField(max_length=20, choices=Condition.choices)
    # For "late": the number of hours.
    hours = models.PositiveSmallIntegerField(null=True, blank=True)
    action = models.CharField(max_length=30, choices=Action.choices)
    params = models.JSONField(default=dict, blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["customer", "active", "condition"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(condition="late") | Q(hours__isnull=False), name="late_has_hours"
            )
        ]

    def __str__(self) -> str:
        return f"{self.condition} -> {self.action}"


class InstructionRun(models.Model):
    """One carrying-out of an instruction for one trigger; unique, so never twice."""

    instruction = models.ForeignKey(
        StandingInstruction, on_delete=models.CASCADE, related_name="runs"
    )
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="+")
    trigger_key = models.CharField(max_length=100)
    at = models.DateTimeField(default=timezone.now)
    result = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["instruction", "order", "trigger_key"], name="instruction_once_per_trigger"
            )
        ]

    def __str__(self) -> str:
        return f"{self.instruction_id} on {self.trigger_key}"

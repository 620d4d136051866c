"""Feedback the customer gives, and what the business learns from it (R3, R9, R14, R15).

* ``Rating`` — one tap (1–5) on one touchpoint of a need or an order.
* ``SurveyResponse`` — a standard survey (CSAT, CES, NPS) in its standard wording.
* ``ImprovementItem`` — a root cause being fixed, with an owner and a status (the
  causes themselves, ``RootCause`` / ``NeedRootCause``, live in needs).
* ``ListeningSample`` — a real conversation a manager is asked to read (R14).
* ``Reward`` — appreciation, information, emotional or material (R9).
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from klantstuur.businesses.models import Business, StaffMember
from klantstuur.customers.models import Customer
from klantstuur.needs.models import JournalEvent, Need, RootCause


class Touchpoint(models.TextChoices):
    # Restaurant: a plate reached the table.
    SERVED = "served", _("Served")
    # Shop: the parcel arrived.
    DELIVERED = "delivered", _("Delivered")
    # The owner proposed a resolution.
    RESOLUTION_PROPOSED = "resolution_proposed", _("Resolution proposed")
    # The customer confirmed it was solved.
    RESOLUTION_CONFIRMED = "resolution_confirmed", _("Solved")
    # An answer from staff.
    ANSWER = "answer", _("Answer")
    # The order was taken.
    ORDER_TAKEN = "order_taken", _("Order taken")
    OTHER = "other", _("Other")


class Survey(models.TextChoices):
    # Customer satisfaction, 1 (very dissatisfied) – 5 (very satisfied).
    CSAT = "csat", "CSAT"
    # Customer effort, 1 (strongly disagree) – 7 (strongly agree) with "… made it easy".
    CES = "ces", "CES"
    # Net promoter, 0 (not at all likely) – 10 (extremely likely).
    NPS = "nps", "NPS"


SURVEY_SCALE: dict[str, tuple[int, int]] = {
    Survey.CSAT: (1, 5),
    Survey.CES: (1, 7),
    Survey.NPS: (0, 10),
}


class Rating(models.Model):
    """A one-tap rating of one touchpoint. One per customer, need, order and touchpoint."""

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="ratings")
    need = models.ForeignKey(Need, on_delete=models.CASCADE, related_name="ratings")
    # 0 when the rating is about the need itself rather than one of its orders
    # (a number, not a nullable key, so the unique constraint below holds).
    order_id = models.BigIntegerField(default=0)
    touchpoint = models.CharField(max_length=30, choices=Touchpoint.choices)
    rating = models.PositiveSmallIntegerField()
    comment = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    event = models.OneToOneField(JournalEvent, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(rating__gte=1, rating__lte=5), name="rating_1_5"),
            models.UniqueConstraint(
                fields=["need", "order_id", "touchpoint"], name="one_rating_per_touchpoint"
            ),
        ]
        indexes = [models.Index(fields=["business", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.touchpoint}: {self.rating}"


class SurveyResponse(models.Model):
    """A standard survey answer; the guard keeps one per customer per period."""

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="surveys")
    need = models.ForeignKey(
        Need, on_delete=models.CASCADE, null=True, blank=True, related_name="surveys"
    )
    survey = models.CharField(max_length=10, choices=Survey.choices)
    score = models.PositiveSmallIntegerField()
    comment = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["need", "survey"],
                condition=Q(need__isnull=False),
                name="one_survey_answer_per_need",
            ),
            models.CheckConstraint(condition=Q(score__lte=10), name="survey_score_at_most_10"),
        ]
        indexes = [
            models.Index(fields=["customer", "survey", "-created_at"]),
            models.Index(fields=["business", "survey", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.survey}: {self.score}"


class ImprovementStatus(models.TextChoices):
    # Seen, nobody is on it yet.
    PROPOSED = "proposed", _("Proposed")
    IN_PROGRESS = "in_progress", _("In progress")
    # Fixed: from now on the board shows recurrence before and after this moment.
    DONE = "done", _("Fixed")
    DROPPED = "dropped", _("Dropped")


class ImprovementItem(models.Model):
    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    root_cause = models.ForeignKey(RootCause, on_delete=models.PROTECT, related_name="items")
    title = models.CharField(max_length=200)
    owner = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        max_length=20, choices=ImprovementStatus.choices, default=ImprovementStatus.PROPOSED
    )
    created_at = models.DateTimeField(default=timezone.now)
    fixed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="done") | Q(fixed_at__isnull=False),
                name="improvement_done_has_time",
            )
        ]

    def __str__(self) -> str:
        return self.title


class SampleReason(models.TextChoices):
    LOWEST_RATING = "lowest_rating", _("Lowest rating")
    MOST_CONTACTS = "most_contacts", _("Most contacts")
    RANDOM = "random", _("Random")


class ListeningSample(models.Model):
    """A real conversation put in front of the managers on one day (R14)."""

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    need = models.ForeignKey(Need, on_delete=models.CASCADE, related_name="+")
    sampled_on = models.DateField()
    reason = models.CharField(max_length=20, choices=SampleReason.choices)
    listened_by = models.ForeignKey(
        StaffMember, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    listened_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["business", "sampled_on", "need"], name="one_sample_per_need_per_day"
            )
        ]
        indexes = [models.Index(fields=["business", "-sampled_on"])]

    def __str__(self) -> str:
        return f"{self.sampled_on} #{self.need_id}"


class RewardKind(models.TextChoices):
    # A thank-you, said and meant.
    APPRECIATION = "appreciation", _("Appreciation")
    # Something useful to know before others do.
    INFORMATION = "information", _("Information")
    # A personal gesture: remembering a birthday, a handwritten card.
    EMOTIONAL = "emotional", _("Emotional")
    # Something of value: a free pancake next visit, a voucher (within authority).
    MATERIAL = "material", _("Material")


class Reward(models.Model):
    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="rewards")
    need = models.ForeignKey(
        Need, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=RewardKind.choices)
    description = models.CharField(max_length=300)
    value_cents = models.PositiveIntegerField(default=0)
    given_by = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["customer", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.kind}: {self.description}"

"""Projections of the journal, kept up to date as events arrive (docs/metrics.md).

* ``NeedFacts`` — one row per need: its figures, recomputed from the need's own
  journal whenever an event about it commits (bounded: one need's events).
* ``DailyRollup`` — additive counters per business, local day and owner. The
  metrics endpoint sums at most (days × owners) of these: no scan of needs.
* ``ResponseRollup`` — first-answer times per business, local day, owner and
  hour of the week (is the 24/7 promise true at 3 a.m.?).
* ``PromiseOutcome`` — a promise observed kept or broken (never self-reported).
"""

from django.db import models
from django.utils import timezone

from klantstuur.businesses.models import Business
from klantstuur.needs.models import Need


class NeedFacts(models.Model):
    need = models.OneToOneField(Need, on_delete=models.CASCADE, primary_key=True, related_name="+")
    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    customer_id = models.BigIntegerField()
    # The current owner and their role (the "team"); 0 never happens for a need.
    owner_id = models.BigIntegerField()
    team = models.CharField(max_length=20)
    kind = models.CharField(max_length=20)
    status = models.CharField(max_length=20)
    created_at = models.DateTimeField()
    # The business-local calendar day of the first contact: the need's cohort.
    day = models.DateField()
    solved_at = models.DateTimeField(null=True, blank=True)
    resolution_minutes = models.PositiveIntegerField(null=True, blank=True)
    contacts = models.PositiveIntegerField(default=0)
    handoffs = models.PositiveIntegerField(default=0)
    reopens = models.PositiveIntegerField(default=0)
    reopened = models.BooleanField(default=False)
    # Solved with exactly one customer contact and no reopen.
    need_fcr = models.BooleanField(default=False)
    # Contacts that got an answer or were chased, and of those the ones answered
    # before the customer had to come back (ticket-level first-contact resolution).
    contacts_closed = models.PositiveIntegerField(default=0)
    contacts_first_time = models.PositiveIntegerField(default=0)
    promises = models.PositiveIntegerField(default=0)
    promises_kept = models.PositiveIntegerField(default=0)
    # Minutes the customer waited beyond what was promised (customer effort, R16).
    late_minutes = models.PositiveIntegerField(default=0)
    ratings_count = models.PositiveIntegerField(default=0)
    ratings_sum = models.PositiveIntegerField(default=0)
    rating_min = models.PositiveSmallIntegerField(null=True, blank=True)
    experience_index = models.FloatField(null=True, blank=True)
    # Effort points: extra contacts + handoffs + reopens + hours beyond promises.
    effort = models.FloatField(default=0)
    root_cause_id = models.BigIntegerField(null=True, blank=True)
    # [[local day ISO, hour of week 0..167, seconds to first answer or null], ...]
    responses = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["business", "day", "resolution_minutes"]),
            models.Index(fields=["business", "owner_id", "day"]),
            models.Index(fields=["business", "updated_at"]),
            # drill-down orderings: top-N by walking the index, no sort of the period
            models.Index(fields=["business", "-contacts", "-created_at"]),
            models.Index(fields=["business", "experience_index", "-created_at"]),
            models.Index(fields=["business", "-effort"]),
            models.Index(fields=["business", "root_cause_id", "day"]),
        ]

    def __str__(self) -> str:
        return f"facts #{self.need_id}"


ROLLUP_COUNTERS = (
    "needs",
    "contacts",
    "handoffs",
    "reopens",
    "reopened",
    "solved",
    "need_fcr",
    "resolution_minutes_sum",
    "contacts_closed",
    "contacts_first_time",
    "promises",
    "promises_kept",
    "late_minutes",
    "ratings_count",
    "ratings_sum",
    "ei_count",
    "ei_sum",
    "effort_sum",
    "csat_n",
    "csat_satisfied",
    "ces_n",
    "ces_sum",
    "nps_n",
    "nps_promoters",
    "nps_detractors",
)


class DailyRollup(models.Model):
    """Additive counters. Need figures count by the need's first-contact day;
    survey answers by the day they were given."""

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    owner_id = models.BigIntegerField()
    team = models.CharField(max_length=20)
    needs = models.IntegerField(default=0)
    contacts = models.IntegerField(default=0)
    handoffs = models.IntegerField(default=0)
    reopens = models.IntegerField(default=0)
    reopened = models.IntegerField(default=0)
    solved = models.IntegerField(default=0)
    need_fcr = models.IntegerField(default=0)
    resolution_minutes_sum = models.BigIntegerField(default=0)
    contacts_closed = models.IntegerField(default=0)
    contacts_first_time = models.IntegerField(default=0)
    promises = models.IntegerField(default=0)
    promises_kept = models.IntegerField(default=0)
    late_minutes = models.BigIntegerField(default=0)
    ratings_count = models.IntegerField(default=0)
    ratings_sum = models.IntegerField(default=0)
    ei_count = models.IntegerField(default=0)
    ei_sum = models.FloatField(default=0)
    effort_sum = models.FloatField(default=0)
    csat_n = models.IntegerField(default=0)
    csat_satisfied = models.IntegerField(default=0)
    ces_n = models.IntegerField(default=0)
    ces_sum = models.IntegerField(default=0)
    nps_n = models.IntegerField(default=0)
    nps_promoters = models.IntegerField(default=0)
    nps_detractors = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["business", "day", "owner_id"], name="rollup_key")
        ]
        indexes = [models.Index(fields=["business", "team", "day"])]

    def __str__(self) -> str:
        return f"{self.business_id} {self.day} {self.owner_id}"


class ResponseRollup(models.Model):
    """Kept per day ("d"), per calendar month ("m", ``day`` = the 1st) and per month
    for the whole business ("M", owner 0): a long period sums whole months plus the
    days at its edges."""

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    grain = models.CharField(max_length=1, default="d")
    day = models.DateField()
    owner_id = models.BigIntegerField()
    team = models.CharField(max_length=20)
    # Monday 00:00–01:00 is 0, Sunday 23:00–24:00 is 167 (business-local).
    hour_of_week = models.PositiveSmallIntegerField()
    contacts = models.IntegerField(default=0)
    answered = models.IntegerField(default=0)
    seconds_sum = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["business", "grain", "day", "owner_id", "hour_of_week"],
                name="response_rollup_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.business_id} {self.day} h{self.hour_of_week}"


class PromiseOutcome(models.Model):
    """A promise observed kept or broken: checkpoint (or answer) time against the promise."""

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    need = models.ForeignKey(Need, on_delete=models.CASCADE, related_name="+")
    # 0 for a promise on the need itself (no order).
    order_id = models.BigIntegerField(default=0)
    due_at = models.DateTimeField()
    fulfilled_at = models.DateTimeField(null=True, blank=True)
    kept = models.BooleanField()
    late_minutes = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["need", "order_id"], name="one_outcome_per_promise")
        ]

    def __str__(self) -> str:
        return f"{self.need_id}/{self.order_id}: {'kept' if self.kept else 'broken'}"

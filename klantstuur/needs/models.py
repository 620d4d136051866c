"""Needs, their owners, handoffs, remedies, root causes and the journal (DESIGN.md §2)."""

from typing import Any

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from klantstuur.businesses.models import Business, StaffMember
from klantstuur.customers.models import Customer


class NeedKind(models.TextChoices):
    QUESTION = "question", _("Question")
    COMPLAINT = "complaint", _("Complaint")
    ORDER = "order", _("Order")
    RETURN = "return", _("Return")
    OTHER = "other", _("Other")


class NeedStatus(models.TextChoices):
    # Someone is working on it; the owner acts next.
    OPEN = "open", _("Open")
    # The owner proposed a resolution; the customer confirms or reopens.
    AWAITING_CUSTOMER = "awaiting_customer", _("Awaiting your confirmation")
    # The customer confirmed (or the announced quiet period passed).
    SOLVED = "solved", _("Solved")
    # The customer withdrew it.
    CANCELLED = "cancelled", _("Cancelled")


# The only status changes there are, and the step that makes each one.
TRANSITIONS: dict[tuple[str, str], str] = {
    (NeedStatus.OPEN, NeedStatus.AWAITING_CUSTOMER): "propose",
    (NeedStatus.AWAITING_CUSTOMER, NeedStatus.SOLVED): "confirm",
    (NeedStatus.AWAITING_CUSTOMER, NeedStatus.OPEN): "reopen",
    (NeedStatus.SOLVED, NeedStatus.OPEN): "reopen",
    (NeedStatus.OPEN, NeedStatus.CANCELLED): "cancel",
    (NeedStatus.AWAITING_CUSTOMER, NeedStatus.CANCELLED): "cancel",
}

ACTIVE_STATUSES = (NeedStatus.OPEN, NeedStatus.AWAITING_CUSTOMER)


def can_transition(old: str, new: str) -> bool:
    return (old, new) in TRANSITIONS


class Need(models.Model):
    """What a customer wants done or solved; the unit of work and of measurement."""

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="needs")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="needs")
    kind = models.CharField(max_length=20, choices=NeedKind.choices)
    summary = models.CharField(max_length=300)
    # What the customer is trying to achieve or avoid (R5).
    goal = models.TextField(blank=True, default="")
    status = models.CharField(max_length=20, choices=NeedStatus.choices, default=NeedStatus.OPEN)
    # Exactly one owner at every moment: NOT NULL, and only an accepted handoff changes it.
    owner = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="owned_needs")

    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    # Set when the customer writes and the owner has not answered yet.
    waiting_since = models.DateTimeField(null=True, blank=True)

    # What the business committed to (a time, a window, a place).
    promise_due_at = models.DateTimeField(null=True, blank=True)
    promise_text = models.CharField(max_length=300, blank=True, default="")

    resolution_summary = models.TextField(blank=True, default="")
    proposed_at = models.DateTimeField(null=True, blank=True)
    autoconfirm_at = models.DateTimeField(null=True, blank=True)
    solved_at = models.DateTimeField(null=True, blank=True)

    # The need's own figures, kept as events arrive (F() updates).
    contacts = models.PositiveIntegerField(default=0)
    handoffs = models.PositiveIntegerField(default=0)
    reopens = models.PositiveIntegerField(default=0)
    experience_index = models.FloatField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=NeedStatus.values), name="need_status_known"
            ),
            models.CheckConstraint(
                condition=~Q(status=NeedStatus.AWAITING_CUSTOMER)
                | Q(proposed_at__isnull=False, autoconfirm_at__isnull=False),
                name="need_awaiting_has_proposal",
            ),
            models.CheckConstraint(
                condition=~Q(status=NeedStatus.SOLVED) | Q(solved_at__isnull=False),
                name="need_solved_has_time",
            ),
        ]
        indexes = [
            models.Index(fields=["business", "status", "-created_at"]),
            models.Index(fields=["business", "-created_at"]),
            models.Index(fields=["owner", "status"]),
            # The customer's latest need (continuity owner, newest first then highest id)
            # is the first entry of this index, however many needs they have.
            models.Index(fields=["customer", "-created_at", "-id"], name="need_customer_latest"),
            models.Index(fields=["status", "autoconfirm_at"]),
            # owner= lists and their counts read the index in order.
            models.Index(
                fields=["owner", "business", "-created_at", "-id"], name="need_owner_list"
            ),
            # "Mijn klanten": the active needs of one owner in the selector's exact order.
            models.Index(
                fields=["owner", "waiting_since", "promise_due_at", "-status", "created_at", "id"],
                condition=Q(status__in=["open", "awaiting_customer"]),
                name="need_active_by_owner",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.summary}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


class HandoffStatus(models.TextChoices):
    OFFERED = "offered", _("Offered")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    # Nobody answered in time; the need stayed with its owner.
    EXPIRED = "expired", _("Expired")
    # The need was closed before the colleague answered.
    WITHDRAWN = "withdrawn", _("Withdrawn")


# The only status changes an offer has, and the step that makes each one. Every answer
# is final: an offer is answered once.
HANDOFF_TRANSITIONS: dict[tuple[str, str], str] = {
    (HandoffStatus.OFFERED, HandoffStatus.ACCEPTED): "accept",
    (HandoffStatus.OFFERED, HandoffStatus.DECLINED): "decline",
    (HandoffStatus.OFFERED, HandoffStatus.EXPIRED): "expire",
    (HandoffStatus.OFFERED, HandoffStatus.WITHDRAWN): "withdraw",
}

# Waiting for an answer: the statuses an offer can still leave. (The database's
# one-open-offer constraint below spells the same set out: status = "offered".)
HANDOFF_OPEN_STATUSES = tuple(sorted({old for old, _new in HANDOFF_TRANSITIONS}))


def handoff_can_transition(old: str, new: str) -> bool:
    return (old, new) in HANDOFF_TRANSITIONS


def handoff_statuses_before(new: str) -> tuple[str, ...]:
    """The statuses an offer can be in for ``new`` to happen to it."""
    return tuple(sorted(old for old, to in HANDOFF_TRANSITIONS if to == new))


class Handoff(models.Model):
    """An offer of ownership. Until it is accepted, the old owner owns the need."""

    need = models.ForeignKey(Need, on_delete=models.CASCADE, related_name="handoff_offers")
    from_staff = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="+")
    to_staff = models.ForeignKey(
        StaffMember, on_delete=models.PROTECT, related_name="handoffs_offered"
    )
    reason = models.TextField()
    status = models.CharField(
        max_length=20, choices=HandoffStatus.choices, default=HandoffStatus.OFFERED
    )
    created_at = models.DateTimeField(default=timezone.now)
    remind_at = models.DateTimeField()
    reminded_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    answer_reason = models.TextField(blank=True, default="")

    class Meta:
        constraints = [
            # One open offer per need at a time: two can never race to ownership.
            models.UniqueConstraint(
                fields=["need"],
                condition=Q(status="offered"),
                name="one_open_handoff_per_need",
            ),
            models.CheckConstraint(
                condition=~Q(from_staff=models.F("to_staff")), name="handoff_to_someone_else"
            ),
        ]
        indexes = [
            models.Index(fields=["to_staff", "status"]),
            models.Index(fields=["status", "expires_at"]),
            models.Index(fields=["status", "remind_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.from_staff_id} -> {self.to_staff_id} ({self.status})"


class RemedyKind(models.TextChoices):
    REFUND = "refund", _("Refund")
    CREDIT = "credit", _("Credit")
    REPLACEMENT = "replacement", _("Replacement")
    REDELIVERY = "redelivery", _("Redelivery")
    GOODWILL = "goodwill", _("Goodwill gesture")


class Remedy(models.Model):
    """Granted on the spot, within the granter's authority (R10). No approval queue."""

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    need = models.ForeignKey(Need, on_delete=models.CASCADE, related_name="remedies")
    kind = models.CharField(max_length=20, choices=RemedyKind.choices)
    amount_cents = models.PositiveIntegerField()
    note = models.TextField(blank=True, default="")
    granted_by = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "remedies"

    def __str__(self) -> str:
        return f"{self.kind} {self.amount_cents}"


# The business's list of why complaints happen, and the cause chosen for one when its
# resolution is proposed (R15). They live beside the need because proposing a
# resolution checks them; feedback's improvement board builds on them. The tables keep
# the names they were created with (they began in feedback).
class RootCause(models.Model):
    """One entry of the business's list of why complaints happen."""

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="root_causes")
    name = models.CharField(max_length=120)
    active = models.BooleanField(default=True)

    class Meta:
        db_table = "feedback_rootcause"
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["business", "name"], name="root_cause_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class NeedRootCause(models.Model):
    """The cause chosen for one complaint, when its resolution was proposed."""

    need = models.OneToOneField(Need, on_delete=models.CASCADE, primary_key=True, related_name="+")
    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    root_cause = models.ForeignKey(RootCause, on_delete=models.PROTECT, related_name="needs")
    set_by = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="+")
    set_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "feedback_needrootcause"
        indexes = [
            models.Index(fields=["root_cause", "set_at"], name="feedback_ne_root_ca_26c340_idx")
        ]

    def __str__(self) -> str:
        return f"{self.need_id}: {self.root_cause_id}"


class EventKind(models.TextChoices):
    NEED_OPENED = "need_opened", _("Need opened")
    CUSTOMER_MESSAGE = "customer_message", _("Message from the customer")
    STAFF_MESSAGE = "staff_message", _("Message to the customer")
    INTERNAL_NOTE = "internal_note", _("Internal note")
    HANDOFF_OFFERED = "handoff_offered", _("Handoff offered")
    HANDOFF_ACCEPTED = "handoff_accepted", _("New owner")
    HANDOFF_DECLINED = "handoff_declined", _("Handoff declined")
    HANDOFF_REMINDED = "handoff_reminded", _("Handoff reminder")
    HANDOFF_EXPIRED = "handoff_expired", _("Handoff expired")
    REMEDY_GRANTED = "remedy_granted", _("Remedy granted")
    RESOLUTION_PROPOSED = "resolution_proposed", _("Resolution proposed")
    RESOLUTION_CONFIRMED = "resolution_confirmed", _("Solved")
    NEED_REOPENED = "need_reopened", _("Reopened")
    NEED_CANCELLED = "need_cancelled", _("Cancelled")
    CUSTOMER_UPDATED = "customer_updated", _("Details corrected")
    # orders, floor and delivery
    ORDER_PLACED = "order_placed", _("Order placed")
    CHECKPOINT = "checkpoint", _("Checkpoint")
    PARTY_SEATED = "party_seated", _("Seated")
    PARTY_LEFT = "party_left", _("Left")
    HOST_CALLED = "host_called", _("Guest asks for the host")
    ALERT = "alert", _("Alert")
    BILL_REQUESTED = "bill_requested", _("Bill requested")
    # issue #13: the bill and the close-out
    PAYMENT_RECEIVED = "payment_received", _("Payment received")
    LINES_VOIDED = "lines_voided", _("Taken off the bill")
    DELIVERY_CHANGED = "delivery_changed", _("Delivery changed")
    INSTRUCTION_CARRIED_OUT = "instruction_carried_out", _("Done for you")
    INSTRUCTION_CHANGED = "instruction_changed", _("Standing instruction changed")
    RETURN_STARTED = "return_started", _("Return started")
    RETURN_ARRIVED = "return_arrived", _("Return arrived")
    ERASURE_REQUESTED = "erasure_requested", _("Erasure requested")
    ERASURE_WITHDRAWN = "erasure_withdrawn", _("Erasure withdrawn")
    CUSTOMER_ERASED = "customer_erased", _("Personal data erased")
    # feedback and measurement
    FEEDBACK_GIVEN = "feedback_given", _("Feedback")
    REWARD_GIVEN = "reward_given", _("Reward")
    ROOT_CAUSE_SET = "root_cause_set", _("Root cause")
    # customers among themselves (community, issue #16)
    NEED_SHARED = "need_shared", _("Shared with other customers")
    NEED_UNSHARED = "need_unshared", _("No longer shared")
    PEER_ANSWER = "peer_answer", _("Answer from a fellow customer")
    PEER_ANSWER_ENDORSED = "peer_answer_endorsed", _("Answer confirmed")
    PEER_ANSWER_CORRECTED = "peer_answer_corrected", _("Answer corrected")
    PEER_ANSWER_HELPED = "peer_answer_helped", _("This answer helped")
    PEER_ANSWER_HIDDEN = "peer_answer_hidden", _("Answer hidden")
    PEER_ANSWER_REPORTED = "peer_answer_reported", _("Answer reported")
    PEER_ANSWER_WITHDRAWN = "peer_answer_withdrawn", _("Answer withdrawn")
    NEIGHBOUR_OFFERED = "neighbour_offered", _("Accepts parcels for neighbours")
    NEIGHBOUR_ASKED = "neighbour_asked", _("Neighbour asked to accept a parcel")
    NEIGHBOUR_ANSWERED = "neighbour_answered", _("Neighbour answered")


# Never shown to a customer, whatever the event's flag says.
INTERNAL_KINDS = frozenset({EventKind.INTERNAL_NOTE})

_K = EventKind
# Whether the customer's timeline shows an event of this kind: what happened *to the
# customer* (True), or staff's own bookkeeping and coordination (False). Every kind is
# decided here, one by one (tests/needs/test_customer_timeline.py checks there is no gap).
CUSTOMER_SEES: dict[str, bool] = {
    _K.NEED_OPENED: True,
    _K.CUSTOMER_MESSAGE: True,
    _K.STAFF_MESSAGE: True,
    _K.INTERNAL_NOTE: False,
    # Staff coordinating among themselves; the accepted handoff (a new owner) is shown.
    _K.HANDOFF_OFFERED: False,
    _K.HANDOFF_ACCEPTED: True,
    _K.HANDOFF_DECLINED: False,
    _K.HANDOFF_REMINDED: False,
    _K.HANDOFF_EXPIRED: False,
    # The note the colleague types is shown word for word (the remedy form says so).
    _K.REMEDY_GRANTED: True,
    _K.RESOLUTION_PROPOSED: True,
    _K.RESOLUTION_CONFIRMED: True,
    _K.NEED_REOPENED: True,
    _K.NEED_CANCELLED: True,
    _K.CUSTOMER_UPDATED: True,
    _K.ORDER_PLACED: True,
    _K.CHECKPOINT: True,
    _K.PARTY_SEATED: True,
    _K.PARTY_LEFT: True,
    _K.HOST_CALLED: True,
    _K.ALERT: True,
    _K.BILL_REQUESTED: True,
    # The guest's bill (#13): what was paid, and which lines were taken off it and why.
    _K.PAYMENT_RECEIVED: True,
    _K.LINES_VOIDED: True,
    _K.DELIVERY_CHANGED: True,
    _K.INSTRUCTION_CARRIED_OUT: True,
    _K.INSTRUCTION_CHANGED: True,
    _K.RETURN_STARTED: True,
    _K.RETURN_ARRIVED: True,
    _K.ERASURE_REQUESTED: True,
    _K.ERASURE_WITHDRAWN: True,
    _K.CUSTOMER_ERASED: True,
    # The customer's own rating is measurement, not something that happened to them.
    _K.FEEDBACK_GIVEN: False,
    _K.REWARD_GIVEN: True,
    # The root cause is staff's analysis ("Oorzaak"), not the customer's business.
    _K.ROOT_CAUSE_SET: False,
    # Customers among themselves (#16): what peers and the owner said on a shared question
    # is the asker's; a report of an answer is for the staff who moderate it.
    _K.NEED_SHARED: True,
    _K.NEED_UNSHARED: True,
    _K.PEER_ANSWER: True,
    _K.PEER_ANSWER_ENDORSED: True,
    _K.PEER_ANSWER_CORRECTED: True,
    _K.PEER_ANSWER_HELPED: True,
    _K.PEER_ANSWER_HIDDEN: True,
    _K.PEER_ANSWER_REPORTED: False,
    _K.PEER_ANSWER_WITHDRAWN: True,
    _K.NEIGHBOUR_OFFERED: True,
    _K.NEIGHBOUR_ASKED: True,
    _K.NEIGHBOUR_ANSWERED: True,
}
# Kept from the customer whatever an (older) event's stored flag says.
STAFF_ONLY_KINDS = frozenset(k for k, sees in CUSTOMER_SEES.items() if not sees) - INTERNAL_KINDS


class JournalEventQuerySet(models.QuerySet["JournalEvent"]):
    def visible_to_customer(self) -> "JournalEventQuerySet":
        return self.filter(visible_to_customer=True).exclude(
            kind__in=INTERNAL_KINDS | STAFF_ONLY_KINDS
        )

    # The journal is append-only: bulk changes are refused like a second save().
    # (Deleting a business, customer or need still cascades to its events.)
    def update(self, **kwargs: Any) -> int:
        raise RuntimeError("The journal is append-only.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise RuntimeError("The journal is append-only.")

    def scrub_data(self, data: dict[str, Any]) -> int:
        """The one change the journal allows: erasing personal data (privacy.erasure)."""
        return super().update(data=data)


class JournalEvent(models.Model):
    """One entry of the append-only journal: the timeline staff and customer read.

    Written by services in the same transaction as the change it records.
    """

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="journal")
    # Null for events about the customer rather than one need (a corrected address).
    need = models.ForeignKey(
        Need, on_delete=models.CASCADE, null=True, blank=True, related_name="journal"
    )
    at = models.DateTimeField(default=timezone.now)
    # No `choices`: every app adds its own kinds to EventKind without a migration.
    kind = models.CharField(max_length=40)
    actor_staff = models.ForeignKey(
        StaffMember, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor_customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    visible_to_customer = models.BooleanField(default=True)
    data = models.JSONField(default=dict, blank=True)
    # The writing transaction's id on PostgreSQL (the column's default, set by migration
    # 0004), 0 on SQLite: the journal is read as a queue in (tx, id) order (ADR 0010).
    tx = models.BigIntegerField(db_default=0, editable=False)

    objects = JournalEventQuerySet.as_manager()

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="internal_note") | Q(visible_to_customer=False),
                name="internal_note_is_hidden",
            ),
            models.CheckConstraint(
                condition=Q(actor_staff__isnull=True) | Q(actor_customer__isnull=True),
                name="journal_one_actor",
            ),
        ]
        indexes = [
            models.Index(fields=["need", "at", "id"]),
            models.Index(fields=["customer", "at"]),
            models.Index(fields=["business", "kind", "at"]),
            models.Index(fields=["tx", "id"], name="journal_queue_order"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} @ {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            raise RuntimeError("The journal is append-only.")
        super().save(*args, **kwargs)

    def get_kind_display(self) -> str:
        try:
            return str(EventKind(self.kind).label)
        except ValueError:
            return self.kind

    @property
    def actor_name(self) -> str:
        if self.kind == EventKind.PEER_ANSWER:
            # A fellow customer: shown by the name they chose for peers, never more.
            return str(self.data.get("display_name") or _("A fellow customer"))
        if self.actor_staff_id:
            return self.actor_staff.name  # type: ignore[union-attr]
        if self.actor_customer_id:
            return self.actor_customer.name  # type: ignore[union-attr]
        return "Klantstuur"

    @property
    def actor_kind(self) -> str:
        if self.kind == EventKind.PEER_ANSWER:
            return "fellow_customer"
        if self.actor_staff_id:
            return "staff"
        if self.actor_customer_id:
            return "customer"
        return "system"


class ReactionCursor(models.Model):
    """How far one deferred reaction has read the journal, in one partition of it
    (needs/consumers.py): the position of the last event it handled."""

    name = models.CharField(max_length=60)
    partition = models.PositiveSmallIntegerField(default=0)
    partitions = models.PositiveSmallIntegerField(default=1)
    tx = models.BigIntegerField(default=0)
    event_id = models.BigIntegerField(default=0)
    # Journal events read past so far (of any partition or kind): the reaction's throughput.
    handled = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["name", "partition"], name="one_cursor_per_partition")
        ]

    def __str__(self) -> str:
        return f"{self.name}/{self.partition} at ({self.tx}, {self.event_id})"


class NotificationStatus(models.TextChoices):
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Notification(models.Model):
    """The e-mail one journal event caused to one audience: sent, or failed and retried
    with back-off (needs/notifications.py). One per event and audience: the record that
    makes sending at least once, and never twice once it is written."""

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    event = models.ForeignKey(JournalEvent, on_delete=models.CASCADE, related_name="+")
    audience = models.CharField(max_length=20)
    status = models.CharField(max_length=10, choices=NotificationStatus.choices)
    attempts = models.PositiveSmallIntegerField(default=1)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event", "audience"], name="one_mail_per_audience")
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="notification_retry_due",
                condition=Q(status="failed", next_attempt_at__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return f"{self.event_id}/{self.audience}: {self.status}"


class ReplyAddress(models.Model):
    """The address one customer answers one need's e-mails at: ``<slug>+<token>@<domain>``
    (needs/mailout.py). The token is random, unguessable and unique; mail to it reaches
    the need only from this customer's own address (mail.inbound)."""

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    need = models.ForeignKey(Need, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    token = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["need", "customer"], name="one_reply_address")
        ]

    def __str__(self) -> str:
        return f"need {self.need_id} / customer {self.customer_id}"

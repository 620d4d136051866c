"""Customers among themselves (R17): a question shared with the business's other
customers, the answers fellow customers give, and what the owner and the asker make of
them (docs/community.md).

* ``Member`` — how a customer appears to peers: a first name or a chosen display name,
  never an address, an e-mail or a phone number.
* ``SharedQuestion`` — one need the asker chose to show to the other customers.
* ``PeerAnswer`` — a fellow customer's answer. It is no contact: the need keeps its one
  owner, who endorses ("klopt") or corrects it; the asker marks the one that helped.
* ``AnswerReport`` — anyone may report an answer; staff hide it.
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from klantstuur.businesses.models import Business, StaffMember
from klantstuur.customers.models import Customer
from klantstuur.needs.models import JournalEvent, Need


class Member(models.Model):
    """A customer who shared or answered: the name peers see."""

    customer = models.OneToOneField(
        Customer, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    display_name = models.CharField(max_length=40)
    joined_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.display_name


class SharedQuestion(models.Model):
    """A need its customer shows to the business's other customers (opt-in per need)."""

    need = models.OneToOneField(Need, on_delete=models.CASCADE, primary_key=True, related_name="+")
    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    asker = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    # The name peers see, as it was when shared (a later change of name shows on new shares).
    display_name = models.CharField(max_length=40)
    # What peers read: the need's summary with contact details taken out.
    summary = models.CharField(max_length=300)
    shared_at = models.DateTimeField(default=timezone.now)
    # Null while shared; un-sharing keeps the row (and its answers) for the asker.
    unshared_at = models.DateTimeField(null=True, blank=True)
    # Visible answers, kept by the services with F() (the list shows it without a count).
    answers = models.PositiveIntegerField(default=0)
    # The need is still open (or awaiting its customer): kept by a deferred reaction
    # (``openness``) so the list's index holds open questions only. The list still checks
    # the need's status itself; this only narrows what it walks.
    open = models.BooleanField(default=True)

    class Meta:
        indexes = [
            # The community list: the business's shared questions, newest first.
            models.Index(
                fields=["business", "-shared_at", "-need"],
                condition=Q(unshared_at__isnull=True, open=True),
                name="shared_question_open_list",
            ),
            models.Index(fields=["asker"], name="shared_question_asker"),
        ]

    def __str__(self) -> str:
        return self.summary


class PeerAnswer(models.Model):
    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    need = models.ForeignKey(Need, on_delete=models.CASCADE, related_name="+")
    author = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    display_name = models.CharField(max_length=40)
    # Contact details taken out (``redact``).
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    # The owner's word on it: "klopt" (shown to all), or a correction beside it.
    endorsed_at = models.DateTimeField(null=True, blank=True)
    endorsed_by = models.ForeignKey(
        StaffMember, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    correction = models.TextField(blank=True, default="")
    corrected_by = models.ForeignKey(
        StaffMember, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The asker marked it as the one that helped (one per need).
    helped_at = models.DateTimeField(null=True, blank=True)
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_by = models.ForeignKey(
        StaffMember, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reports = models.PositiveIntegerField(default=0)
    # The author left the community (or was erased): the text went with them.
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    # The journal event that put it on the asker's timeline (scrubbed when the author leaves).
    event = models.OneToOneField(
        JournalEvent, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["need"],
                condition=Q(helped_at__isnull=False),
                name="one_helping_answer_per_need",
            ),
            models.CheckConstraint(
                condition=Q(helped_at__isnull=True) | Q(hidden_at__isnull=True),
                name="helping_answer_not_hidden",
            ),
            models.CheckConstraint(
                condition=Q(withdrawn_at__isnull=True) | Q(body=""),
                name="withdrawn_answer_is_empty",
            ),
        ]
        indexes = [
            models.Index(fields=["need", "created_at", "id"], name="peer_answer_of_need"),
            # Rate limits and leaving: one author's answers, newest first.
            models.Index(fields=["author", "-created_at"], name="peer_answer_author"),
            # The figures: needs solved with a peer's help.
            models.Index(
                fields=["business", "need"],
                condition=Q(helped_at__isnull=False),
                name="peer_answer_helped",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.display_name}: {self.body[:40]}"


class AnswerReport(models.Model):
    answer = models.ForeignKey(PeerAnswer, on_delete=models.CASCADE, related_name="+")
    reporter = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=300, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["answer", "reporter"], name="one_report_per_reporter")
        ]
        indexes = [models.Index(fields=["reporter", "-created_at"], name="answer_report_reporter")]

    def __str__(self) -> str:
        return f"report of {self.answer_id}"


# --- neighbours who accept parcels ------------------------------------------------------


class ParcelNeighbour(models.Model):
    """A customer who offers to accept parcels for neighbours (opt-in).

    What another customer sees of them: first name, house number and the hours they are
    home — never their street, e-mail or phone. The postcode only matches neighbours."""

    customer = models.OneToOneField(
        Customer, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    display_name = models.CharField(max_length=40)
    # Normalised: four digits and two capitals, no space ("3512JK").
    postcode = models.CharField(max_length=6)
    house_number = models.CharField(max_length=10)
    hours_at_home = models.CharField(max_length=100)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(
                fields=["business", "postcode"],
                condition=Q(active=True),
                name="parcel_neighbour_near",
            )
        ]

    def __str__(self) -> str:
        return f"{self.postcode} {self.house_number}"


class NeighbourRequestStatus(models.TextChoices):
    # The neighbour has been asked and has not answered yet.
    ASKED = "asked", _("Asked")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    # The asker took it back, or the delivery went elsewhere first.
    WITHDRAWN = "withdrawn", _("Withdrawn")


# The only status changes a request has, and the step that makes each one.
NEIGHBOUR_TRANSITIONS: dict[tuple[str, str], str] = {
    (NeighbourRequestStatus.ASKED, NeighbourRequestStatus.ACCEPTED): "accept",
    (NeighbourRequestStatus.ASKED, NeighbourRequestStatus.DECLINED): "decline",
    (NeighbourRequestStatus.ASKED, NeighbourRequestStatus.WITHDRAWN): "withdraw",
}


class NeighbourRequest(models.Model):
    """A customer asks a participating neighbour to accept one parcel."""

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="+")
    asker = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    neighbour = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    # What the neighbour needs to bring the parcel over: the asker's house number.
    asker_house_number = models.CharField(max_length=10)
    asker_name = models.CharField(max_length=40)
    status = models.CharField(
        max_length=12,
        choices=NeighbourRequestStatus.choices,
        default=NeighbourRequestStatus.ASKED,
    )
    created_at = models.DateTimeField(default=timezone.now)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["order"], condition=Q(status="asked"), name="one_open_neighbour_request"
            ),
            models.CheckConstraint(
                condition=~Q(asker=models.F("neighbour")), name="neighbour_is_someone_else"
            ),
        ]
        indexes = [
            models.Index(fields=["neighbour", "-created_at"], name="neighbour_request_inbox"),
            models.Index(fields=["asker", "-created_at"], name="neighbour_request_mine"),
        ]

    def __str__(self) -> str:
        return f"{self.order_id} -> {self.neighbour_id} ({self.status})"

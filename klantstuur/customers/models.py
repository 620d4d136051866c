"""Customers: one record per person or company per business (R11)."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower

from klantstuur.businesses.models import Business


class Customer(models.Model):
    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="customers")
    # Created when the customer first logs in or gets a token.
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="customer",
    )
    name = models.CharField(max_length=200)
    email = models.EmailField(null=True, blank=True)
    phone = models.CharField(max_length=40, blank=True, default="")
    language = models.CharField(max_length=8, default="nl")
    # Communication preferences (R12): e-mail on top of the portal, or the portal only.
    notify_by_email = models.BooleanField(default=True)
    # Erasure (the customer's right): asked for, and carried out once obligations end.
    erasure_requested_at = models.DateTimeField(null=True, blank=True)
    erased_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                "business", Lower("email"), name="customer_email_unique_per_business"
            ),
        ]
        indexes = [models.Index(fields=["business", "name"])]

    def __str__(self) -> str:
        return self.name

"""What a business sells, and (for a kitchen) which station makes it."""

from django.db import models
from django.db.models import Q

from klantstuur.businesses.models import Business, StaffMember


class Station(models.Model):
    """A place that makes things: the pancake griddle, the bar, the ice-cream counter."""

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="stations")
    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=100)
    # How many portions it makes at once (griddle plates, bar staff): divides the queue.
    capacity = models.PositiveSmallIntegerField(default=1)
    # Who works here: they may bump its lines (managers may bump any line).
    members = models.ManyToManyField(StaffMember, blank=True, related_name="stations")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["business", "code"], name="station_code_per_business")
        ]

    def __str__(self) -> str:
        return self.name


class CatalogItem(models.Model):
    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="catalog")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    sku = models.CharField(max_length=64, blank=True, default="")
    price_cents = models.PositiveIntegerField()
    # Menu items carry the station that makes them; shop items have none.
    station = models.ForeignKey(
        Station, on_delete=models.PROTECT, null=True, blank=True, related_name="items"
    )
    # Minutes of work at the station for one portion (drives the promised time).
    prep_minutes = models.PositiveSmallIntegerField(default=0)
    # Course for the restaurant: drinks go now, mains wait to be fired.
    course = models.CharField(max_length=20, blank=True, default="")
    # Units in stock for the shop (null: not tracked).
    stock = models.IntegerField(null=True, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        indexes = [models.Index(fields=["business", "active", "name"])]
        constraints = [
            models.UniqueConstraint(
                fields=["business", "sku"], condition=~Q(sku=""), name="catalog_sku_per_business"
            )
        ]

    def __str__(self) -> str:
        return self.name

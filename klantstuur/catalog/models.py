"""What a business sells, and (for a kitchen) which station makes it."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

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


class Course(models.TextChoices):
    """The courses of a meal, in the order they are served. Drinks go at once; a later
    course waits (``held``) until it is fired (issue #13)."""

    DRINKS = "drinks", _("Drinks")
    STARTER = "starter", _("Starter")
    MAIN = "main", _("Main course")
    DESSERT = "dessert", _("Dessert")


# The order of the courses; drinks (and items without a course) are never held.
COURSE_RANK = {Course.DRINKS: 0, Course.STARTER: 1, Course.MAIN: 2, Course.DESSERT: 3}


def course_rank(code: str) -> int:
    """0 for drinks and for an unknown or empty course: those go at once."""
    return COURSE_RANK.get(code, 0)  # type: ignore[call-overload]


def course_label(code: str) -> str:
    return str(Course(code).label) if code in Course.values else code


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
    course = models.CharField(max_length=20, blank=True, default="", choices=Course.choices)
    # Choices a guest or host may add to a line, comma-separated ("zonder suiker, extra stroop").
    modifiers = models.CharField(max_length=300, blank=True, default="")
    # Allergens in it, comma-separated ("gluten, lactose"): shown on the board and at the pass.
    allergens = models.CharField(max_length=200, blank=True, default="")
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


def split_list(text: str) -> list[str]:
    """ "zonder suiker, extra stroop" -> ["zonder suiker", "extra stroop"]."""
    return [part.strip() for part in (text or "").split(",") if part.strip()]

from dataclasses import dataclass, field

from klantstuur.businesses.models import Business, StaffMember
from klantstuur.customers.models import Customer


@dataclass
class DemoContext:
    """What the core demo made, for the stories that build on it."""

    businesses: dict[str, Business] = field(default_factory=dict)  # by slug
    staff: dict[str, StaffMember] = field(default_factory=dict)  # by e-mail
    customers: dict[tuple[str, str], Customer] = field(default_factory=dict)  # (slug, e-mail)

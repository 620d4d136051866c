"""The menu as a grid, for the host's order page and the guest's phone alike (issue #13):
by course, each item with its price, its modifiers and its allergens; one panel per seat
of the party (plus "shared"), a quantity stepper per item.

The posted grid is read back by ``lines_from_grid``: ``q-<seat>-<item>`` (seat 0 is
shared) a quantity, ``m-<seat>-<item>`` the modifiers ticked, ``c-<seat>-<item>`` a course
other than the item's, ``note-<seat>`` and ``allergies-<seat>`` for the seat's lines.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from klantstuur.catalog.models import COURSE_RANK, CatalogItem, Course, course_label, split_list
from klantstuur.orders.selectors import catalog_of_business
from klantstuur.orders.services import LineSpec

SHARED = 0
MAX_QUANTITY = 99


@dataclass
class MenuItem:
    item: CatalogItem
    modifiers: list[str]
    allergens: list[str]


@dataclass
class MenuSection:
    course: str
    label: str
    items: list[MenuItem] = field(default_factory=list)


def menu_grid(*, business_id: int) -> list[MenuSection]:
    """What the stations make, by course in the order they are served (one query)."""
    sections: dict[str, MenuSection] = {}
    items = catalog_of_business(business_id=business_id).filter(station__isnull=False)
    for item in items:
        section = sections.get(item.course)
        if section is None:
            label = course_label(item.course) if item.course else ""
            section = sections[item.course] = MenuSection(course=item.course, label=label)
        section.items.append(
            MenuItem(
                item=item,
                modifiers=split_list(item.modifiers),
                allergens=split_list(item.allergens),
            )
        )
    return sorted(
        sections.values(),
        key=lambda s: (COURSE_RANK.get(s.course, 9), s.label),  # type: ignore[call-overload]
    )


class _Posted(Protocol):
    def getlist(self, key: str) -> list[str]: ...


def _number(raw: str) -> int | None:
    raw = (raw or "").strip()
    return int(raw) if raw.isascii() and raw.isdecimal() and len(raw) < 4 else None


def lines_from_grid(post: Mapping[str, Any], *, seats: int) -> list[LineSpec]:
    """The lines of a posted grid, seat by seat; an unreadable quantity is a quantity the
    service refuses (0), not one silently dropped."""
    specs = []
    getlist = post.getlist if hasattr(post, "getlist") else (lambda k: [post.get(k, "")])
    for key in sorted(post.keys()):
        if not key.startswith("q-"):
            continue
        parts = key.split("-")
        if len(parts) != 3:
            continue
        seat = _number(parts[1])
        if seat is None or seat > seats or not (parts[2].isdecimal() and len(parts[2]) < 12):
            continue
        item_id = int(parts[2])
        raw = (post.get(key) or "").strip()
        if raw in ("", "0"):
            continue
        quantity = _number(raw)
        course = (post.get(f"c-{seat}-{item_id}") or "").strip()
        specs.append(
            LineSpec(
                item_id=item_id,
                quantity=quantity if quantity is not None else 0,
                seat=seat or None,
                note=(post.get(f"note-{seat}") or "")[:500],
                allergies=(post.get(f"allergies-{seat}") or "")[:300],
                modifiers=", ".join(getlist(f"m-{seat}-{item_id}")[:20])[:300],
                course=course if course in Course.values else None,
            )
        )
    return specs


def seat_tabs(seats: int) -> list[tuple[int, str]]:
    """A tab per seat of the party, then "shared" (seat 0: a jug, a plate to share)."""
    from django.utils.translation import gettext as _

    tabs = [(n, _("Seat %(n)d") % {"n": n}) for n in range(1, seats + 1)]
    return [*tabs, (SHARED, _("Shared"))]

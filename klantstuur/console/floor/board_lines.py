"""The station board's links and labels, worked out once per render.

A 40-table Saturday keeps 60–90 lines on the griddle's board, and the board is
rendered again after every start and bump on it (its live fragment). Reversing
four URLs, looking up the status label and translating the same button labels
for every line took as long as the board's queries; here each is done once per
render, and each line's seat and times are one translated string made in Python
rather than three template translations (docs/performance-floor.md).
"""

from collections.abc import Iterable
from datetime import datetime

from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from klantstuur.catalog.models import course_label
from klantstuur.floor.boards import Ticket
from klantstuur.orders.models import LineStatus, OrderLine

# A number no id will be for the length of a render: reversed once, then replaced.
_SLOT = 987654321


def _pattern(name: str, *args: object) -> str:
    return reverse(name, args=[*args, _SLOT]).replace(str(_SLOT), "{}")


def _clock(at: datetime) -> str:
    """What the template filter ``time:"H:i"`` shows: the hour in the business's zone."""
    return formats.time_format(timezone.localtime(at), "H:i")


def line_times(line: OrderLine, *, fired: bool = True, promised: bool = True) -> str:
    """The course and when it was fired, and the promise, in the reader's language:
    "Hoofdgerecht · afgeroepen 19:02 · beloofd 19:20". A ticket whose lines were fired
    together says course and time once (``promised=False``); its lines then only their
    promise (``fired=False``)."""
    parts = []
    if fired:
        if line.course:
            parts.append(course_label(line.course))
        if line.fired_at:
            parts.append(_("fired %(t)s") % {"t": _clock(line.fired_at)})
    if promised and line.promised_at:
        parts.append(_("promised %(t)s") % {"t": _clock(line.promised_at)})
    return " · ".join(parts)


def dress(*, code: str, tickets: Iterable[Ticket], recent: Iterable[OrderLine]) -> None:
    """Sets ``start_url``, ``bump_url``, ``status_label``, ``seat_label`` and ``times`` on
    each open line, ``bump_url`` and ``fired`` on each ticket and ``recall_url`` on each
    recent bump."""
    start = _pattern("console_floor:line_start")
    bump = _pattern("console_floor:line_bump")
    recall = _pattern("console_floor:line_recall")
    ticket_bump = _pattern("console_floor:ticket_bump", code)
    labels = {value: str(label) for value, label in LineStatus.choices}
    seat = _("seat %(n)s")
    for ticket in tickets:
        ticket.bump_url = ticket_bump.format(ticket.order.pk)  # type: ignore[attr-defined]
        together = ticket.fired_together
        ticket.fired = line_times(together, promised=False) if together else ""  # type: ignore[attr-defined]
        for line in ticket.lines:
            line.start_url = start.format(line.pk)  # type: ignore[attr-defined]
            line.bump_url = bump.format(line.pk)  # type: ignore[attr-defined]
            line.status_label = labels.get(line.status, line.status)  # type: ignore[attr-defined]
            line.seat_label = seat % {"n": line.seat or "–"}  # type: ignore[attr-defined]
            line.times = line_times(line, fired=together is None)  # type: ignore[attr-defined]
    for line in recent:
        line.recall_url = recall.format(line.pk)  # type: ignore[attr-defined]

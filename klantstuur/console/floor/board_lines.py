"""The station board's links and labels, worked out once per render.

A 40-table Saturday keeps 60–90 lines on the griddle's board, and the board is
rendered again after every start and bump on it (its live fragment). Reversing
four URLs, looking up the status label and translating the same button labels
for every line took as long as the board's queries; here each is done once per
render and the lines carry the results (docs/performance-floor.md).
"""

from collections.abc import Iterable

from django.urls import reverse

from klantstuur.floor.boards import Ticket
from klantstuur.orders.models import LineStatus, OrderLine

# A number no id will be for the length of a render: reversed once, then replaced.
_SLOT = 987654321


def _pattern(name: str, *args: object) -> str:
    return reverse(name, args=[*args, _SLOT]).replace(str(_SLOT), "{}")


def dress(*, code: str, tickets: Iterable[Ticket], recent: Iterable[OrderLine]) -> None:
    """Sets ``start_url``, ``bump_url`` and ``status_label`` on each open line,
    ``bump_url`` on each ticket and ``recall_url`` on each recent bump."""
    start = _pattern("console_floor:line_start")
    bump = _pattern("console_floor:line_bump")
    recall = _pattern("console_floor:line_recall")
    ticket_bump = _pattern("console_floor:ticket_bump", code)
    labels = {value: str(label) for value, label in LineStatus.choices}
    for ticket in tickets:
        ticket.bump_url = ticket_bump.format(ticket.order.pk)  # type: ignore[attr-defined]
        for line in ticket.lines:
            line.start_url = start.format(line.pk)  # type: ignore[attr-defined]
            line.bump_url = bump.format(line.pk)  # type: ignore[attr-defined]
            line.status_label = labels.get(line.status, line.status)  # type: ignore[attr-defined]
    for line in recent:
        line.recall_url = recall.format(line.pk)  # type: ignore[attr-defined]

"""Status transition tables: each model's one table, and the sets of statuses read from it.

A table maps ``(old, new)`` to the name of the step that makes the change
(``needs.models.TRANSITIONS`` is the pattern). Sets such as "lines that may
still be cancelled" are derived here from the table, so they cannot drift.
"""

from collections.abc import Iterable, Mapping

Transitions = Mapping[tuple[str, str], str]


def starting(
    table: Transitions, statuses: Iterable[str], step: str | None = None
) -> tuple[str, ...]:
    """The ``statuses`` that ``step`` (any step when None) starts from, in declared order."""
    sources = {old for (old, _new), name in table.items() if step is None or name == step}
    return tuple(s for s in statuses if s in sources)

"""Extension points of delivery that the standing instructions fill.

``klantstuur.delivery.instructions`` may import the rest of delivery; the rest never
imports it (an import-linter contract). The instructions register here in their
AppConfig.ready, and delivery calls the registered handlers where it used to call
the instructions, in the same transaction and the same order.
"""

from collections.abc import Callable
from datetime import datetime
from typing import Any

from klantstuur.needs.models import Need

from .models import Delivery

# Carries out what the customer asked for this problem; returns what was done
# ([{"instruction_id", "text"}]). Called as handler(delivery=, need=, conditions=,
# trigger_key=, now=, late_hours=) inside the problem's transaction, the delivery locked.
ProblemHandler = Callable[..., list[dict[str, Any]]]
# The worker's "promises" sweep, after its own alerts: returns how much it did.
PromiseSweep = Callable[[datetime], int]
# (channel, language) for a customer's delivery alerts, or None when it has no say.
ContactPreferences = Callable[[int], tuple[str, str | None] | None]
# "Leave it with a participating neighbour" (community, issue #16): asks one for this
# delivery and says what it did, or None when none could be asked. Called as
# handler(delivery=, params=, now=) inside the instruction's transaction.
NeighbourAsker = Callable[..., str | None]

_problem_handlers: dict[str, ProblemHandler] = {}
_promise_sweeps: dict[str, PromiseSweep] = {}
_contact_preferences: dict[str, ContactPreferences] = {}
_neighbour_askers: dict[str, NeighbourAsker] = {}


def register(
    name: str,
    *,
    problem: ProblemHandler | None = None,
    promise_sweep: PromiseSweep | None = None,
    contact: ContactPreferences | None = None,
    neighbour: NeighbourAsker | None = None,
) -> None:
    if problem is not None:
        _problem_handlers.setdefault(name, problem)
    if promise_sweep is not None:
        _promise_sweeps.setdefault(name, promise_sweep)
    if contact is not None:
        _contact_preferences.setdefault(name, contact)
    if neighbour is not None:
        _neighbour_askers.setdefault(name, neighbour)


def problem_handle(
    *,
    delivery: Delivery,
    need: Need,
    conditions: set[str],
    trigger_key: str,
    now: datetime,
) -> list[dict[str, Any]]:
    done: list[dict[str, Any]] = []
    for handler in list(_problem_handlers.values()):
        done.extend(
            handler(
                delivery=delivery,
                need=need,
                conditions=conditions,
                trigger_key=trigger_key,
                now=now,
            )
        )
    return done


def promises_sweep(now: datetime) -> int:
    return sum(sweep(now) for sweep in list(_promise_sweeps.values()))


def contact_preferences(customer_id: int) -> tuple[str, str | None]:
    for provider in list(_contact_preferences.values()):
        found = provider(customer_id)
        if found is not None:
            return found
    return "email", None


def participating_neighbour_ask(
    *, delivery: Delivery, params: dict[str, Any], now: datetime
) -> str | None:
    """Ask a participating neighbour for this delivery; what was done, or None."""
    for asker in list(_neighbour_askers.values()):
        done = asker(delivery=delivery, params=params, now=now)
        if done is not None:
            return done
    return None

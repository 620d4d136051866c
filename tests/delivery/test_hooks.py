"""The inverted dependencies are wired: delivery fills orders' fulfilment extension point,
the standing instructions fill delivery's hooks (each registered once, in AppConfig.ready)."""

from klantstuur.delivery import hooks
from klantstuur.delivery.instructions import engine, late
from klantstuur.delivery.services import booking
from klantstuur.orders import fulfilment


def test_delivery_is_the_fulfilment_of_orders() -> None:
    (registered,) = fulfilment._registered
    assert registered.name == "delivery"
    assert registered.placed is booking.delivery_book
    assert registered.cancelling is booking.delivery_lock_for_cancel
    assert registered.cancelled is booking.delivery_cancel


def test_the_standing_instructions_fill_the_delivery_hooks() -> None:
    assert hooks._problem_handlers == {"standing_instructions": engine.carry_out}
    assert hooks._promise_sweeps == {"standing_instructions": late.late_rules}
    assert hooks._contact_preferences == {"standing_instructions": engine.contact_preferences}

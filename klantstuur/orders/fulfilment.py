"""How an order reaches the customer, as extension points owned by orders.

Orders never import the apps that fulfil them: delivery registers its handlers here
(DeliveryConfig.ready), and orders calls them inside its own transaction — an order
placed with a delivery choice books it, a cancelled order frees its slot — so the
change and its consequences commit or roll back together.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from klantstuur.businesses.models import StaffMember
from klantstuur.customers.models import Customer

from .models import Order


@dataclass(frozen=True)
class Fulfilment:
    """One way of fulfilling orders; each callable runs in the order's transaction."""

    name: str
    # An order was placed with the customer's choice (``order_place(delivery=…)``).
    # Called as placed(order=, choice=, actor_staff=, actor_customer=).
    placed: Callable[..., object]
    # Before a cancel locks the order: the rows to lock first (the lock order of the
    # fulfiller's own changes, so they cannot deadlock with the cancel).
    cancelling: Callable[[Order], None]
    # The order is being cancelled (before its status changes).
    cancelled: Callable[[Order, datetime], None]


_registered: list[Fulfilment] = []


def register(fulfilment: Fulfilment) -> None:
    if all(f.name != fulfilment.name for f in _registered):
        _registered.append(fulfilment)


def order_placed_with_choice(
    *,
    order: Order,
    choice: dict[str, Any],
    actor_staff: StaffMember | None,
    actor_customer: Customer | None,
) -> None:
    if not _registered:
        raise RuntimeError("No fulfilment is registered for an order with a delivery choice.")
    for f in _registered:
        f.placed(order=order, choice=choice, actor_staff=actor_staff, actor_customer=actor_customer)


def order_cancelling(order: Order) -> None:
    for f in _registered:
        f.cancelling(order)


def order_cancelled(order: Order, now: datetime) -> None:
    for f in _registered:
        f.cancelled(order, now)

"""Reads of orders, through access gates: another business's or customer's order is 404."""

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _

from klantstuur.businesses.models import StaffMember
from klantstuur.catalog.models import CatalogItem
from klantstuur.core.errors import NotFound
from klantstuur.core.queries import one
from klantstuur.customers.models import Customer

from .models import Checkpoint, Order, OrderLine


def _detail() -> QuerySet[Order]:
    return Order.objects.select_related("need__owner", "customer", "party__table").prefetch_related(
        Prefetch(
            "lines", queryset=OrderLine.objects.select_related("item", "station").order_by("id")
        ),
        Prefetch("checkpoints", queryset=Checkpoint.objects.order_by("at", "id")),
    )


def order_for_staff(*, staff: StaffMember, order_id: int, detail: bool = True) -> Order:
    """``detail=False``: the order's own row only, for a write that reads its lines itself."""
    orders = _detail() if detail else Order.objects.all()
    order = one(orders.filter(pk=order_id, business_id=staff.business_id))
    if order is None:
        raise NotFound(_("No such order."))
    return order


def order_for_customer(*, customer: Customer, order_id: int) -> Order:
    order = one(_detail().filter(pk=order_id, customer_id=customer.pk))
    if order is None:
        raise NotFound(_("No such order."))
    return order


def order_for_party(*, party_id: int, order_id: int) -> Order:
    """A guest sees their own party's orders only."""
    order = one(_detail().filter(pk=order_id, party_id=party_id))
    if order is None:
        raise NotFound(_("No such order."))
    return order


def orders_of_party(*, party_id: int) -> QuerySet[Order]:
    return (
        Order.objects.filter(party_id=party_id)
        .select_related("need__owner")
        .order_by("created_at", "id")
    )


def orders_of_customer(*, customer: Customer) -> QuerySet[Order]:
    return (
        Order.objects.filter(customer=customer)
        .select_related("need__owner")
        .order_by("-created_at", "-id")
    )


def catalog_of_business(*, business_id: int) -> QuerySet[CatalogItem]:
    return (
        CatalogItem.objects.filter(business_id=business_id, active=True)
        .select_related("station")
        .order_by("name", "id")
    )

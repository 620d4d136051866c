"""Issue #14: the demo tells one consistent story, guarded by its invariants — every order
has items, promises agree with checkpoints, relative days are right on the load day."""

from datetime import timedelta
from typing import Any

from django.utils import timezone, translation

from klantstuur.core.zones import zone
from klantstuur.delivery.models import Delivery, ReturnReason
from klantstuur.delivery.tracking import headline
from klantstuur.needs.models import Need
from klantstuur.orders.checkpoints import CheckpointCode
from klantstuur.orders.models import Order, OrderLine


def test_the_demo_story_holds_together(db: Any) -> None:
    """The demo is loaded once (about 20 s); each invariant below is checked on it."""
    from klantstuur.demo.data import load_demo

    load_demo()
    every_order_has_items_and_its_total()
    statuses_agree_with_the_checkpoints()
    promised_days_agree_with_what_happened_on_the_load_day()
    no_resolution_points_to_a_message_that_is_not_there()
    the_shop_has_return_reasons_and_a_carrier()


def every_order_has_items_and_its_total() -> None:
    orders = list(Order.objects.all())
    assert orders
    for o in orders:
        lines = list(OrderLine.objects.filter(order=o))
        assert lines, f"order #{o.pk} has no items"
        assert o.total_cents == sum(ln.price_cents * ln.quantity for ln in lines), o.pk
    names = set(OrderLine.objects.values_list("item__name", flat=True))
    assert not Order.objects.filter(promise_text__in=names).exists()  # "Toegezegd: Bel"


def statuses_agree_with_the_checkpoints() -> None:
    for o in Order.objects.prefetch_related("checkpoints"):
        codes = [c.code for c in o.checkpoints.all()]
        if "delivered" in codes:
            assert o.status == "fulfilled", f"order #{o.pk} delivered but {o.status}"
        if o.status == "fulfilled" and o.party_id is None:
            assert "delivered" in codes or not codes, o.pk
    for d in Delivery.objects.select_related("order"):
        carrier = [
            c.code
            for c in d.order.checkpoints.order_by("at", "id")
            if CheckpointCode(c.code).meaning.moves_delivery_to
        ]
        if carrier:
            assert d.status == CheckpointCode(carrier[-1]).meaning.moves_delivery_to, d.order_id
        else:
            assert d.status == "scheduled", d.order_id


def promised_days_agree_with_what_happened_on_the_load_day() -> None:
    now = timezone.now()
    for d in Delivery.objects.select_related("order__business", "promised_window"):
        tz = zone(d.order.business.time_zone)
        today = timezone.localtime(now, tz).date()
        checkpoints = {c.code: c.at for c in d.order.checkpoints.all()}
        if d.status == "out_for_delivery":
            assert d.promised_date == today, d.order_id
        if d.status == "scheduled" or d.status == "in_transit":
            assert d.promised_date >= today, d.order_id
        for code in ("delivered", "attempt_failed"):
            if code in checkpoints:
                day = timezone.localtime(checkpoints[code], tz).date()
                assert day == d.promised_date, (d.order_id, code)
                assert d.window_start - timedelta(hours=2) <= checkpoints[code] <= d.window_end
        with translation.override("nl"):
            words = headline(d, now=now)
        if d.status in ("scheduled", "in_transit"):
            expect = {0: "Vandaag", 1: "Morgen"}.get((d.promised_date - today).days, "Verwacht op")
            assert words.startswith(expect), (d.order_id, words)


def no_resolution_points_to_a_message_that_is_not_there() -> None:
    assert not Need.objects.filter(resolution_summary__icontains="zie mijn bericht").exists()


def the_shop_has_return_reasons_and_a_carrier() -> None:
    assert ReturnReason.objects.filter(business__slug="fietsenwinkel").count() == 4
    assert Delivery.objects.exclude(tracking_number="").exists()

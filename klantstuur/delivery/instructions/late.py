"""The "if late by more than N hours" instructions: part of the worker's promises sweep
(registered as a delivery hook), once per delivery version."""

from datetime import datetime, timedelta

from django.db import transaction

from ..models import FINAL_STATUSES, UNDERWAY_STATUSES, Delivery, DeliveryStatus
from ..proactive import problem_need
from . import engine


def late_rules(now: datetime) -> int:
    """Carry out "if late by more than N hours" instructions (once per delivery version)."""
    late = list(
        Delivery.objects.filter(
            status__in=(
                *UNDERWAY_STATUSES,
                DeliveryStatus.OUT_FOR_DELIVERY,
                DeliveryStatus.ATTEMPT_FAILED,
                DeliveryStatus.EXCEPTION,
            ),
            window_end__lte=now - timedelta(hours=1),
            window_end__gte=now - timedelta(days=14),
            customer__instructions__condition="late",
            customer__instructions__active=True,
        )
        .distinct()
        .values_list("pk", flat=True)[:200]
    )
    count = 0
    for pk in late:
        with transaction.atomic():
            delivery = (
                Delivery.objects.select_for_update(of=("self",))
                .select_related("order__business", "order__need", "customer", "promised_window")
                .get(pk=pk)
            )
            if delivery.status in FINAL_STATUSES:
                continue
            hours = (now - delivery.window_end) / timedelta(hours=1)
            need = problem_need(delivery)
            done = engine.carry_out(
                delivery=delivery,
                need=need,
                conditions={"late"},
                trigger_key=f"late-v{delivery.version}",
                now=now,
                late_hours=hours,
            )
            count += len(done)
    return count

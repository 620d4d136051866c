"""Hearing about a problem before asking (R15, article 004).

A failed attempt, an exception, or a promise about to break (nothing out for
delivery when the window starts; the window passed) opens — or reuses — a need
with an owner, carries out the customer's standing instructions, and tells the
customer first, with choices: another date, a pickup point, a neighbour.
"""

import logging
from datetime import datetime, timedelta
from typing import cast

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from klantstuur.needs.journal import record
from klantstuur.needs.models import ACTIVE_STATUSES, EventKind, JournalEvent, Need
from klantstuur.needs.services import need_open
from klantstuur.orders.checkpoints import PROBLEM_CODES
from klantstuur.orders.events import Checkpoint

from . import events, hooks
from .models import FINAL_STATUSES, UNDERWAY_STATUSES, Delivery, DeliveryStatus

logger = logging.getLogger("klantstuur.delivery")

CHOICES = ["another_date", "pickup_point", "neighbour"]


def react(event: JournalEvent) -> None:
    """After commit: a problem checkpoint is taken up at once."""
    if event.kind != EventKind.CHECKPOINT:
        return
    data = cast(Checkpoint, event.data)
    if data.get("code") not in PROBLEM_CODES:
        return
    order_id = data.get("order_id")
    if not isinstance(order_id, int):
        return
    problem_raise(
        order_id=order_id,
        reason=data["code"],
        detail=data.get("reason", "") or "",
        note=data.get("note", "") or "",
        trigger_key=f"cp{event.pk}",
    )


def problem_need(delivery: Delivery) -> Need:
    """The need a delivery problem goes to: the open problem's, the order's, or a new one."""
    for need_id in (delivery.problem_need_id, delivery.order.need_id):
        if need_id:
            need = Need.objects.filter(pk=need_id, status__in=ACTIVE_STATUSES).first()
            if need is not None:
                return need
    return need_open(
        customer=delivery.customer,
        kind="order",
        summary=(_("Delivery of order #%(id)s") % {"id": delivery.order_id})[:300],
        proactive=True,
    )


def problem_raise(
    *,
    order_id: int,
    reason: str,
    trigger_key: str,
    detail: str = "",
    note: str = "",
    now: datetime | None = None,
) -> JournalEvent | None:
    """Take up one delivery problem: owner, instructions (``hooks.problem_handle``), then
    the customer's message."""
    now = now or timezone.now()
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(of=("self",))
            .select_related("order__business", "order__need", "customer", "promised_window")
            .filter(order_id=order_id)
            .first()
        )
        if delivery is None or delivery.status in FINAL_STATUSES:
            return None
        need = problem_need(delivery)
        if delivery.problem_need_id != need.pk:
            Delivery.objects.filter(pk=delivery.pk).update(problem_need=need)
            delivery.problem_need = need
        conditions = {reason}
        if reason == "attempt_failed" and detail == "not_at_home":
            conditions.add("not_at_home")
        if reason == "exception" and detail == "out_of_stock":
            conditions = {"out_of_stock"}
        done = hooks.problem_handle(
            delivery=delivery, need=need, conditions=conditions, trigger_key=trigger_key, now=now
        )
        delivery.refresh_from_db()
        settled = delivery.status in FINAL_STATUSES or (bool(done) and not delivery.problem_reason)
        # Out of stock is not the customer's delivery choice: the owner takes it up.
        offer = not settled and detail != "out_of_stock"
        if not settled and reason in ("not_out_for_delivery", "window_missed"):
            Delivery.objects.filter(pk=delivery.pk).update(problem_reason=reason)
        problem = events.delivery_problem(
            delivery,
            need=need,
            reason=reason,
            detail=detail,
            note=note,
            choices=CHOICES if offer else [],
            done_for_you=[d["text"] for d in done],
        )
        alert = record(problem, need=need, at=now)
        Need.objects.filter(pk=need.pk).update(updated_at=now)
        from klantstuur.needs import reactions

        from . import notify

        if not reactions.suppressed.get():
            transaction.on_commit(lambda: notify.enqueue(alert.pk))
    return alert


def promises_check(now: datetime) -> int:
    """Worker sweep: promises about to break, broken ones, and "late by N hours" rules."""
    done = 0
    starting = list(
        Delivery.objects.filter(
            status__in=UNDERWAY_STATUSES,
            window_start__lte=now,
            window_end__gt=now,
            late_alerted_version__lt=F("version"),
        ).values_list("pk", "order_id", "version", "late_alerted_version")[:200]
    )
    for pk, order_id, version, alerted in starting:
        if alerted >= version:
            continue
        if Delivery.objects.filter(pk=pk, late_alerted_version__lt=version).update(
            late_alerted_version=version
        ):
            problem_raise(
                order_id=order_id,
                reason="not_out_for_delivery",
                trigger_key=f"start-v{version}",
                now=now,
            )
            done += 1
    missed = list(
        Delivery.objects.filter(
            status__in=(*UNDERWAY_STATUSES, DeliveryStatus.OUT_FOR_DELIVERY),
            window_end__lte=now,
            window_end__gte=now - timedelta(days=14),
            missed_alerted_version__lt=F("version"),
        ).values_list("pk", "order_id", "version", "missed_alerted_version")[:200]
    )
    for pk, order_id, version, alerted in missed:
        if alerted >= version:
            continue
        if Delivery.objects.filter(pk=pk, missed_alerted_version__lt=version).update(
            missed_alerted_version=version
        ):
            problem_raise(
                order_id=order_id, reason="window_missed", trigger_key=f"missed-v{version}", now=now
            )
            done += 1
    done += hooks.promises_sweep(now)  # the standing instructions: "if late by N hours"
    return done

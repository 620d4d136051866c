"""Carrying out standing instructions on the journal's events.

Called through delivery's hooks (registered in InstructionsConfig.ready) by the
delivery's proactive service (a failed attempt, an exception, out of stock) and
by its sweep (late by more than N hours, ``late``), inside their transaction. Each instruction runs at most once per trigger; each run writes
an INSTRUCTION_CARRIED_OUT event: "done for you, because you asked: …".

"Cancel and refund" acts with the authority of the need's owner: the refund
is a remedy granted in the owner's name within their limit. Above it, the
order is still cancelled and the timeline names who may grant the refund;
the owner is told on the need (docs/delivery.md).
"""

from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from klantstuur.core.errors import DomainError
from klantstuur.core.money import euro
from klantstuur.needs.events import internal_note
from klantstuur.needs.journal import record
from klantstuur.needs.models import Need, RemedyKind
from klantstuur.needs.services import remedy_grant
from klantstuur.orders.cancel import order_cancel

from ..events import instruction_carried_out
from ..hooks import participating_neighbour_ask
from ..models import Delivery, PickupPoint, PlaceKind
from ..promise import delivery_promise
from ..services.booking import delivery_lock, delivery_move
from ..services.requests import slot_first_possible
from .models import Action, Condition, InstructionRun, StandingInstruction

TRIGGERED = (
    Action.LEAVE_WITH_NEIGHBOUR,
    Action.DELIVER_TO_PICKUP_POINT,
    Action.CANCEL_AND_REFUND,
    Action.SUBSTITUTES,
)


def describe(ins: StandingInstruction) -> str:
    """The instruction in the customer's words."""
    p = ins.params or {}
    whens: dict[str, str] = {
        Condition.ALWAYS: _("always"),
        Condition.LATE: ngettext(
            "if late by more than %(n)s hour", "if late by more than %(n)s hours", ins.hours or 0
        )
        % {"n": ins.hours},
        Condition.ATTEMPT_FAILED: _("if a delivery attempt fails"),
        Condition.NOT_AT_HOME: _("if I am not at home"),
        Condition.OUT_OF_STOCK: _("if an item is out of stock"),
    }
    when = whens.get(str(ins.condition), str(ins.condition))
    neighbour = (
        _("leave it with a participating neighbour")
        if p.get("participating")
        else _("leave it with my neighbour at number %(n)s (%(name)s)")
        % {"n": p.get("house_number", ""), "name": p.get("name", "")}
    )
    whats: dict[str, str] = {
        Action.LEAVE_WITH_NEIGHBOUR: neighbour,
        Action.DELIVER_TO_PICKUP_POINT: _("deliver it to pickup point %(name)s")
        % {"name": p.get("name", p.get("pickup_point", ""))},
        Action.CANCEL_AND_REFUND: _("cancel and refund"),
        Action.SUBSTITUTES: _("no substitutes")
        if p.get("policy") == "none"
        else _("a similar item is fine"),
        Action.CONTACT: str(
            {
                "email": _("contact me by e-mail"),
                "portal": _("only tell me in the portal"),
                "none": _("do not contact me unless I must decide"),
            }.get(p.get("channel", ""), "")
        ),
        Action.LANGUAGE: _("speak %(lang)s to me")
        % {"lang": {"nl": "Nederlands", "en": "English"}.get(p.get("language", ""), "")},
    }
    what = whats.get(str(ins.action), str(ins.action))
    return f"{when}: {what}" if ins.condition != Condition.ALWAYS else str(what)


def carry_out(
    *,
    delivery: Delivery,
    need: Need,
    conditions: set[str],
    trigger_key: str,
    now: datetime | None = None,
    late_hours: float | None = None,
) -> list[dict[str, Any]]:
    """Run the customer's instructions that match; return what was done."""
    now = now or timezone.now()
    order = delivery.order
    instructions = StandingInstruction.objects.filter(
        customer_id=delivery.customer_id,
        active=True,
        condition__in=conditions,
        action__in=TRIGGERED,
    ).order_by("created_at", "id")
    done: list[dict[str, Any]] = []
    moved = False
    for ins in instructions:
        if ins.condition == Condition.LATE and (
            late_hours is None or late_hours < (ins.hours or 0)
        ):
            continue
        if moved or delivery.is_final:
            break
        try:
            with transaction.atomic():
                run = InstructionRun.objects.create(
                    instruction=ins, order=order, trigger_key=trigger_key, at=now
                )
        except IntegrityError:
            continue  # already carried out for this trigger
        try:
            with transaction.atomic():
                text, moved = _do(ins, delivery=delivery, need=need, now=now)
        except DomainError as exc:
            text = _("could not be done: %(why)s") % {"why": exc.message}
            moved = False
        InstructionRun.objects.filter(pk=run.pk).update(result={"text": text})
        carried_out = instruction_carried_out(
            order_id=order.pk,
            instruction_id=ins.pk,
            condition=ins.condition,
            action=ins.action,
            because=describe(ins),
            result=text,
        )
        record(carried_out, need=need, at=now)
        done.append({"instruction_id": ins.pk, "text": f"{describe(ins)} — {text}"})
        delivery.refresh_from_db()
    return done


def _do(
    ins: StandingInstruction, *, delivery: Delivery, need: Need, now: datetime
) -> tuple[str, bool]:
    p = ins.params or {}
    if ins.action == Action.LEAVE_WITH_NEIGHBOUR and p.get("participating"):
        # The neighbour is asked and answers from their phone; nothing moves until then.
        asked = participating_neighbour_ask(delivery=delivery, params=p, now=now)
        return asked or _("no participating neighbour could be asked"), False
    if ins.action in (Action.LEAVE_WITH_NEIGHBOUR, Action.DELIVER_TO_PICKUP_POINT):
        locked = delivery_lock(delivery.order)
        point = None
        if ins.action == Action.LEAVE_WITH_NEIGHBOUR:
            kind = PlaceKind.NEIGHBOUR
            place = {
                "kind": kind,
                "house_number": p.get("house_number", ""),
                "name": p.get("name", ""),
            }
        else:
            kind = PlaceKind.PICKUP_POINT
            point = PickupPoint.objects.filter(
                business_id=locked.business_id, code=p.get("pickup_point", ""), active=True
            ).first()
            if point is None:
                return _("that pickup point no longer exists"), False
            place = {"kind": kind, "pickup_point": point.code, "name": point.name}
        spec = slot_first_possible(locked, place_kind=kind, place=place, point=point, now=now)
        if spec is None:
            return _("no slot was free in the coming days"), False
        delivery_move(
            locked,
            spec,
            now=now,
            because={"instruction_id": ins.pk, "text": describe(ins)},
        )
        return delivery_promise(locked), True
    if ins.action == Action.CANCEL_AND_REFUND:
        return _cancel_and_refund(delivery=delivery, need=need, now=now), True
    if ins.action == Action.SUBSTITUTES:
        if p.get("policy") == "none":
            return _cancel_and_refund(delivery=delivery, need=need, now=now), True
        record(
            internal_note(_("The customer accepts a similar item (standing instruction).")),
            need=need,
            at=now,
        )
        return _("%(name)s looks for a similar item for you") % {"name": need.owner.name}, False
    return "", False


def _cancel_and_refund(*, delivery: Delivery, need: Need, now: datetime) -> str:
    order = order_cancel(
        order=delivery.order, reason=_("Standing instruction: cancel and refund"), now=now
    )
    amount = order.total_cents
    try:
        with transaction.atomic():
            remedy_grant(
                staff=need.owner,
                need=need,
                kind=RemedyKind.REFUND,
                amount_cents=amount,
                note=_("Standing instruction: cancel and refund"),
            )
    except DomainError as exc:
        return _("order cancelled; the refund of %(amount)s is waiting: %(why)s") % {
            "amount": euro(amount, compact=True),
            "why": exc.message,
        }
    return _("order cancelled and %(amount)s refunded") % {"amount": euro(amount, compact=True)}


def contact_preferences(customer_id: int) -> tuple[str, str | None]:
    """(channel, language) from the customer's standing instructions, if any."""
    channel, language = "email", None
    for action, params in StandingInstruction.objects.filter(
        customer_id=customer_id, active=True, action__in=(Action.CONTACT, Action.LANGUAGE)
    ).values_list("action", "params"):
        if action == Action.CONTACT:
            channel = params.get("channel", "email")
        elif action == Action.LANGUAGE:
            language = params.get("language")
    return channel, language

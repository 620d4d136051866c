"""Setting and removing standing instructions; the documented set only (docs/delivery.md)."""

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from klantstuur.core.errors import Conflict, Invalid, NotFound
from klantstuur.customers.models import Customer
from klantstuur.needs.journal import record

from ..events import instruction_removed, instruction_set
from ..models import PickupPoint
from .engine import describe
from .models import ALLOWED, Action, Condition, StandingInstruction

MAX_ACTIVE = 20


def _text(params: dict[str, Any], key: str, max_len: int) -> str:
    value = params.get(key)
    if not isinstance(value, str | int) or isinstance(value, bool) or not str(value).strip():
        raise Invalid(_("This field is required."), field=f"params.{key}")
    text = str(value).strip()
    if len(text) > max_len:
        raise Invalid(_("At most %(n)d characters.") % {"n": max_len}, field=f"params.{key}")
    return text


def _clean_params(customer: Customer, action: str, params: Any) -> dict[str, Any]:
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise Invalid(_("An object."), field="params")
    if action == Action.LEAVE_WITH_NEIGHBOUR and params.get("participating") is True:
        # Any neighbour who accepts parcels (community, issue #16): asked each time.
        return {
            "participating": True,
            "postcode": _text(params, "postcode", 10),
            "house_number": _text(params, "house_number", 20),
        }
    if action == Action.LEAVE_WITH_NEIGHBOUR:
        return {
            "house_number": _text(params, "house_number", 20),
            "name": _text(params, "name", 100),
        }
    if action == Action.DELIVER_TO_PICKUP_POINT:
        code = _text(params, "pickup_point", 40)
        point = PickupPoint.objects.filter(
            business_id=customer.business_id, code=code, active=True
        ).first()
        if point is None:
            raise Invalid(_("There is no such pickup point."), field="params.pickup_point")
        return {"pickup_point": point.code, "name": point.name}
    if action == Action.SUBSTITUTES:
        if params.get("policy") not in ("none", "similar"):
            raise Invalid(_("Choose none or similar."), field="params.policy")
        return {"policy": params["policy"]}
    if action == Action.CONTACT:
        if params.get("channel") not in ("email", "portal", "none"):
            raise Invalid(_("Choose email, portal or none."), field="params.channel")
        return {"channel": params["channel"]}
    if action == Action.LANGUAGE:
        if params.get("language") not in ("nl", "en"):
            raise Invalid(_("Choose nl or en."), field="params.language")
        return {"language": params["language"]}
    return {}


@transaction.atomic
def instruction_create(
    *, customer: Customer, condition: str, action: str, params: Any = None, hours: Any = None
) -> StandingInstruction:
    if condition not in Condition.values:
        raise Invalid(
            _("Choose one of: %(v)s.") % {"v": ", ".join(str(c.label) for c in Condition)},
            field="condition",
        )
    if action not in Action.values:
        raise Invalid(
            _("Choose one of: %(v)s.") % {"v": ", ".join(str(a.label) for a in Action)},
            field="action",
        )
    if condition not in ALLOWED[action]:
        raise Invalid(
            _("This action goes with: %(v)s.")
            % {"v": ", ".join(str(Condition(c).label).lower() for c in ALLOWED[action])},
            field="condition",
        )
    if condition == Condition.LATE:
        if not isinstance(hours, int) or isinstance(hours, bool) or not 1 <= hours <= 336:
            raise Invalid(_("A whole number of hours from 1 to 336."), field="hours")
    elif hours is not None:
        raise Invalid(_("Hours go only with the condition late."), field="hours")
    clean = _clean_params(customer, action, params)
    Customer.objects.select_for_update().filter(pk=customer.pk).first()
    active = StandingInstruction.objects.filter(customer=customer, active=True)
    if active.count() >= MAX_ACTIVE:
        raise Conflict(_("At most %(n)d standing instructions.") % {"n": MAX_ACTIVE})
    if action in (Action.CONTACT, Action.LANGUAGE):
        # One preference of each kind: the new one replaces the old.
        for old in active.filter(action=action):
            _remove(customer, old)
    ins = StandingInstruction.objects.create(
        business_id=customer.business_id,
        customer=customer,
        condition=condition,
        hours=hours if condition == Condition.LATE else None,
        action=action,
        params=clean,
    )
    record(
        instruction_set(ins.pk, describe(ins)),
        need=None,
        customer=customer,
        actor_customer=customer,
    )
    return ins


def _remove(customer: Customer, ins: StandingInstruction) -> None:
    StandingInstruction.objects.filter(pk=ins.pk).update(active=False, removed_at=timezone.now())
    record(
        instruction_removed(ins.pk, describe(ins)),
        need=None,
        customer=customer,
        actor_customer=customer,
    )


@transaction.atomic
def instruction_remove(*, customer: Customer, instruction_id: int) -> None:
    ins = (
        StandingInstruction.objects.select_for_update()
        .filter(pk=instruction_id, customer=customer, active=True)
        .first()
    )
    if ins is None:
        raise NotFound(_("No such standing instruction."))
    _remove(customer, ins)


def instructions_of(customer: Customer) -> Any:
    return StandingInstruction.objects.filter(customer=customer, active=True).order_by(
        "created_at", "id"
    )

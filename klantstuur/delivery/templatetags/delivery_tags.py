"""``{{ delivery|promise }}`` and ``{{ event.data.after|promise }}``: the promise in the
reader's language, rendered from the stored structure (klantstuur.delivery.promise)."""

from typing import Any

from django import template

from klantstuur.delivery.models import Delivery
from klantstuur.delivery.promise import delivery_promise, summary_promise

register = template.Library()


@register.filter
def promise(value: Any) -> str:
    if isinstance(value, Delivery):
        return delivery_promise(value)
    return summary_promise(value)


@register.filter
def checkpoint_label(code: Any) -> str:
    """A checkpoint's label in the reader's language ("" for an unknown code)."""
    from klantstuur.orders.checkpoints import LABELS

    found = LABELS.get(str(code or ""))
    return str(found) if found is not None else ""


@register.filter
def reason_label(reason: Any) -> str:
    """A delivery problem's reason (carrier reasons and alert reasons) in words."""
    from klantstuur.delivery.notify import REASON_LABELS

    found = REASON_LABELS.get(str(reason or ""))
    return str(found) if found is not None else str(reason or "")


@register.filter
def place_label(place: Any) -> str:
    from klantstuur.delivery.promise import place_words

    if not isinstance(place, dict):
        return ""
    return place_words(str(place.get("kind", "")), place)


@register.filter
def return_method(code: Any) -> str:
    """A return's method (pick-up or drop-off) in words."""
    from klantstuur.delivery.models import ReturnMethod

    values = dict(ReturnMethod.choices)
    return str(values.get(str(code or ""), ""))


@register.filter
def return_reason(code: Any, business_id: Any) -> str:
    """A return's reason code as the business's label in the reader's language."""
    from klantstuur.delivery.returns import reason_labels, reason_words

    if not code or not isinstance(business_id, int):
        return ""
    return reason_words(str(code), reason_labels(business_id=business_id))

"""Feedback partials other pages include (see docs/metrics.md, "Where feedback is asked").

{% load feedback %}
{% rate_touchpoint need "resolution_confirmed" %}
{% rate_touchpoint need "served" order=order next=request.get_full_path %}
{% rate_touchpoint need "served" order=order guest_token=party.guest_token %}
{% survey_invite need "ces" %}
{% root_cause_select need %}   (inside the console's propose form)
"""

from typing import Any

from django import template
from django.urls import reverse
from django.utils.http import urlencode

from klantstuur.core import formats
from klantstuur.feedback.models import Rating, Touchpoint
from klantstuur.feedback.services import survey_due
from klantstuur.feedback.wording import survey_text
from klantstuur.needs.root_causes import active_root_causes, root_cause_required

register = template.Library()


@register.inclusion_tag("feedback/_rate.html")
def rate_touchpoint(
    need: Any, touchpoint: str, order: Any = None, next: str = "", guest_token: str = ""
) -> dict[str, Any]:
    """One query: has this touchpoint been rated already?"""
    order_id = getattr(order, "pk", order) or 0
    already = Rating.objects.filter(
        need_id=need.pk, order_id=order_id, touchpoint=touchpoint
    ).exists()
    action = (
        reverse("portal_feedback:guest_rate", args=[guest_token])
        if guest_token
        else reverse("portal_feedback:rate")
    )
    return {
        "action": action,
        "need_id": need.pk,
        "order_id": order_id or None,
        "touchpoint": touchpoint,
        "touchpoint_label": Touchpoint(touchpoint).label if touchpoint in Touchpoint.values else "",
        "next": next,
        "scale": range(1, 6),
        "already": already,
    }


@register.inclusion_tag("feedback/_survey_link.html")
def survey_invite(need: Any, survey: str = "ces") -> dict[str, Any]:
    """Shown only when the guard allows asking this customer now."""
    if not survey_due(customer=need.customer, survey=survey):
        return {"url": "", "text": None}
    url = reverse("portal_feedback:survey", args=[survey]) + "?" + urlencode({"need": need.pk})
    return {"url": url, "text": survey_text(survey, need.business.name)}


def root_cause_context(need: Any, *, error: str = "", selected: Any = None) -> dict[str, Any]:
    """Context for ``insight/_root_cause_select.html`` (one query)."""
    causes = list(active_root_causes(business_id=need.business_id))
    return {
        "root_causes": causes,
        "root_cause_required": root_cause_required(need, causes),
        "root_cause_error": error,
        "selected": selected,
    }


@register.inclusion_tag("insight/_root_cause_select.html")
def root_cause_select(need: Any, error: str = "", selected: Any = None) -> dict[str, Any]:
    return root_cause_context(need, error=error, selected=selected)


def parse_root_cause_id(value: Any) -> int | None:
    """The posted ``root_cause_id``: a number or nothing (the service checks it is ours)."""
    text = str(value or "").strip()
    return int(text) if text.isascii() and text.isdecimal() and len(text) < 18 else None


@register.filter
def percent(value: Any) -> str | None:
    """0.5289 -> nl "52,9%", en "52.9%" (None stays None, shown as a dash)."""
    return formats.percent(value)

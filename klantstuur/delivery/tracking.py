"""What a tracking page tells at a glance, in the reader's language: the carrier and its
tracking number, the expected window as a headline ("Expected today between 18:00 and
21:00"), and where the parcel is on its way (a progress bar over four steps).

Pure functions of a delivery already loaded (no queries beyond what the caller's
``select_related`` brought along); the portal, the e-mails and the API render from them.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.formats import date_format, time_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from klantstuur.core.zones import zone

from .models import Delivery, DeliverySettings, DeliveryStatus, PlaceKind

_S = DeliveryStatus


def carrier_of(d: Delivery) -> str:
    """The carrier named by its events or by staff, else the business's usual carrier."""
    if d.carrier:
        return d.carrier
    try:
        settings: DeliverySettings = d.order.business.delivery_settings
    except DeliverySettings.DoesNotExist:
        return ""
    return settings.carrier_name


def expected(d: Delivery) -> dict[str, datetime] | None:
    """``{from, to}``: the promised window, while the parcel is still to come."""
    if d.status in (_S.DELIVERED, _S.CANCELLED):
        return None
    return {"from": d.window_start, "to": d.window_end}


def headline(d: Delivery, *, now: datetime | None = None) -> str:
    """One sentence on top of the tracking page."""
    now = now or timezone.now()
    tz = zone(d.order.business.time_zone)
    if d.status == _S.DELIVERED:
        return _("Delivered")
    if d.status == _S.CANCELLED or d.order.status == "cancelled":
        return _("Cancelled")
    if d.status == _S.AVAILABLE_FOR_PICKUP:
        return _("Ready for you at the pickup point")
    if d.needs_choice:
        return _("Your choice is needed")
    start, end = timezone.localtime(d.window_start, tz), timezone.localtime(d.window_end, tz)
    today = timezone.localtime(now, tz).date()
    if d.status == _S.OUT_FOR_DELIVERY and start.date() != today:
        return _("Out for delivery: the driver brings it today")
    times = {"from": time_format(start.time(), "H:i"), "to": time_format(end.time(), "H:i")}
    if start.date() == today:
        return _("Expected today between %(from)s and %(to)s") % times
    if start.date() == today + timedelta(days=1):
        return _("Expected tomorrow between %(from)s and %(to)s") % times
    return _("Expected on %(day)s between %(from)s and %(to)s") % {
        **times,
        "day": date_format(start.date(), "l j F"),
    }


@dataclass(frozen=True)
class Step:
    label: str
    done: bool
    current: bool


_STEPS = (
    gettext_lazy("Ordered"),
    gettext_lazy("With the carrier"),
    gettext_lazy("Out for delivery"),
)
# How far along each status is (0-based step); a problem stays on the step it happened.
_REACHED: dict[str, int] = {
    _S.SCHEDULED: 0,
    _S.IN_TRANSIT: 1,
    _S.OUT_FOR_DELIVERY: 2,
    _S.ATTEMPT_FAILED: 2,
    _S.EXCEPTION: 1,
    _S.AVAILABLE_FOR_PICKUP: 3,
    _S.DELIVERED: 3,
}


def progress(d: Delivery) -> list[Step]:
    """Four steps, the last "Delivered" or "Ready at the pickup point"; none when cancelled."""
    if d.status == _S.CANCELLED:
        return []
    last = (
        _("Ready at the pickup point") if d.place_kind == PlaceKind.PICKUP_POINT else _("Delivered")
    )
    labels = [str(x) for x in _STEPS] + [last]
    reached = _REACHED.get(d.status, 0)
    return [
        Step(label=text, done=n <= reached, current=n == reached) for n, text in enumerate(labels)
    ]


def percent_done(d: Delivery) -> int:
    steps = progress(d)
    if not steps:
        return 0
    reached = sum(1 for s in steps if s.done) - 1
    return round(100 * reached / (len(steps) - 1))

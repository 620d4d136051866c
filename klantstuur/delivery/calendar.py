"""The promised delivery window as a calendar file (RFC 5545, written by ``icalendar``).

One ``VEVENT`` per delivery. Its ``UID`` never changes (the order's number and the
business), and its ``SEQUENCE`` is the delivery's ``version`` less one: every change
(a move, a new promise after a problem, a cancellation) bumps the version, so a
calendar that imported the file before replaces its event when it is opened again. A
cancelled delivery is ``STATUS:CANCELLED``, so the calendar strikes it through.
"""

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from klantstuur.core.zones import zone

from .models import Delivery, DeliveryStatus
from .promise import place_words
from .tracking import carrier_of


def delivery_uid(d: Delivery) -> str:
    return f"delivery-{d.order_id}@{d.order.business.slug}.klantstuur"


def delivery_ics(d: Delivery) -> bytes:
    """The calendar file of one delivery (the caller loaded it through a gate)."""
    cal = Calendar()
    cal.add("prodid", "-//Klantstuur//delivery//EN")
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    ev = Event()
    ev.add("uid", delivery_uid(d))
    ev.add("sequence", max(d.version - 1, 0))
    ev.add("dtstamp", d.updated_at)
    ev.add("last-modified", d.updated_at)
    ev.add("dtstart", d.window_start)
    ev.add("dtend", d.window_end)
    business = d.order.business.name
    ev.add(
        "summary", _("Delivery of order #%(id)s (%(shop)s)") % {"id": d.order_id, "shop": business}
    )
    where = place_words(d.place_kind, d.promised_place)
    if d.pickup_point_id and d.pickup_point is not None:
        where = f"{d.pickup_point.name}, {d.pickup_point.address}, {d.pickup_point.postcode}"
    ev.add("location", where)
    lines = [_("Expected between %(from)s and %(to)s.") % _window(d)]
    carrier = carrier_of(d)
    if carrier:
        lines.append(_("Carrier: %(name)s") % {"name": carrier})
    if d.tracking_number:
        lines.append(_("Tracking number: %(n)s") % {"n": d.tracking_number})
    url = settings.SITE_URL + reverse("portal_orders:order", args=[d.order_id])
    lines.append(url)
    ev.add("description", "\n".join(lines))
    ev.add("url", url)
    cancelled = d.status == DeliveryStatus.CANCELLED or d.order.status == "cancelled"
    ev.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    ev.add("transp", "TRANSPARENT")
    cal.add_component(ev)
    return cal.to_ical()


def _window(d: Delivery) -> dict[str, str]:
    tz = zone(d.order.business.time_zone)
    return {
        "from": timezone.localtime(d.window_start, tz).strftime("%H:%M"),
        "to": timezone.localtime(d.window_end, tz).strftime("%H:%M"),
    }

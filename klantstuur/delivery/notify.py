"""Telling the customer first: e-mail after the commit, the portal from the journal.

The portal's notifications page reads the same ALERT and "done for you"
events; e-mail goes out unless the customer chose the portal only (their
communication preference, or a standing instruction "contact": portal/none).

The e-mail goes the way of every notification (needs.notifications, issue #15): recorded
(``Notification``, audience "customer"), a failed one retried with back-off by the
worker's sweep — which rebuilds it with ``alert_mails``, registered for ALERT events —
marked failed for good after the last attempt, and listed on the managers' failed-mail
page with its need and order.
"""

import logging
from typing import cast

from django.conf import settings
from django.core.mail import EmailMessage
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_tasks import task

from klantstuur.core.text_guard import header_value
from klantstuur.needs import notifications
from klantstuur.needs.models import EventKind, JournalEvent, NotificationStatus
from klantstuur.orders.models import OrderLine

from . import hooks
from .events import DeliveryProblem

logger = logging.getLogger("klantstuur.delivery")

NOTICE_KINDS = (EventKind.ALERT, EventKind.INSTRUCTION_CARRIED_OUT)


def enqueue(event_id: int) -> None:
    try:
        send_alert.enqueue(event_id)
    except Exception:  # a notification never undoes the change
        logger.exception("could not enqueue delivery alert %s", event_id)


# Carrier reasons and alert reasons in words (timelines, the staff page).
REASON_LABELS = {
    "not_at_home": gettext_lazy("nobody at home"),
    "address_not_found": gettext_lazy("address not found"),
    "refused": gettext_lazy("refused"),
    "damaged": gettext_lazy("damaged"),
    "lost": gettext_lazy("lost"),
    "weather": gettext_lazy("weather"),
    "out_of_stock": gettext_lazy("out of stock"),
    "other": gettext_lazy("other"),
    "attempt_failed": gettext_lazy("delivery attempt failed"),
    "exception": gettext_lazy("problem in delivery"),
    "not_out_for_delivery": gettext_lazy("not out for delivery when the window started"),
    "window_missed": gettext_lazy("the window passed"),
}


def reason_text(reason: str) -> str:
    return {
        "attempt_failed": _("The carrier could not deliver your parcel."),
        "exception": _("There is a problem with the delivery of your parcel."),
        "not_out_for_delivery": _(
            "Your delivery window starts now, but your parcel is not out for delivery yet."
        ),
        "window_missed": _("Your delivery window has passed and your parcel has not arrived."),
    }.get(reason, _("There is news about your delivery."))


def alert_text(event: JournalEvent) -> str:
    data = cast(DeliveryProblem, event.data)
    lines = [reason_text(data.get("reason", ""))]
    if data.get("detail") == "out_of_stock":
        lines = [_("An item of your order is out of stock.")]
    if data.get("note"):
        lines.append(_("Carrier's note: %(note)s") % {"note": data["note"]})
    for done in data.get("done_for_you", []):
        lines.append(_("Done for you, because you asked: %(what)s") % {"what": done})
    if data.get("choices"):
        lines.append(_("Choose what suits you: another date, a pickup point, or a neighbour."))
    return "\n".join(lines)


def alert_mails(event: JournalEvent) -> list[notifications.Mail]:
    """The e-mail one delivery alert sends its customer, as it reads now (for the first
    attempt and each retry): none when they chose the portal only, or have no address."""
    if event.need is None:
        return []
    customer = event.customer
    channel, language = hooks.contact_preferences(customer.pk)
    if not customer.email or not customer.notify_by_email or channel != "email":
        return []
    problem = cast(DeliveryProblem, event.data)
    order_id = problem.get("order_id")
    if order_id is None:
        return []
    items = ", ".join(
        f"{q}× {name}"
        for q, name in OrderLine.objects.filter(order_id=order_id)
        .order_by("id")
        .values_list("quantity", "item__name")
    )
    with translation.override(language or customer.language or "nl"):
        link = settings.SITE_URL + reverse("portal_orders:order", args=[order_id])
        subject = _("Your order #%(id)s: %(what)s") % {
            "id": order_id,
            "what": reason_text(problem.get("reason", "")),
        }
        if problem.get("choices"):
            # The flag the order list shows: the customer has something to decide.
            subject = _("Your choice is needed") + " — " + subject
        message = EmailMessage(
            header_value(subject),
            (_("Your order: %(items)s") % {"items": items} + "\n\n" if items else "")
            + f"{alert_text(event)}\n\n{link}\n\n"
            + _("Your contact person: %(name)s") % {"name": event.need.owner.name},
            settings.DEFAULT_FROM_EMAIL,
            [customer.email],
        )
    return [notifications.Mail(event, notifications.AUDIENCE_CUSTOMER, message)]


@task()
def send_alert(event_id: int) -> int:
    """The alert's e-mail, recorded: 1 when sent now; 0 when there is none to send, it
    was sent before, or it failed (then the sweep tries again)."""
    event = (
        JournalEvent.objects.select_related("customer", "need__owner")
        .filter(pk=event_id, kind=EventKind.ALERT)
        .first()
    )
    if event is None:
        return 0
    done = notifications.deliver(alert_mails(event))
    return sum(1 for n in done if n.status == NotificationStatus.SENT)

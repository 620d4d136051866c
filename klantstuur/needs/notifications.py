"""Telling people what happened: run after the commit, from the journal event.

E-mail through Django's mail backend (the console in the demo). The portal and
console show the same events on their pages, so nothing here is the only
place a person learns something.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import cast

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django_tasks import task

from klantstuur.businesses.models import StaffMember
from klantstuur.core.queries import one

from . import events, reactions
from .models import EventKind, JournalEvent

TO_CUSTOMER = {
    EventKind.STAFF_MESSAGE,
    EventKind.RESOLUTION_PROPOSED,
    EventKind.HANDOFF_ACCEPTED,
    EventKind.REMEDY_GRANTED,
}
TO_OWNER = {EventKind.CUSTOMER_MESSAGE, EventKind.NEED_REOPENED}
TO_COLLEAGUES = {
    EventKind.HANDOFF_OFFERED,
    EventKind.HANDOFF_DECLINED,
    EventKind.HANDOFF_REMINDED,
    EventKind.HANDOFF_EXPIRED,
}
NOTIFIED = TO_CUSTOMER | TO_OWNER | TO_COLLEAGUES | {EventKind.NEED_OPENED}


@contextmanager
def notifications_suppressed() -> Iterator[None]:
    """For loading history (the demo): record events without reacting to them now."""
    token = reactions.suppressed.set(True)
    try:
        yield
    finally:
        reactions.suppressed.reset(token)


def react(event: JournalEvent) -> None:
    """The deferred reaction (runs in the worker): e-mail only for kinds that tell someone."""
    if event.kind in NOTIFIED:
        send_event_notifications.call(event.pk)


def _staff_emails(ids: list[int]) -> list[str]:
    return list(
        StaffMember.objects.filter(pk__in=ids).values_list("user__email", flat=True).distinct()
    )


@task()
def send_event_notifications(event_id: int) -> int:
    event = one(
        JournalEvent.objects.select_related("need__owner__user", "customer", "actor_staff").filter(
            pk=event_id
        )
    )
    if event is None or event.kind not in NOTIFIED or event.need is None:
        return 0
    need = event.need
    sent = 0
    subject_need = f"#{need.pk} {need.summary}"
    if event.kind in TO_CUSTOMER or (
        event.kind == EventKind.NEED_OPENED and event.actor_customer_id is None
    ):
        customer = event.customer
        if customer.email:
            with translation.override(customer.language or "nl"):
                body = _customer_text(event)
                link = settings.SITE_URL + reverse("portal:need", args=[need.pk])
                send_mail(
                    subject_need,
                    f"{body}\n\n{_('Your contact person')}: {need.owner.name}\n{link}\n",
                    settings.DEFAULT_FROM_EMAIL,
                    [customer.email],
                )
                sent += 1
    recipients: list[int] = []
    if event.kind in TO_OWNER or (
        event.kind == EventKind.NEED_OPENED and event.actor_customer_id is not None
    ):
        recipients.append(need.owner_id)
    if event.kind in TO_COLLEAGUES:
        for side in ("to", "from"):
            if isinstance(event.data.get(side), dict):
                recipients.append(event.data[side]["id"])
        if event.kind == EventKind.HANDOFF_OFFERED:
            recipients = [event.data["to"]["id"]]
    if recipients:
        link = settings.SITE_URL + reverse("console:need", args=[need.pk])
        send_mail(
            f"[{event.get_kind_display()}] {subject_need}",
            f"{_staff_text(event)}\n\n{link}\n",
            settings.DEFAULT_FROM_EMAIL,
            _staff_emails(recipients),
        )
        sent += 1
    return sent


def _customer_text(event: JournalEvent) -> str:
    # Each kind's payload as ``events`` writes it; read with .get, since erasing a
    # customer's personal data (privacy) may have scrubbed it since.
    match event.kind:
        case EventKind.STAFF_MESSAGE:
            message = cast(events.Message, event.data)
            return f"{event.actor_name}: {message.get('body', '')}"
        case EventKind.RESOLUTION_PROPOSED:
            proposed = cast(events.ResolutionProposed, event.data)
            return _(
                "%(name)s proposes this solution:\n%(summary)s\n\n"
                "Please confirm it, or reopen the need if it is not solved. "
                "If we hear nothing by %(date)s, we will consider it solved."
            ) % {
                "name": event.actor_name,
                "summary": proposed.get("summary", ""),
                "date": proposed.get("autoconfirm_at", "")[:10],
            }
        case EventKind.HANDOFF_ACCEPTED:
            accepted = cast(events.HandoffAccepted, event.data)
            return _("%(name)s is now your contact person for this.") % {
                "name": accepted.get("to", {}).get("name", "")
            }
        case EventKind.REMEDY_GRANTED:
            remedy = cast(events.RemedyGranted, event.data)
            return _("%(name)s granted: %(kind)s %(note)s") % {
                "name": event.actor_name,
                "kind": remedy.get("kind", ""),
                "note": remedy.get("note", ""),
            }
        case _:
            opened = cast(events.NeedOpened, event.data)
            return _("We opened this for you: %(summary)s") % {"summary": opened.get("summary", "")}


def _staff_text(event: JournalEvent) -> str:
    data = event.data
    text = data.get("body") or data.get("reason") or data.get("summary") or ""
    return f"{event.get_kind_display()} — {event.actor_name}: {text}"

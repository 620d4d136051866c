"""Telling people what happened: a deferred reaction that reads the journal (ADR 0010).

E-mail through Django's mail backend (the console in the demo), a batch of events over
one connection. Each e-mail sent is recorded (``Notification``, one per event and
audience) in the transaction that moves the reaction's cursor: sent at least once, and
not again once recorded. A failed one is retried with back-off by a sweep. The portal
and console show the same events on their pages, so nothing here is the only place a
person learns something.

Other apps send e-mail about their own events the same way (recorded, retried, listed on
the managers' failed-mail page): they ``register_composer`` the mails an event kind
causes, and send them with ``deliver`` (delivery alerts, delivery/notify.py).
"""

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple, cast
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from klantstuur.businesses.models import StaffMember
from klantstuur.core.formats import money

from . import events, mailout, reactions
from .models import EventKind, JournalEvent, Notification, NotificationStatus, RemedyKind

logger = logging.getLogger("klantstuur.notifications")

AUDIENCE_CUSTOMER = "customer"
AUDIENCE_STAFF = "staff"
# The languages a staff member may read their e-mail in.
READ_LANGUAGES = frozenset(code for code, _name in settings.LANGUAGES)
# After this many attempts a failed e-mail stays failed (and shows in the health report).
MAX_ATTEMPTS = 6
RETRY_BATCH = 100

TO_CUSTOMER = {
    EventKind.STAFF_MESSAGE,
    EventKind.RESOLUTION_PROPOSED,
    EventKind.HANDOFF_ACCEPTED,
    EventKind.REMEDY_GRANTED,
}
TO_OWNER = {
    EventKind.CUSTOMER_MESSAGE,
    EventKind.NEED_REOPENED,
    # A fellow customer answered, or someone reported an answer: the owner stays responsible.
    EventKind.PEER_ANSWER,
    EventKind.PEER_ANSWER_REPORTED,
}
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
    react_many([event])


def react_many(batch: Sequence[JournalEvent]) -> None:
    """The deferred reaction for a batch of the journal: the e-mails its events cause,
    over one connection to the mail server, each recorded as a ``Notification``."""
    ids = [e.pk for e in batch if e.kind in NOTIFIED and e.need_id is not None]
    if not ids:
        return
    found = list(
        JournalEvent.objects.select_related(
            "need__owner__user", "customer", "actor_staff", "actor_customer", "business"
        )
        .filter(pk__in=ids)
        .order_by("id")
    )
    emails = _staff_emails([i for e in found for i in _staff_recipients(e)])
    replies = mailout.reply_addresses(
        (e.need, e.customer_id)
        for e in found
        if e.need is not None and _to_customer(e) and e.customer.email
    )
    deliver([m for e in found for m in mails_for(e, emails, replies)])


@dataclass(frozen=True)
class Mail:
    event: JournalEvent
    audience: str
    message: EmailMessage


def _to_customer(event: JournalEvent) -> bool:
    """The customer hears of it: what staff did, a need opened for them, and the
    acknowledgement of a need they opened by e-mail."""
    if event.kind in TO_CUSTOMER:
        return True
    return event.kind == EventKind.NEED_OPENED and (
        event.actor_customer_id is None or event.data.get("channel") == "email"
    )


def _staff_recipients(event: JournalEvent) -> list[int]:
    need = event.need
    assert need is not None
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
    return recipients


# The mails an event kind of another app causes (the app registers it in its ready()).
Composer = Callable[[JournalEvent], list[Mail]]
_composers: dict[str, Composer] = {}


def register_composer(kind: str, composer: Composer) -> None:
    """The mails ``kind`` events cause, built anew for each attempt (the retry sweep)."""
    _composers.setdefault(kind, composer)


def deliver(mails: Sequence[Mail]) -> list[Notification]:
    """Send mails (this module's, or a registered composer's) and record each: sent, or
    failed and retried by the sweep. One already recorded for its event and audience is
    not sent again (a batch or a task run twice)."""
    events_ = {m.event.pk for m in mails}
    done = set(
        Notification.objects.filter(event_id__in=events_).values_list("event_id", "audience")
    )
    return _send([m for m in mails if (m.event.pk, m.audience) not in done], now=timezone.now())


class StaffAddress(NamedTuple):
    """A staff member's address and the language they chose ("" for none)."""

    email: str
    language: str


def mails_for(
    event: JournalEvent,
    staff_emails: dict[int, StaffAddress],
    replies: dict[tuple[int, int], str] | None = None,
) -> list[Mail]:
    """What one event tells whom: the customer (in their language, with the need's
    reply address of theirs), and the staff it concerns. Every one threads."""
    need = event.need
    if need is not None and event.kind in _composers:
        return _composers[event.kind](event)
    if event.kind not in NOTIFIED or need is None:
        return []
    mails = []
    customer = event.customer
    if _to_customer(event) and customer.email:
        if replies is None:
            replies = mailout.reply_addresses([(need, customer.pk)])
        with translation.override(customer.language or "nl"):
            message = mailout.compose(
                subject_line=mailout.subject(need),
                text=_customer_text(event)
                + "\n\n"
                + _("Your contact person: %(name)s") % {"name": need.owner.name},
                to=[customer.email],
                link=settings.SITE_URL + reverse("portal:need", args=[need.pk]),
                headers=mailout.thread_headers(
                    need_id=need.pk,
                    event_id=event.pk,
                    audience=AUDIENCE_CUSTOMER,
                    answers=str(event.data.get("message_id") or ""),
                ),
                reply_to=replies.get((need.pk, customer.pk), ""),
                extra={
                    "reply_hint": _("Reply to this e-mail to reach %(name)s.")
                    % {"name": need.owner.name}
                },
            )
        mails.append(Mail(event, AUDIENCE_CUSTOMER, message))
    for audience, language, to in _staff_groups(event, staff_emails):
        with translation.override(language):
            message = mailout.compose(
                subject_line=f"[{event.get_kind_display()}] {mailout.subject(need)}",
                text=_staff_text(event),
                to=to,
                link=settings.SITE_URL + reverse("console:need", args=[need.pk]),
                headers=mailout.thread_headers(
                    need_id=need.pk, event_id=event.pk, audience=audience
                ),
            )
        mails.append(Mail(event, audience, message))
    return mails


def _staff_groups(
    event: JournalEvent, staff_emails: dict[int, StaffAddress]
) -> list[tuple[str, str, list[str]]]:
    """The staff an event concerns, one mail per language they read: (audience,
    language, addresses). Those who chose none read the business's language, under the
    audience ``staff``; the others ``staff-<language>``, so each is recorded and retried
    on its own."""
    default = (
        event.business.language
        if event.business.language in READ_LANGUAGES
        else settings.LANGUAGE_CODE
    )
    groups: dict[str, set[str]] = {}
    for staff_id in _staff_recipients(event):
        found = staff_emails.get(staff_id)
        if found is None or not found.email:
            continue
        language = found.language if found.language in READ_LANGUAGES else default
        groups.setdefault(language, set()).add(found.email)
    return [
        (
            AUDIENCE_STAFF if language == default else f"{AUDIENCE_STAFF}-{language}",
            language,
            sorted(to),
        )
        for language, to in sorted(groups.items())
    ]


def _staff_emails(ids: list[int]) -> dict[int, StaffAddress]:
    if not ids:
        return {}
    rows = StaffMember.objects.filter(pk__in=set(ids)).values_list(
        "pk", "user__email", "user__language"
    )
    return {pk: StaffAddress(email or "", language or "") for pk, email, language in rows}


def retry_after(attempts: int) -> timedelta:
    """Back-off before the next attempt: 1, 2, 4, … minutes, at most an hour."""
    return timedelta(seconds=min(60 * 2 ** max(attempts - 1, 0), 3600))


def _send(mails: list[Mail], *, now: datetime) -> list[Notification]:
    """Send each mail, then write what happened: sent, or failed with the next attempt."""
    if not mails:
        return []
    records = []
    connection = get_connection()
    try:
        connection.open()
        opened: Exception | None = None
    except Exception as exc:  # the mail server is away: every mail fails, and is retried
        opened = exc
    try:
        for mail in mails:
            error = opened
            if error is None:
                try:
                    mail.message.connection = connection
                    mail.message.send()
                except Exception as exc:
                    error = exc
            records.append(_record(mail, now=now, error=error))
    finally:
        connection.close()
    Notification.objects.bulk_create(records, ignore_conflicts=True)
    return records


def _record(
    mail: Mail, *, now: datetime, error: Exception | None, attempts: int = 1
) -> Notification:
    if error is not None:
        logger.warning("e-mail for event %s to %s failed: %s", mail.event.pk, mail.audience, error)
    return Notification(
        business_id=mail.event.business_id,
        event=mail.event,
        audience=mail.audience,
        status=NotificationStatus.SENT if error is None else NotificationStatus.FAILED,
        attempts=attempts,
        error="" if error is None else str(error)[:300],
        created_at=now,
        sent_at=now if error is None else None,
        next_attempt_at=None
        if error is None or attempts >= MAX_ATTEMPTS
        else now + retry_after(attempts),
    )


def _retried(failed: Notification, now: datetime) -> dict[str, object]:
    """One more attempt at a failed e-mail, rebuilt from its event as it reads now."""
    event = failed.event
    emails = _staff_emails(_staff_recipients(event)) if event.need_id else {}
    mails = [m for m in mails_for(event, emails) if m.audience == failed.audience]
    if not mails:  # nobody to send it to any more (an address erased)
        return {"next_attempt_at": None, "error": "no recipient any more"}
    error: Exception | None = None
    try:
        mails[0].message.send()
    except Exception as exc:
        error = exc
    done = _record(mails[0], now=now, error=error, attempts=failed.attempts + 1)
    return {
        "status": done.status,
        "attempts": done.attempts,
        "error": done.error,
        "sent_at": done.sent_at,
        "next_attempt_at": done.next_attempt_at,
    }


def notifications_retry(now: datetime) -> int:
    """Worker sweep: failed e-mails whose next attempt is due are sent again."""
    due = list(
        Notification.objects.filter(
            status=NotificationStatus.FAILED,
            next_attempt_at__isnull=False,
            next_attempt_at__lte=now,
        )
        .select_related(
            "event__need__owner__user",
            "event__business",
            "event__customer",
            "event__actor_staff",
            "event__actor_customer",
        )
        .order_by("next_attempt_at")[:RETRY_BATCH]
    )
    for failed in due:
        Notification.objects.filter(pk=failed.pk).update(**_retried(failed, now))
    return len(due)


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
                "date": _day_words(proposed.get("autoconfirm_at", ""), event),
            }
        case EventKind.HANDOFF_ACCEPTED:
            accepted = cast(events.HandoffAccepted, event.data)
            return _("%(name)s is now your contact person for this.") % {
                "name": accepted.get("to", {}).get("name", "")
            }
        case EventKind.REMEDY_GRANTED:
            remedy = cast(events.RemedyGranted, event.data)
            granted = _("%(name)s granted: %(kind)s, %(amount)s.") % {
                "name": event.actor_name,
                "kind": _remedy_words(remedy.get("kind", "")),
                "amount": money(remedy.get("amount_cents", 0)),
            }
            note = remedy.get("note", "")
            return f"{granted}\n{note}" if note else granted
        case _:
            opened = cast(events.NeedOpened, event.data)
            if opened.get("channel") == "email":
                return _acknowledgement(event)
            return _("We opened this for you: %(summary)s") % {"summary": opened.get("summary", "")}


def _remedy_words(kind: str) -> str:
    try:
        return str(RemedyKind(kind).label)
    except ValueError:
        return kind.replace("_", " ")


def _day_words(stamp: str, event: JournalEvent) -> str:
    """An ISO timestamp of the journal as a day in the reader's words, in the business's
    time zone: nl "maandag 7 december 2026", en "Monday 7 December 2026"."""
    parsed = parse_datetime(stamp) if stamp else None
    if parsed is None:
        return stamp[:10]
    zone = ZoneInfo(event.business.time_zone) if event.business_id else None
    return date_format(timezone.localtime(parsed, zone), "l j F Y")


def _acknowledgement(event: JournalEvent) -> str:
    """The answer to an e-mail that opened a need: who owns it, and when they answer."""
    need = event.need
    assert need is not None
    values = {"name": need.owner.name, "summary": need.summary}
    if need.owner.on_duty:
        return (
            _(
                "Thank you for your e-mail about “%(summary)s”. %(name)s is your contact "
                "person for it, is at work now and answers you today."
            )
            % values
        )
    return (
        _(
            "Thank you for your e-mail about “%(summary)s”. %(name)s is your contact "
            "person for it and answers you on their next working day."
        )
        % values
    )


def _staff_text(event: JournalEvent) -> str:
    data = event.data
    text = data.get("body") or data.get("reason") or data.get("summary") or ""
    return f"{event.get_kind_display()} — {event.actor_name}: {text}"


def report() -> dict[str, int]:
    """For ``/healthz?verbose=1``: e-mails waiting for another attempt, and given up."""
    failed = Notification.objects.filter(status=NotificationStatus.FAILED)
    return {
        "retrying": failed.filter(next_attempt_at__isnull=False).count(),
        "given_up": failed.filter(next_attempt_at__isnull=True).count(),
    }

"""E-mail about a need, as it leaves: who answers where, and how it threads (docs/mail.md).

Every e-mail to a customer about a need carries a ``Reply-To`` unique to that need and
that customer, ``<slug>+<token>@<KLANTSTUUR_MAIL_DOMAIN>``; the token is random
(``secrets``), kept in ``ReplyAddress``, and mail.inbound trusts it only from the
customer's own address. Every e-mail about one need threads: its ``Message-ID`` is its
own, ``References`` and ``In-Reply-To`` name the need's thread root (and the customer's
own e-mail when the need began as one), the subject is stable (``#12 summary``).
"""

import secrets
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation

from klantstuur.businesses.models import Business
from klantstuur.core.text_guard import header_value

from .models import Need, ReplyAddress

TOKEN_BYTES = 12  # 96 bits: unguessable, and short enough for a local part


def header_safe(value: str, *, limit: int = 200) -> str:
    """One header value on one line: CR, LF and other control characters become a
    space, runs of white space one space, and at most ``limit`` characters. Everything
    this module puts in a header passes through here (a customer types the summary)."""
    return header_value(value)[:limit]


def mail_domain() -> str:
    return str(settings.KLANTSTUUR_MAIL_DOMAIN)


def business_address(slug: str) -> str:
    return f"{slug}@{mail_domain()}"


def subject(need: Need) -> str:
    """Stable for the need's whole life, so every mail client threads it."""
    return header_safe(f"#{need.pk} {need.summary}")


def thread_root(need_id: int) -> str:
    return f"<need-{need_id}@{mail_domain()}>"


def message_id(need_id: int, event_id: int, audience: str) -> str:
    return f"<need-{need_id}.{event_id}.{audience}@{mail_domain()}>"


def thread_headers(
    *, need_id: int, event_id: int, audience: str, answers: str = ""
) -> dict[str, str]:
    """``answers``: the Message-ID of the customer's e-mail this one replies to."""
    root = thread_root(need_id)
    parent = header_safe(answers, limit=500) if answers else root
    references = root if parent == root else f"{root} {parent}"
    return {
        "Message-ID": message_id(need_id, event_id, audience),
        "In-Reply-To": parent,
        "References": references,
    }


def _new_token() -> str:
    # Lower case: a local part may be case-folded on its way.
    return secrets.token_hex(TOKEN_BYTES)


def reply_addresses(pairs: Iterable[tuple[Need, int]]) -> dict[tuple[int, int], str]:
    """``<slug>+<token>@<domain>`` for each (need, customer id), made once and kept."""
    wanted = {(need.pk, customer_id): need for need, customer_id in pairs}
    if not wanted:
        return {}
    found = _known(wanted)
    missing = [key for key in wanted if key not in found]
    if missing:
        rows = [
            ReplyAddress(
                business_id=wanted[key].business_id,
                need_id=key[0],
                customer_id=key[1],
                token=_new_token(),
            )
            for key in missing
        ]
        # Two workers making the same address at once: the second one's is ignored.
        ReplyAddress.objects.bulk_create(rows, ignore_conflicts=True)
        found = _known(wanted)
    businesses = {n.business_id for n in wanted.values()}
    slugs = dict(Business.objects.filter(pk__in=businesses).values_list("pk", "slug"))
    return {
        key: f"{slugs[wanted[key].business_id]}+{token}@{mail_domain()}"
        for key, token in found.items()
    }


def _known(wanted: dict[tuple[int, int], Need]) -> dict[tuple[int, int], str]:
    rows = ReplyAddress.objects.filter(
        need_id__in={k[0] for k in wanted}, customer_id__in={k[1] for k in wanted}
    ).values_list("need_id", "customer_id", "token")
    return {(n, c): t for n, c, t in rows if (n, c) in wanted}


def compose(
    *,
    subject_line: str,
    text: str,
    to: list[str],
    link: str,
    headers: dict[str, str],
    reply_to: str = "",
    extra: dict[str, Any] | None = None,
) -> EmailMultiAlternatives:
    """Plain text, and the same as simple HTML (every value escaped by the template)."""
    message = EmailMultiAlternatives(
        header_safe(subject_line),
        f"{text}\n\n{link}\n",
        settings.DEFAULT_FROM_EMAIL,
        to,
        reply_to=[reply_to] if reply_to else None,
        headers={k: header_safe(v, limit=1000) for k, v in headers.items()},
    )
    html = render_to_string(
        "needs/mail/message.html",
        {
            "paragraphs": text.split("\n\n"),
            "link": link,
            "lang": translation.get_language() or "nl",
            **(extra or {}),
        },
    )
    message.attach_alternative(html, "text/html")
    return message

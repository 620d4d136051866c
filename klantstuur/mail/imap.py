"""IMAP polling, for a business that keeps its own mailbox (``KLANTSTUUR_IMAP_*``).

Each unseen message is fetched (which marks it seen) and given to
``mail.inbound.mail_receive``. A temporary refusal (4xx: the hourly limit, an error of
ours) is marked unseen again, to be taken at the next poll; a refusal for good gets a
bounce e-mail, unless the message was automatic. Python's ``imaplib``, nothing else.
"""

import contextlib
import imaplib
import logging
import time
from typing import Any

from django.conf import settings
from django.db import close_old_connections

from klantstuur.needs.mailout import business_address

from .inbound import bounce, mail_receive
from .parsing import Malformed, parse

logger = logging.getLogger("klantstuur.mail")


def _connect(cfg: dict[str, Any]) -> imaplib.IMAP4:
    cls = imaplib.IMAP4_SSL if cfg["IMAP_SSL"] else imaplib.IMAP4
    client = cls(cfg["IMAP_HOST"], cfg["IMAP_PORT"])
    client.login(cfg["IMAP_USER"], cfg["IMAP_PASSWORD"])
    return client


def _bounce_refused(raw: bytes, reason: str) -> None:
    try:
        parsed = parse(raw)
    except Malformed:
        return  # no sender to tell
    if not parsed.automatic:
        bounce(to=parsed.sender, reason=reason, subject=parsed.subject)


def poll_once() -> int:
    """Take every unseen message of the folder; the number taken."""
    cfg = settings.KLANTSTUUR_MAIL
    default = business_address(cfg["IMAP_BUSINESS"]) if cfg["IMAP_BUSINESS"] else ""
    client = _connect(cfg)
    taken = 0
    try:
        client.select(cfg["IMAP_FOLDER"])
        _typ, found = client.uid("search", "UNSEEN")
        for uid in (found[0] or b"").decode().split():
            _typ, fetched = client.uid("fetch", uid, "(RFC822)")
            parts = [p for p in fetched if isinstance(p, tuple)]
            if not parts:
                continue
            raw = parts[0][1]
            result = mail_receive(raw=raw, via="imap", default_recipient=default)
            if 400 <= result.code < 500:
                client.uid("store", uid, "-FLAGS", "(\\Seen)")
                continue
            if not result.accepted:
                _bounce_refused(raw, result.text)
            taken += 1
    finally:
        with contextlib.suppress(imaplib.IMAP4.error, OSError):
            client.logout()
    return taken


def poll_forever() -> None:
    seconds = settings.KLANTSTUUR_MAIL["IMAP_SECONDS"]
    while True:
        close_old_connections()  # a long-running process: no stale connection between polls
        try:
            taken = poll_once()
            if taken:
                logger.info("IMAP: %s message(s) taken", taken)
        except (imaplib.IMAP4.error, OSError) as exc:
            logger.warning("IMAP poll failed: %s", exc)
        time.sleep(seconds)

"""The SMTP receiver (aiosmtpd): ``klantstuur mail`` in production, behind the MX or a
relay; started by ``klantstuur demo`` on 127.0.0.1:2525.

Recipients of another domain are refused at RCPT; a message larger than
``MAX_MESSAGE_BYTES`` is refused by aiosmtpd itself (552); everything else goes to
``mail.inbound.mail_receive`` in a worker thread, whose answer is the SMTP reply. An
error of ours is a temporary failure (451): the sending server tries again later.
"""

import asyncio
import logging
from typing import Any

from aiosmtpd.controller import Controller
from django.conf import settings
from django.db import close_old_connections, connections
from django.utils import translation

from .inbound import Result, _address, mail_receive

logger = logging.getLogger("klantstuur.mail")


def receive_in_thread(raw: bytes, mail_from: str, rcpt_tos: list[str], via: str) -> Result:
    close_old_connections()
    try:
        # SMTP replies are read by servers and their admins: plain English, ASCII.
        with translation.override("en"):
            return mail_receive(raw=raw, via=via, envelope_from=mail_from, recipients=rcpt_tos)
    finally:
        connections.close_all()


class Handler:
    """aiosmtpd's hooks: RCPT checks the address, DATA takes the message."""

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if _address(address) is None:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8", errors="replace")
        try:
            result = await asyncio.to_thread(
                receive_in_thread, raw, envelope.mail_from or "", list(envelope.rcpt_tos), "smtp"
            )
        except Exception:
            logger.exception("inbound mail failed")
            return "451 4.3.0 Temporary failure here; please try again later"
        return result.smtp_reply


def controller(host: str | None = None, port: int | None = None) -> Controller:
    limits = settings.KLANTSTUUR_MAIL
    return Controller(
        Handler(),
        hostname=host or limits["SMTP_HOST"],
        port=port if port is not None else limits["SMTP_PORT"],
        data_size_limit=limits["MAX_MESSAGE_BYTES"],
        server_hostname=settings.KLANTSTUUR_MAIL_DOMAIN,
        ready_timeout=10,
    )

"""A real SMTP receiver on a free loopback port, and the outbox folder read back."""

import email
import smtplib
import socket
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from klantstuur.mail.smtp import controller


@pytest.fixture
def outbox(settings: Any, tmp_path: Path) -> Path:
    """Outgoing mail as real .eml files (the demo's backend)."""
    settings.EMAIL_BACKEND = "klantstuur.core.mail_outbox.OutboxBackend"
    settings.MAIL_OUTBOX_DIR = tmp_path / "outbox"
    return tmp_path / "outbox"


def read_outbox(folder: Path, *, settle: float = 60.0) -> list[EmailMessage]:
    """The .eml files, once the notifications have caught up with the journal (on a
    shared PostgreSQL cluster another database's open transaction can hold them back)."""
    from klantstuur.needs import consumers

    consumers.drain(settle_seconds=settle)
    if not folder.exists():
        return []
    found = []
    for path in sorted(folder.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        assert isinstance(message, EmailMessage)
        found.append(message)
    return found


@pytest.fixture
def smtp_port(transactional_db: Any) -> Iterator[int]:
    """``klantstuur mail``'s receiver, in a thread, sharing the test database."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    receiver = controller(host="127.0.0.1", port=port)
    receiver.start()
    try:
        yield port
    finally:
        receiver.stop()


def compose(
    *,
    sender: str = "Piet Pedaal <piet@example.net>",
    to: str = "x@klantstuur.localhost",
    subject: str = "Mijn achterband loopt aan",
    body: str = "De band schuurt langs het frame.",
    headers: dict[str, str] | None = None,
    message_id: str | None = None,
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = message_id or email.utils.make_msgid(domain="example.net")
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    return message


def send(port: int, message: EmailMessage, *, mail_from: str | None = None) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=20) as client:
        client.send_message(message, from_addr=mail_from)

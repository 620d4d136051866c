"""The demo's mail backend: every outgoing e-mail to the terminal and as an ``.eml`` file.

``<data-dir>/outbox/<time>-<n>.eml`` is the message exactly as it would go over SMTP
(headers, text and HTML parts), so a person opens it in a mail client and a test reads
it back with Python's ``email`` package. Set ``EMAIL_BACKEND`` to this class
(``klantstuur demo`` does); ``MAIL_OUTBOX_DIR`` says where.
"""

import itertools
import os
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.mail.backends.console import EmailBackend as ConsoleBackend
from django.core.mail.message import EmailMessage

_counter = itertools.count(1)
_lock = threading.Lock()


def outbox_dir() -> Path:
    return Path(settings.MAIL_OUTBOX_DIR)


class OutboxBackend(ConsoleBackend):
    """The console backend, and a file per message in the outbox folder."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        sent = super().send_messages(email_messages)
        folder = outbox_dir()
        folder.mkdir(parents=True, exist_ok=True)
        for message in email_messages:
            if not message.recipients():
                continue
            with _lock:
                number = next(_counter)
            name = f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{number:05d}.eml"
            partial = folder / f".{name}.part"
            partial.write_bytes(message.message().as_bytes())
            # Whole or not at all: a reader never sees half a message.
            partial.replace(folder / name)
        return sent

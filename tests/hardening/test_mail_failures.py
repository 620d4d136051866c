"""Issue #15: an e-mail that fails is recorded failed (never successful), retried with
back-off, and shown to the business's managers; header values are made one line
before they reach the mail library."""

import socket
from datetime import timedelta
from typing import Any

from django.core import mail
from django.core.mail import EmailMessage
from hypothesis import given
from hypothesis import strategies as st

from klantstuur.core.text_guard import header_value
from klantstuur.needs import consumers, notifications
from klantstuur.needs.models import Notification
from tests.conftest import World
from tests.helpers import open_need, settle


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed again when we return: nobody listens


def test_a_summary_with_line_breaks_is_sent_on_one_line(world: World) -> None:
    open_need(world.customer_a, by=world.owner, summary="Kapot\r\nBcc: iedereen@example.com")
    consumers.drain()
    sent = Notification.objects.get()
    assert sent.status == "sent"
    (message,) = mail.outbox
    assert "\n" not in message.subject and "\r" not in message.subject
    assert message.subject.endswith("Kapot Bcc: iedereen@example.com")
    assert message.bcc == []


def test_a_failed_mail_is_failed_retried_and_shown_to_managers(
    world: World, settings: Any, login: Any
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = (
        "127.0.0.1",
        _closed_port(),
        2,
    )
    need = open_need(world.customer_a, by=world.owner, summary="Waar blijft het?")
    settle()
    failed = Notification.objects.get()
    assert (failed.status, failed.attempts, failed.sent_at) == ("failed", 1, None)
    assert "refused" in failed.error.lower()
    assert failed.next_attempt_at == failed.created_at + timedelta(minutes=1)

    page = login(world.manager).get("/console/insight/failed-mail/")
    assert page.status_code == 200
    assert f'data-notification="{failed.pk}"'.encode() in page.content
    assert b"Waar blijft het?" in page.content
    other = login(world.stranger).get("/console/insight/failed-mail/")
    assert other.status_code == 403  # an agent, and of another business
    assert login(world.owner).get("/console/insight/failed-mail/").status_code == 403

    # The server is back: the sweep sends it on its next attempt.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert notifications.notifications_retry(failed.next_attempt_at) == 1
    sent = Notification.objects.get()
    assert (sent.status, sent.attempts, sent.next_attempt_at) == ("sent", 2, None)
    assert [m.to for m in mail.outbox] == [["a@example.com"]]
    page = login(world.manager).get("/console/insight/failed-mail/")
    assert f'data-notification="{failed.pk}"'.encode() not in page.content
    assert need.pk


def test_the_failed_mail_page_of_another_business_shows_nothing_of_mine(
    world: World, settings: Any, login: Any
) -> None:
    from klantstuur.businesses.models import Role
    from klantstuur.businesses.services import staff_create

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = (
        "127.0.0.1",
        _closed_port(),
        2,
    )
    open_need(world.customer_a, by=world.owner, summary="Geheim van X")
    settle()
    assert Notification.objects.filter(status="failed").count() == 1
    boss_y = staff_create(
        business=world.y,
        email="boss@y.example",
        name="Boss Y",
        role=Role.MANAGER,
        password="x" * 12,
    )
    page = login(boss_y).get("/console/insight/failed-mail/")
    assert page.status_code == 200
    assert b"Geheim van X" not in page.content
    assert b"data-notification" not in page.content


@given(st.text(max_size=60))
def test_any_header_value_is_one_line_the_mail_library_accepts(text: str) -> None:
    value = header_value(text)
    assert "\n" not in value and "\r" not in value
    EmailMessage(value, "body", "a@example.com", ["b@example.com"]).message()

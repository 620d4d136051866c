"""IMAP polling against a real IMAP server: Debian's Dovecot, started for the test on a
free loopback port with a Maildir of its own (skipped where Dovecot is not installed:
``apt-get install dovecot-imapd``)."""

import imaplib
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from klantstuur.mail.imap import poll_once
from klantstuur.mail.models import InboundMail
from klantstuur.needs.models import Need
from tests.conftest import World

from .conftest import compose

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
USER, PASSWORD = "shop@example.com", "imap-test-password"
NOBODY = 65534  # Dovecot refuses to run a mailbox as root

pytestmark = [
    pytest.mark.skipif(not os.path.exists(DOVECOT), reason="Dovecot is not installed"),
    pytest.mark.skipif(os.geteuid() != 0, reason="a private Dovecot here runs as root"),
]

CONF = """
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{d}/home/%u/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {d}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={uid} home={d}/home/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"""


@pytest.fixture
def imap_server(settings: Any) -> Iterator[Path]:
    """The Maildir's ``new`` folder, where a delivered message is put. (Not under
    pytest's tmp_path: Dovecot's own users must be able to reach the folder.)"""
    tmp_path = Path(tempfile.mkdtemp(prefix="ks-dovecot-"))
    tmp_path.chmod(0o755)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    base = tmp_path / "dovecot"
    for sub in ("run", "state", "home"):
        (base / sub).mkdir(parents=True)
    (base / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
    conf = base / "dovecot.conf"
    conf.write_text(CONF.format(d=base, port=port, uid=NOBODY))
    new = base / "home" / USER / "Maildir" / "new"
    for sub in ("new", "cur", "tmp"):
        (new.parent / sub).mkdir(parents=True)
    for folder, dirs, files in os.walk(base / "home"):
        for name in [folder, *(os.path.join(folder, n) for n in dirs + files)]:
            os.chown(name, NOBODY, NOBODY)
    proc = subprocess.Popen(  # noqa: S603 - our own command line
        [DOVECOT, "-c", str(conf), "-F"], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + 10
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            if time.monotonic() > deadline:
                proc.kill()
                raise
            time.sleep(0.1)
    settings.KLANTSTUUR_MAIL = {
        **settings.KLANTSTUUR_MAIL,
        "IMAP_HOST": "127.0.0.1",
        "IMAP_PORT": port,
        "IMAP_USER": USER,
        "IMAP_PASSWORD": PASSWORD,
        "IMAP_SSL": False,
        "IMAP_BUSINESS": "x",
    }
    try:
        yield new
    finally:
        subprocess.run([DOVECOT, "-c", str(conf), "stop"], check=False)  # noqa: S603
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(tmp_path, ignore_errors=True)


def deliver(new: Path, raw: bytes) -> None:
    path = new / f"{time.time():.6f}.{uuid.uuid4().hex}.test"
    path.write_bytes(raw)
    os.chown(path, NOBODY, NOBODY)


def _unseen(settings: Any) -> int:
    cfg = settings.KLANTSTUUR_MAIL
    client = imaplib.IMAP4(cfg["IMAP_HOST"], cfg["IMAP_PORT"])
    client.login(USER, PASSWORD)
    client.select("INBOX")
    found = client.uid("search", "UNSEEN")[1][0].split()
    client.logout()
    return len(found)


@pytest.mark.django_db
def test_unseen_mail_of_the_mailbox_opens_needs_once(
    world: World, imap_server: Path, settings: Any
) -> None:
    # To the shop's own mailbox: no address of ours in To, taken as the business's.
    deliver(
        imap_server,
        compose(sender="Anna A <a@example.com>", to=USER, subject="Slot klemt").as_bytes(),
    )
    deliver(
        imap_server,
        compose(sender="noreply@example.net", to=USER, subject="Out of office").as_bytes(),
    )
    assert poll_once() == 2
    need = Need.objects.get()
    assert (need.customer_id, need.summary) == (world.customer_a.pk, "Slot klemt")
    assert sorted(InboundMail.objects.values_list("via", "outcome")) == [
        ("imap", "ignored"),
        ("imap", "need_opened"),
    ]
    assert _unseen(settings) == 0
    assert poll_once() == 0  # nothing is taken twice
    assert Need.objects.count() == 1


@pytest.mark.django_db
def test_a_temporary_refusal_stays_unseen_for_the_next_poll(
    world: World, imap_server: Path, settings: Any
) -> None:
    settings.KLANTSTUUR = {**settings.KLANTSTUUR, "THROTTLE": {"mail-sender": "1/h"}}
    deliver(imap_server, compose(to=USER, subject="een").as_bytes())
    deliver(imap_server, compose(to=USER, subject="twee").as_bytes())
    assert poll_once() == 1
    assert Need.objects.count() == 1
    assert _unseen(settings) == 1

"""``klantstuur``: demo, serve, worker, mail, token create, and every Django command."""

import argparse
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any


def _setup(data_dir: str | None = None, *, demo: bool = False) -> None:
    if data_dir:
        os.environ["KLANTSTUUR_DATA_DIR"] = str(Path(data_dir).resolve())
    if demo:
        os.environ["KLANTSTUUR_DEMO"] = "1"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "klantstuur.settings")
    import django

    django.setup()


def cmd_demo(args: argparse.Namespace) -> int:
    # Every outgoing e-mail to the terminal and as an .eml file in <data-dir>/outbox/
    # (the worker, which sends them, inherits this).
    os.environ.setdefault("EMAIL_BACKEND", "klantstuur.core.mail_outbox.OutboxBackend")
    _setup(args.data_dir, demo=True)
    os.environ["SITE_URL"] = f"http://127.0.0.1:{args.port}"
    from django.conf import settings
    from django.core.management import call_command

    settings.SITE_URL = os.environ["SITE_URL"]
    call_command("migrate", interactive=False, verbosity=0)
    from klantstuur.demo.data import BUSINESSES, CUSTOMERS, DEMO_PASSWORD, demo_loaded, load_demo

    if not demo_loaded():
        load_demo()
        print("Demo data loaded.")
    url = settings.SITE_URL
    print(f"\nKlantstuur demo: {url}/   (data in {settings.DATA_DIR})")
    print(f"Staff console: {url}/console/   password for every staff login: {DEMO_PASSWORD}")
    for _slug, (name, seeds) in BUSINESSES.items():
        print(f"  {name}: " + ", ".join(s.email for s in seeds))
    print(f"Customer portal: {url}/portal/login/   (magic link shown on screen and printed here)")
    print("  customers: " + ", ".join(email for _, email in CUSTOMERS))
    print(f"API docs: {url}/api/v1/docs   token: klantstuur token create --email EMAIL")
    receiver = _start_smtp(args.smtp_port)
    sys.stdout.flush()
    # The worker stops by itself if this process dies without cleaning up.
    env = {**os.environ, "KLANTSTUUR_PARENT_PID": str(os.getpid())}
    worker = subprocess.Popen([sys.executable, "-m", "klantstuur", "worker"], env=env)
    try:
        import uvicorn

        uvicorn.run(
            "klantstuur.asgi:application",
            host="127.0.0.1",
            port=args.port,
            log_level="warning",
            lifespan="off",
            # Open live streams (SSE) must not keep Ctrl-C waiting.
            timeout_graceful_shutdown=3,
        )
    finally:
        if receiver is not None:
            receiver.stop()
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=10)
        except subprocess.TimeoutExpired:
            worker.kill()
    return 0


def _start_smtp(port: int) -> Any:
    """The demo's SMTP receiver on 127.0.0.1 (issue #11), in a thread of this process."""
    from django.conf import settings

    from klantstuur.core.mail_outbox import outbox_dir
    from klantstuur.mail.smtp import controller

    if port <= 0:
        return None
    receiver = controller(host="127.0.0.1", port=port)
    try:
        receiver.start()
    except Exception as exc:
        print(f"E-mail in: not started on 127.0.0.1:{port} ({exc})")
        return None
    print(
        f"E-mail in: SMTP on 127.0.0.1:{port}; write to fietsenwinkel@"
        f"{settings.KLANTSTUUR_MAIL_DOMAIN}. E-mail out: {outbox_dir()}/*.eml\n"
    )
    return receiver


def cmd_mail(args: argparse.Namespace) -> int:
    """The SMTP receiver (and, with --imap, IMAP polling) until stopped."""
    _setup()
    import threading

    from klantstuur.mail.imap import poll_forever
    from klantstuur.mail.smtp import controller

    receiver = None
    if not args.no_smtp:
        receiver = controller(host=args.host, port=args.port)
        receiver.start()
        print(f"klantstuur mail: SMTP on {args.host}:{args.port}", flush=True)
    if args.imap:
        threading.Thread(target=poll_forever, name="imap", daemon=True).start()
        print("klantstuur mail: polling IMAP", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_a: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        if receiver is not None:
            receiver.stop()
    return 0


def _keep_tcp_nodelay() -> None:
    """uvicorn's shared socket for --workers > 1 is made with proto 0, so asyncio
    never sets TCP_NODELAY and every keep-alive response waits ~40 ms for a delayed
    ACK (uvicorn issue #3149). Re-wrap it as an explicit TCP socket."""
    import socket

    from uvicorn.config import Config

    original = Config.bind_socket

    def bind_socket(self: Config) -> socket.socket:
        sock = original(self)
        if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.proto == 0:
            sock = socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, fileno=sock.detach())
        return sock

    Config.bind_socket = bind_socket  # type: ignore[method-assign]


def cmd_serve(args: argparse.Namespace) -> int:
    _setup()
    import uvicorn

    if args.workers > 1:
        _keep_tcp_nodelay()

    uvicorn.run(
        "klantstuur.asgi:application",
        host=args.host,
        port=args.port,
        workers=args.workers,
        proxy_headers=True,
        lifespan="off",
        timeout_graceful_shutdown=10,
        # One log line per request costs more than a simple API call; the proxy in
        # front usually keeps the access log.
        access_log=args.access_log,
    )
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    _setup()
    from klantstuur.worker import run_forever

    parent = os.environ.get("KLANTSTUUR_PARENT_PID", "")
    run_forever(parent_pid=int(parent) if parent.isdigit() else None)
    return 0


def cmd_token(args: argparse.Namespace) -> int:
    _setup()
    from klantstuur.accounts.services import token_for_email
    from klantstuur.core.errors import DomainError

    try:
        print(token_for_email(email=args.email, business_slug=args.business))
    except DomainError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    return 0


def cmd_simulate(args: argparse.Namespace) -> int:
    """Set up a fresh terrace (same database), play the service through the HTTP API at
    ``--base``, print one JSON line of figures (API.md, v1 additions)."""
    _setup()
    import json

    from klantstuur.demo.terrace_play import Options, live_figures, play
    from klantstuur.demo.terrace_setup import (
        live_missed,
        plates_checked,
        terrace_create,
        terrace_figures,
    )

    if args.organisation not in ("steered", "process"):
        print("error: --organisation is steered or process", file=sys.stderr)
        return 2
    runners = args.runners or max(2, args.tables // 8)
    terrace = terrace_create(tables=args.tables, runners=runners, organisation=args.organisation)
    options = Options(
        base=args.base.rstrip("/"),
        tables=args.tables,
        minutes=args.minutes,
        speed=args.speed,
        organisation=args.organisation,
        runners=runners,
        kitchen_speed=args.kitchen_speed,
        seed=args.seed,
    )
    stats = play(terrace, options)
    figures = terrace_figures(business_id=terrace.business_id, speed=args.speed)
    out = {
        "organisation": args.organisation,
        **figures,
        **plates_checked(business_id=terrace.business_id, intended=stats.intended),
        "wrong_deliveries": stats.wrong_made,
        **live_figures(stats),
        **live_missed(
            business_id=terrace.business_id, received=stats.received, windows=stats.windows
        ),
        "errors": len(stats.errors),
        "business": terrace.slug,
    }
    for error in stats.errors[:20]:
        print(f"error: {error}", file=sys.stderr)
    print(json.dumps(out))
    return 0 if not stats.errors else 1


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog="klantstuur", description=__doc__)
    sub = parser.add_subparsers(dest="command")

    demo = sub.add_parser("demo", help="migrate, load the demo, serve pages, API and worker")
    demo.add_argument("--port", type=int, default=8000)
    demo.add_argument("--data-dir", default=os.environ.get("KLANTSTUUR_DATA_DIR", ".klantstuur"))
    demo.add_argument("--smtp-port", type=int, default=2525, help="0: no SMTP receiver")
    demo.set_defaults(func=cmd_demo)

    mail = sub.add_parser("mail", help="receive e-mail: SMTP (and IMAP polling with --imap)")
    mail.add_argument("--host", default=os.environ.get("KLANTSTUUR_SMTP_HOST", "127.0.0.1"))
    mail.add_argument(
        "--port", type=int, default=int(os.environ.get("KLANTSTUUR_SMTP_PORT", "2525"))
    )
    mail.add_argument("--imap", action="store_true", help="also poll KLANTSTUUR_IMAP_* mailbox")
    mail.add_argument("--no-smtp", action="store_true", help="IMAP polling only")
    mail.set_defaults(func=cmd_mail)

    serve = sub.add_parser(
        "serve", help="the web process (configure with DATABASE_URL, SECRET_KEY…)"
    )
    serve.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    serve.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    serve.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "1")))
    serve.add_argument("--access-log", action="store_true", help="log every request")
    serve.set_defaults(func=cmd_serve)

    worker = sub.add_parser("worker", help="the background worker")
    worker.set_defaults(func=cmd_worker)

    token = sub.add_parser("token", help="API tokens")
    token_sub = token.add_subparsers(dest="token_command", required=True)
    create = token_sub.add_parser(
        "create", help="print a new API token for a staff member or customer"
    )
    create.add_argument("--email", required=True)
    create.add_argument(
        "--business", default=None, help="business slug (needed for a customer of several)"
    )
    create.set_defaults(func=cmd_token)

    simulate = sub.add_parser("simulate", help="rehearse a busy service against a running instance")
    sim_sub = simulate.add_subparsers(dest="scenario", required=True)
    terrace = sim_sub.add_parser("terrace", help="a busy Saturday on the terrace")
    terrace.add_argument("--base", default="http://127.0.0.1:8000")
    terrace.add_argument("--tables", type=int, default=40)
    terrace.add_argument("--minutes", type=float, default=120)
    terrace.add_argument("--speed", type=float, default=60)
    terrace.add_argument("--organisation", default="steered", help="steered or process")
    terrace.add_argument("--runners", type=int, default=0, help="default: one per 8 tables")
    terrace.add_argument(
        "--kitchen-speed", type=float, default=1.0, help="times the menu's prep minutes"
    )
    terrace.add_argument("--seed", type=int, default=13)
    terrace.set_defaults(func=cmd_simulate)

    known = {"demo", "serve", "worker", "token", "mail", "simulate", "-h", "--help"}
    if argv and argv[0] not in known:
        # Anything else is a Django management command: klantstuur migrate, createsuperuser…
        _setup()
        from django.core.management import execute_from_command_line

        execute_from_command_line(["klantstuur", *argv])
        return 0
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 1
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())

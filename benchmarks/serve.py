"""``klantstuur serve`` with benchmark-only fixes switched on, to measure them (A/B).

    python benchmarks/serve.py [--nodelay-fix] --host 127.0.0.1 --port 8765 --workers 2

``--nodelay-fix``: uvicorn's ``Config.bind_socket()`` (used for ``--workers`` > 1)
creates the listening socket with ``proto = 0``; accepted sockets inherit it and
asyncio only sets ``TCP_NODELAY`` when ``proto == IPPROTO_TCP``. Nagle's algorithm
then holds back the response body until the client's delayed ACK (~40 ms) on every
keep-alive request after the first (uvicorn issue #3149). The fix re-wraps the
bound socket with ``IPPROTO_TCP``; the worker processes inherit it.

The connection pool is switched on separately with
``DJANGO_SETTINGS_MODULE=benchmarks.settings_pool``.
"""

import socket
import sys
from pathlib import Path


def patch_uvicorn_nodelay() -> None:
    from uvicorn.config import Config

    original = Config.bind_socket

    def bind_socket(self: Config) -> socket.socket:
        sock = original(self)
        if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.proto == 0:
            sock = socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, fileno=sock.detach())
        return sock

    Config.bind_socket = bind_socket  # type: ignore[method-assign]


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    argv = sys.argv[1:]
    if "--nodelay-fix" in argv:
        argv.remove("--nodelay-fix")
        patch_uvicorn_nodelay()
    from klantstuur.cli import main

    sys.exit(main(["serve", *argv]))

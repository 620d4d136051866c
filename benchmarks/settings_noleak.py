"""Benchmark-only settings: the project's settings with ``CONN_MAX_AGE = 0``.

As shipped (``conn_max_age=60``) the ASGI server leaks one PostgreSQL connection
per request until garbage collection (each request runs in a fresh thread, and
``close_old_connections`` keeps a connection younger than 60 s open). Under a
write benchmark that exhausts ``max_connections`` for everyone on the server, so
``bench_create.py`` uses this module unless ``--leaky`` is given: same cost per
request (a new connection each time), but each is closed when the request ends.
"""

from klantstuur.settings import *  # noqa: F403
from klantstuur.settings import DATABASES

DATABASES["default"]["CONN_MAX_AGE"] = 0

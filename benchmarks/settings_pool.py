"""Benchmark-only settings: the project's settings plus a psycopg connection pool.

Used to measure the recommendation in docs/performance.md (``DJANGO_SETTINGS_MODULE=
benchmarks.settings_pool``). Under ASGI, Django's persistent connections
(``CONN_MAX_AGE``) do not work: every request runs in a fresh thread, so it opens
a new PostgreSQL connection (a new backend process) and leaves the old one to be
garbage-collected. Django 5.1+ supports psycopg's pool instead
(``OPTIONS["pool"]``, needs the ``psycopg-pool`` package, ``CONN_MAX_AGE = 0``).
"""

from klantstuur.settings import *  # noqa: F403
from klantstuur.settings import DATABASES

if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 2,
        "max_size": 4,
        "timeout": 10,
    }

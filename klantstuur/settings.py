"""Settings, configured from the environment.

The embedded default is SQLite in a data directory (``KLANTSTUUR_DATA_DIR``,
default ``./.klantstuur``); ``DATABASE_URL`` switches to PostgreSQL.
"""

import os
import secrets
from pathlib import Path
from typing import Any

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("KLANTSTUUR_DATA_DIR", ".klantstuur")).resolve()


def _env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, "1" if default else "0").lower() in {"1", "true", "yes", "on"}


def _secret_key() -> str:
    if key := os.environ.get("SECRET_KEY"):
        return key
    # Without SECRET_KEY (the demo, a laptop), keep a generated key in the data dir
    # so sessions and magic links survive restarts.
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = _env_bool("KLANTSTUUR_DEBUG")
DEMO_MODE = _env_bool("KLANTSTUUR_DEMO")
ALLOWED_HOSTS = os.environ.get("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver").split(",")
CSRF_TRUSTED_ORIGINS = [
    o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "ninja",  # serves Swagger UI from its own static files, not a CDN
    "klantstuur.core",
    "klantstuur.accounts",
    "klantstuur.businesses",
    "klantstuur.customers",
    "klantstuur.needs",
    "klantstuur.catalog",
    "klantstuur.floor",
    "klantstuur.orders",
    "klantstuur.delivery",
    "klantstuur.delivery.instructions",
    "klantstuur.feedback",
    "klantstuur.community",
    "klantstuur.metrics",
    "klantstuur.privacy",
    "klantstuur.live",
    "klantstuur.mail",
    "klantstuur.integrations",
    "klantstuur.api",
    "klantstuur.console",
    "klantstuur.portal",
    "klantstuur.demo",
]

MIDDLEWARE = [
    # First: every response and log line carries the request id (issue #15).
    "klantstuur.core.observability.RequestIdMiddleware",
    # A live stream needs ASGI; under WSGI it answers 204 instead of hanging.
    "klantstuur.core.middleware.NoEndlessStreamsUnderWSGI",
    "django.middleware.security.SecurityMiddleware",
    # No NUL, control character or lone surrogate gets past here (issue #15).
    "klantstuur.core.text_guard.TextGuardMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Permissions-Policy; no-store for logged-in pages and token calls (issue #15).
    "klantstuur.core.security.SecurityHeadersMiddleware",
    "csp.middleware.CSPMiddleware",
    "klantstuur.core.middleware.LanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Before the key is claimed: a body that is not JSON is refused (415) and not stored.
    "klantstuur.api.content_type.JsonBodyMiddleware",
    "klantstuur.api.idempotency.IdempotencyMiddleware",
]

ROOT_URLCONF = "klantstuur.urls"
WSGI_APPLICATION = "klantstuur.wsgi.application"
ASGI_APPLICATION = "klantstuur.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "klantstuur.core.context_processors.klantstuur",
            ],
        },
    },
]

# ``pgbouncer`` when DATABASE_URL points at PgBouncer in transaction mode (docs/operations.md).
DB_POOLER = os.environ.get("KLANTSTUUR_DB_POOLER", "").strip().lower()
if DB_POOLER not in ("", "pgbouncer"):
    raise ValueError(f"KLANTSTUUR_DB_POOLER: 'pgbouncer' or empty, not {DB_POOLER!r}")
# Read-your-writes: a client that wrote reads from the primary for this long.
REPLICA_PIN_SECONDS = float(os.environ.get("KLANTSTUUR_REPLICA_PIN_SECONDS", "5"))


def _postgres(url: str) -> dict[str, Any]:
    """One PostgreSQL alias: a psycopg pool, tuned for a direct server or for PgBouncer.

    A psycopg pool instead of persistent connections: under ASGI a persistent
    connection is never reused, only leaked; opening one per request costs a
    PostgreSQL backend each time (~4 ms here). Server-side binding lets psycopg
    prepare a statement after its second use on a connection, so the planner
    does not re-plan the same query on every request (the token lookup's join
    cost 1.7 ms of planning for 0.2 ms of execution).
    """
    db: dict[str, Any] = dict(dj_database_url.parse(url, conn_max_age=0))
    # The pool checks a connection before handing it out (ConnectionPool.check_connection),
    # so one broken by a database restart is replaced rather than failing a request.
    db["CONN_HEALTH_CHECKS"] = True
    db.setdefault("OPTIONS", {}).update(
        {
            "pool": {
                "min_size": 1,
                "max_size": int(os.environ.get("KLANTSTUUR_DB_POOL_SIZE", "8")),
                # Waiting this long for a free connection, then 503 (core/db_trouble.py).
                "timeout": float(os.environ.get("KLANTSTUUR_DB_POOL_TIMEOUT", "10")),
                # After a database restart (issue #15): a reconnect attempt gives up after
                # 5 s, and the next request starts a new one at once instead of waiting out
                # a doubling back-off (57 s measured); CONN_HEALTH_CHECKS below.
                "reconnect_timeout": float(os.environ.get("KLANTSTUUR_DB_RECONNECT_TIMEOUT", "5")),
                "max_lifetime": 30 * 60,
            },
            "server_side_binding": True,
            "prepare_threshold": 2,
        }
    )
    if DB_POOLER == "pgbouncer":
        # Transaction pooling hands each transaction to any server connection, so
        # nothing may outlive one: no named prepared statements (PgBouncer before
        # 1.21 cannot track them) and no server-side cursors (``.iterator()``).
        # Server-side binding itself (unnamed statements) works through it.
        db["OPTIONS"]["prepare_threshold"] = None
        db["DISABLE_SERVER_SIDE_CURSORS"] = True
    return db


if os.environ.get("DATABASE_URL"):
    DATABASES = {"default": _postgres(os.environ["DATABASE_URL"])}
    DATABASES["default"].setdefault("TEST", {})
    if test_name := os.environ.get("KLANTSTUUR_TEST_DB_NAME"):
        DATABASES["default"]["TEST"]["NAME"] = test_name
    if listen_url := os.environ.get("DATABASE_LISTEN_URL"):
        # The live listener's LISTEN holds a session, which transaction pooling cannot
        # give: it connects here directly (klantstuur/live/broker.py), past PgBouncer.
        LIVE_LISTEN_DATABASE: dict[str, Any] = dict(dj_database_url.parse(listen_url))
        if LIVE_LISTEN_DATABASE["NAME"] == DATABASES["default"]["NAME"]:
            LIVE_LISTEN_DATABASE["NAME"] = ""  # the app's own database (the test one under pytest)
    if replica_url := os.environ.get("DATABASE_REPLICA_URL"):
        # Reads of GET requests go to a streaming replica (klantstuur/core/db_router.py);
        # under tests it mirrors the default database.
        DATABASES["replica"] = _postgres(replica_url)
        DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
        DATABASE_ROUTERS = ["klantstuur.core.db_router.ReplicaRouter"]
        # After WhiteNoise (static files read no database), before anything that reads.
        after = MIDDLEWARE.index("whitenoise.middleware.WhiteNoiseMiddleware") + 1
        MIDDLEWARE.insert(after, "klantstuur.core.db_router.ReplicaMiddleware")
else:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(DATA_DIR / "klantstuur.sqlite3"),
            "OPTIONS": {
                # IMMEDIATE takes the write lock at BEGIN, so the web server and the
                # worker never deadlock upgrading a read lock; WAL lets reads go on.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "sesame.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
LOGIN_URL = "console:login"
LOGIN_REDIRECT_URL = "console:home"

# Customer magic links: valid for a day, usable once.
SESAME_MAX_AGE = 24 * 60 * 60
SESAME_ONE_TIME = True
SESAME_TOKEN_NAME = "t"  # noqa: S105 - the query parameter name, not a secret

LANGUAGE_CODE = "nl"
LANGUAGES = [("nl", _("Dutch")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Europe/Amsterdam"
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
WHITENOISE_USE_FINDERS = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "klantstuur@localhost")

# E-mail in and out (docs/mail.md): each business receives at <slug>@<domain>, and each
# need's e-mails carry a Reply-To of <slug>+<token>@<domain>.
KLANTSTUUR_MAIL_DOMAIN = os.environ.get("KLANTSTUUR_MAIL_DOMAIN", "klantstuur.localhost").lower()
# The demo's mail backend writes every outgoing e-mail here as an .eml file as well.
MAIL_OUTBOX_DIR = Path(os.environ.get("KLANTSTUUR_MAIL_OUTBOX", str(DATA_DIR / "outbox")))
KLANTSTUUR_MAIL: dict[str, Any] = {
    # A whole message larger than this is refused (SMTP 552, a bounce elsewhere).
    "MAX_MESSAGE_BYTES": int(os.environ.get("KLANTSTUUR_MAIL_MAX_BYTES", str(15 * 1024 * 1024))),
    # One attachment larger than this is left out (and the message says so).
    "MAX_ATTACHMENT_BYTES": int(
        os.environ.get("KLANTSTUUR_MAIL_MAX_ATTACHMENT_BYTES", str(10 * 1024 * 1024))
    ),
    "MAX_ATTACHMENTS": 10,
    # SMTP receiver (klantstuur mail); the demo uses 127.0.0.1:2525.
    "SMTP_HOST": os.environ.get("KLANTSTUUR_SMTP_HOST", "127.0.0.1"),
    "SMTP_PORT": int(os.environ.get("KLANTSTUUR_SMTP_PORT", "2525")),
    # IMAP polling of a business's own mailbox (klantstuur mail --imap).
    "IMAP_HOST": os.environ.get("KLANTSTUUR_IMAP_HOST", ""),
    "IMAP_PORT": int(os.environ.get("KLANTSTUUR_IMAP_PORT", "993")),
    "IMAP_USER": os.environ.get("KLANTSTUUR_IMAP_USER", ""),
    "IMAP_PASSWORD": os.environ.get("KLANTSTUUR_IMAP_PASSWORD", ""),
    "IMAP_FOLDER": os.environ.get("KLANTSTUUR_IMAP_FOLDER", "INBOX"),
    "IMAP_SSL": os.environ.get("KLANTSTUUR_IMAP_SSL", "1") not in ("0", "false", "no"),
    "IMAP_SECONDS": int(os.environ.get("KLANTSTUUR_IMAP_SECONDS", "60")),
    # Where mail fetched by IMAP counts as sent to when its To: names no business.
    "IMAP_BUSINESS": os.environ.get("KLANTSTUUR_IMAP_BUSINESS", ""),
    # Signing secret (whsec_…) of the inbound webhook (POST /api/v1/mail/inbound).
    "WEBHOOK_SECRET": os.environ.get("KLANTSTUUR_MAIL_WEBHOOK_SECRET", ""),
}

TASKS = {
    "default": {
        "BACKEND": os.environ.get("KLANTSTUUR_TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

# The throttles' counters (klantstuur/core/throttle.py): Redis shared by every process in
# production; without REDIS_URL each process counts for itself (the demo is one process).
if REDIS_URL := os.environ.get("REDIS_URL", ""):
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# A cache that fails lets people in (throttle.py logs it) instead of locking everyone out.
RATELIMIT_FAIL_OPEN = True

SESSION_COOKIE_HTTPONLY = True
# Secure cookies by default; the demo and DEBUG run on plain http://127.0.0.1.
SESSION_COOKIE_SECURE = _env_bool("KLANTSTUUR_SECURE_COOKIES", default=not (DEBUG or DEMO_MODE))
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_SAMESITE = "Lax"

# HTTPS deployment (docs/operations.md): when SITE_URL is https://, plain http is
# redirected (but /healthz, for the load balancer), HSTS is sent, and the TLS-ending
# proxy's X-Forwarded-Proto says a request came in over HTTPS.
HTTPS = SITE_URL.startswith("https://")
SECURE_SSL_REDIRECT = HTTPS and _env_bool("KLANTSTUUR_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = int(os.environ.get("KLANTSTUUR_HSTS_SECONDS", "31536000")) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = _env_bool("KLANTSTUUR_HSTS_SUBDOMAINS")
SECURE_HSTS_PRELOAD = False  # a promise to browsers that is hard to take back: the operator's
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp): scripts, styles, images and connections only from
# this site; no inline script, no eval. Style attributes are allowed (seat positions on
# the runner's plate map); they cannot run code. ADR 0015.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# One JSON object per line on stderr, each with the request id; every unhandled
# exception (django.request) with its traceback (docs/operations.md, issue #15).
LOG_FORMAT = os.environ.get("KLANTSTUUR_LOG_FORMAT", "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "klantstuur.core.observability.RequestIdFilter"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            "timestamp": False,
        },
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": "text" if LOG_FORMAT == "text" else "json",
        }
    },
    "loggers": {
        "klantstuur": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
        # 5xx with traceback; 4xx (WARNING) only when asked, they are the callers' mistakes.
        "django.request": {
            "handlers": ["console"],
            "level": os.environ.get("KLANTSTUUR_REQUEST_LOG_LEVEL", "ERROR"),
            "propagate": False,
        },
        "django.security": {"handlers": ["console"], "level": "WARNING", "propagate": False},
    },
}

# Optional: errors to Sentry as well (off unless SENTRY_DSN is set).
if SENTRY_DSN := os.environ.get("SENTRY_DSN", ""):
    from klantstuur.core.observability import init_sentry

    init_sentry(
        SENTRY_DSN,
        environment=os.environ.get("SENTRY_ENVIRONMENT", "production"),
        traces_sample_rate=float(os.environ.get("SENTRY_TRACES_SAMPLE_RATE", "0")),
    )

# Product defaults (a business may override some of them).
KLANTSTUUR: dict[str, Any] = {
    # Throttles (klantstuur/core/throttle.py, docs/operations.md): rates over its defaults.
    # New needs one sender may open by e-mail per hour; more are refused for now (SMTP 450).
    "THROTTLE": {"mail-sender": f"{int(os.environ.get('KLANTSTUUR_MAIL_NEEDS_PER_HOUR', '10'))}/h"},
    # An unanswered handoff reminds both at half time and expires after this.
    "HANDOFF_EXPIRY_MINUTES": 120,
    # A proposed resolution with no answer is confirmed after this many days,
    # announced to the customer when it is proposed.
    "AUTOCONFIRM_DAYS": 7,
    # How often the worker sweeps for due reminders, expiries and confirmations.
    "SWEEP_SECONDS": 30,
    # Nobody is asked the same survey (CSAT, CES, NPS) more than once in this many days.
    "SURVEY_GUARD_DAYS": 30,
    # The journal is the queue (ADR 0010): events a reaction takes per batch, how many
    # partitions of the journal (by business) a reaction's work is split into so several
    # worker processes share it, and after how many seconds behind a reaction is late.
    "REACTION_BATCH": int(os.environ.get("KLANTSTUUR_REACTION_BATCH", "500")),
    "REACTION_PARTITIONS": {
        name: int(count)
        for name, _, count in (
            part.partition("=")
            for part in os.environ.get("KLANTSTUUR_REACTION_PARTITIONS", "").split(",")
            if "=" in part
        )
    },
    "REACTION_LAG_WARN": 60,
    # Tests only: deferred reactions run in the committing process right after the commit.
    "REACTIONS_INLINE": False,
    # The longest a request may run: a pending Idempotency-Key claim left by the earlier
    # scheme (committed before its write) is free again after this. Claims are now in the
    # write's transaction and go with a killed request at once (accounts/idempotency.py).
    "REQUEST_TIMEOUT_SECONDS": 60,
    # Outgoing webhooks (docs/integrations.md): time-out per attempt, back-off base and cap,
    # when to give up and switch the endpoint off, and whether private or loopback
    # addresses may receive them (development, the demo and tests only).
    "WEBHOOK_TIMEOUT_SECONDS": float(os.environ.get("KLANTSTUUR_WEBHOOK_TIMEOUT_SECONDS", "5")),
    "WEBHOOK_RETRY_BASE_SECONDS": float(
        os.environ.get("KLANTSTUUR_WEBHOOK_RETRY_BASE_SECONDS", "10")
    ),
    "WEBHOOK_RETRY_MAX_SECONDS": 3600,
    "WEBHOOK_GIVE_UP_HOURS": 24,
    # The delivery log keeps sent and given-up messages (and their attempts) this long.
    "WEBHOOK_LOG_DAYS": int(os.environ.get("KLANTSTUUR_WEBHOOK_LOG_DAYS", "30")),
    "WEBHOOK_BATCH": int(os.environ.get("KLANTSTUUR_WEBHOOK_BATCH", "200")),
    "WEBHOOK_CONCURRENCY": int(os.environ.get("KLANTSTUUR_WEBHOOK_CONCURRENCY", "16")),
    "WEBHOOKS_ALLOW_PRIVATE": DEBUG or DEMO_MODE or _env_bool("KLANTSTUUR_WEBHOOKS_ALLOW_PRIVATE"),
}

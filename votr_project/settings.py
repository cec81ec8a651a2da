"""Votr's settings: one module, configured only from the environment.

Production differs from development by environment values alone. Every variable read here is
listed, with its default, in the README's "Configuration" table.
https://docs.djangoproject.com/en/5.2/topics/settings/

Longer than Votr's other modules on purpose: it is the one place where every setting, its
environment variable and the reason for its value are read together, one section per subject
(as Heroku's example and HackSoft's styleguide keep it), and splitting it into modules would
spread one decision (a timeout, a cookie flag) over several files. The helpers that read and
validate variables live in votr_project/env.py.
"""

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from votr_project.env import env_bool, env_int, env_list, env_rate, env_site_url

BASE_DIR = Path(__file__).resolve().parent.parent

# Local state of the embedded defaults (the SQLite file sits next to manage.py, the broker-less
# queue and the beat schedule in .votr/). Git ignores both.
LOCAL_STATE_DIR = BASE_DIR / ".votr"

# --- Core -----------------------------------------------------------------------------------

DEBUG = env_bool("DJANGO_DEBUG", default=False)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. Set it to a long random string in production, "
            "or set DJANGO_DEBUG=1 for local development."
        )
    SECRET_KEY = "django-insecure-local-development-only-never-use-in-production"  # noqa: S105
elif not DEBUG and (
    len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5 or SECRET_KEY.startswith("django-insecure")
):
    # Django's own deploy check (security.W009) only warns. The value is never echoed.
    # https://docs.djangoproject.com/en/5.2/ref/checks/#security
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY is too weak for production: use at least 50 characters, at least 5 "
        "of them different, not starting with 'django-insecure' (for example the output of "
        "python -c 'import secrets; print(secrets.token_urlsafe(50))')."
    )

ALLOWED_HOSTS = env_list(
    "DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else []
)
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "DJANGO_ALLOWED_HOSTS is not set. Name the host names this site answers to, "
        "comma-separated (for example votr.example.com,.herokuapp.com)."
    )
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

# Account emails (activation, password reset) are written by the Celery worker, which has no
# request to take the host from: their links start with this address.
SITE_URL = env_site_url("DJANGO_SITE_URL", default="http://127.0.0.1:8000" if DEBUG else None)

INSTALLED_APPS = [
    "polls",
    "accounts",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.humanize",
    # Serve static files with whitenoise under runserver too, so development matches production.
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "axes",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
]

MIDDLEWARE = [
    # First, so that every response (static files, redirects, error pages) carries the request
    # id and the Content-Security-Policy.
    "votr_project.middleware.RequestIdMiddleware",
    "votr_project.middleware.ContentSecurityPolicyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # A database error raised by a view: 503 (down, hung) or 409 (a constraint), never a 500.
    "votr_project.database_errors.DatabaseErrorMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Over-long URLs (414) and bodies in a charset other than UTF-8 (400): refused here, before
    # the CSRF check or a view reads the body, and after every middleware above, so the answer
    # carries the security headers. None of the above reads the body.
    "votr_project.middleware.RequestLimitsMiddleware",
    # Last, as django-axes asks: it turns a lockout into the locked-out page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "votr_project.urls"
WSGI_APPLICATION = "votr_project.wsgi.application"

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
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------------
# DATABASE_URL (Heroku sets it) or, by default, a SQLite file next to manage.py.
# https://github.com/jazzband/dj-database-url

try:
    DATABASES = {
        "default": dj_database_url.config(
            default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
            conn_max_age=env_int("DJANGO_CONN_MAX_AGE", 600),
            conn_health_checks=True,
        )
    }
except ValueError:
    # The URL holds a password, so the message names the variable and never echoes its value.
    raise ImproperlyConfigured(
        "DATABASE_URL is not a database URL Votr understands "
        "(expected postgres://user:password@host:port/name or sqlite:///path)."
    ) from None

# A database that stops answering must cost a request seconds, not the whole gunicorn timeout:
# a connection attempt and each statement have a deadline (in seconds, 0 for none). Requests and
# tasks share them; `manage.py migrate`, whose backfills may run long, runs without the statement
# timeout (polls/management/commands/migrate.py). Past a deadline the page or API answers 503.
DB_CONNECT_TIMEOUT = env_int("DJANGO_DB_CONNECT_TIMEOUT", 3)
DB_STATEMENT_TIMEOUT = env_int("DJANGO_DB_STATEMENT_TIMEOUT", 5)

if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # statement_timeout is enforced by the server. A server that hangs enforces nothing, so
    # votr_project/database.py gives up waiting on the client side, connecting included (a
    # psycopg2 wait callback with a deadline). libpq's connect_timeout (2 s at least) only
    # bounds a blocking connect, made by a process before the callback is installed. Name
    # lookups are bounded by neither.
    # https://www.postgresql.org/docs/current/libpq-connect.html#LIBPQ-CONNECT-CONNECT-TIMEOUT
    # https://www.postgresql.org/docs/current/runtime-config-client.html#GUC-STATEMENT-TIMEOUT
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options["connect_timeout"] = max(2, DB_CONNECT_TIMEOUT)
    _options["options"] = " ".join(
        filter(None, [_options.get("options"), f"-c statement_timeout={DB_STATEMENT_TIMEOUT}s"])
    )

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server and the Celery worker write to the same file at once. WAL lets readers and
    # one writer proceed together; IMMEDIATE transactions take the write lock up front, so two
    # writers queue on the busy timeout instead of failing with "database is locked".
    # https://docs.djangoproject.com/en/5.2/ref/databases/#sqlite-transaction-behavior
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        # How long a writer waits for the write lock before "database is locked" (a 503).
        "timeout": DB_STATEMENT_TIMEOUT or 3600,
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ------------------------------------------------------------------------------------
# Throttle counts (API and page forms, polls/services/limits.py) live in the default cache, which
# every web process and dyno shares.
# With REDIS_URL (what Heroku's Key-Value Store add-on sets): Django's Redis cache (redis-py with
# hiredis). Heroku serves it over TLS (rediss://) with a self-signed certificate, which Heroku's
# guide for Django says not to verify; plain redis:// URLs get no TLS options at all.
# https://devcenter.heroku.com/articles/connecting-heroku-redis#connecting-in-python
# Short socket timeouts: a hung or unreachable Redis costs a request a fraction of a second, and
# the throttles then let requests through for a while (logged once) rather than answer 500.
# Without REDIS_URL: a table in the site's database (migration polls 0006 creates it, so
# `migrate` alone is enough), whose entries are never culled while unexpired; the worker's beat
# purges expired ones (votr_project/cache.py).
# https://docs.djangoproject.com/en/5.2/topics/cache/

CACHE_TABLE = "votr_cache"
REDIS_URL = os.environ.get("REDIS_URL", "").strip()


def redis_cache(url: str) -> dict:
    parts = urlsplit(url)
    try:
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        port_ok = False
    database = parts.path.strip("/")
    if not (
        parts.scheme in {"redis", "rediss"}
        and parts.hostname
        and port_ok
        and (database == "" or database.isdigit())
    ):
        # The URL holds a password, so the message names the variable and never echoes it.
        raise ImproperlyConfigured(
            "REDIS_URL is not a Redis URL Votr understands "
            "(expected redis://[:password@]host:port[/db] or rediss://...)."
        )
    options = {
        "socket_connect_timeout": env_int("DJANGO_REDIS_CONNECT_TIMEOUT_MS", 500) / 1000,
        "socket_timeout": env_int("DJANGO_REDIS_TIMEOUT_MS", 500) / 1000,
    }
    if parts.scheme == "rediss":
        options["ssl_cert_reqs"] = None
    return {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": url,
        "OPTIONS": options,
    }


CACHES = {
    "default": redis_cache(REDIS_URL)
    if REDIS_URL
    else {"BACKEND": "votr_project.cache.UnculledDatabaseCache", "LOCATION": CACHE_TABLE}
}

# --- Accounts ---------------------------------------------------------------------------------

AUTH_USER_MODEL = "polls.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "polls:index"
LOGOUT_REDIRECT_URL = "polls:index"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Login lockout (django-axes) -------------------------------------------------------------
# Failed logins on the site and the admin are counted per username and client IP, in the database
# (AxesDatabaseHandler, the default), so a lockout holds across web processes, dynos and restarts.
# https://django-axes.readthedocs.io/en/latest/4_configuration.html

AUTHENTICATION_BACKENDS = [
    # First, so that a locked-out username/IP pair is refused before the password is checked
    # (django-axes' standalone backend, tolerant of a call without a request: see
    # accounts/lockout.py).
    "accounts.lockout.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("DJANGO_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("DJANGO_LOGIN_COOLOFF_MINUTES", 15))
# Username and IP together: guessing from one address does not lock the user out of theirs.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_CALLABLE = "accounts.lockout.username_from_credentials"
AXES_CLIENT_IP_CALLABLE = "accounts.lockout.client_ip"
# Proxies between the client and Votr that append to X-Forwarded-For (Heroku's router: 1). With
# 0 the TCP peer address is the client's, and a forged X-Forwarded-For is ignored.
TRUSTED_PROXY_HOPS = env_int("DJANGO_TRUSTED_PROXY_HOPS", 0)
# django-axes renders the locked-out page itself, with status 429 (AXES_HTTP_RESPONSE_CODE's
# default); the template says how long to wait in minutes.
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
# No log of successful logins (with their addresses): only the failed attempts that a lockout
# counts are kept, and only until their cool-off has passed.
AXES_DISABLE_ACCESS_LOG = True

# --- REST API (Django REST framework) --------------------------------------------------------
# Token and session auth (session requests need the CSRF token), JSON only, one error shape
# (polls/api/errors.py). Throttle counts live in the default cache, which every web process and
# dyno shares; rates are "<number>/<second|minute|hour|day>". The page forms that write (sign-up,
# password reset, poll creation, voting) use the same scopes and counts: both faces ask
# polls/services/limits.py.
# https://www.django-rest-framework.org/api-guide/settings/

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "polls.api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["polls.api.parsers.BoundedJSONParser"],
    "DEFAULT_PAGINATION_CLASS": "polls.api.pagination.PollPagination",
    "DEFAULT_THROTTLE_CLASSES": [
        "polls.api.throttles.AnonymousRateThrottle",
        "polls.api.throttles.SignedInRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_rate("DJANGO_THROTTLE_ANON", "60/minute"),
        "user": env_rate("DJANGO_THROTTLE_USER", "240/minute"),
        "votes": env_rate("DJANGO_THROTTLE_VOTES", "30/minute"),
        # Ballots without an account, per (hashed) address: enough for a room behind one NAT.
        "anon_votes": env_rate("DJANGO_THROTTLE_ANON_VOTES", "60/hour"),
        "challenges": env_rate("DJANGO_THROTTLE_CHALLENGES", "30/minute"),
        "signup": env_rate("DJANGO_THROTTLE_SIGNUP", "10/hour"),
        "poll_create": env_rate("DJANGO_THROTTLE_POLL_CREATE", "30/hour"),
        # Per client address and, separately, per address the email goes to (pages only).
        "password_reset": env_rate("DJANGO_THROTTLE_PASSWORD_RESET", "5/hour"),
    },
    # Throttles key anonymous clients by the X-Forwarded-For entry TRUSTED_PROXY_HOPS places
    # from the right; with 0, by the TCP peer, so a client's own header never changes its key.
    "NUM_PROXIES": TRUSTED_PROXY_HOPS,
    "EXCEPTION_HANDLER": "polls.api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "polls.api.schema.VotrAutoSchema",
}

# OpenAPI 3 generated from the code; the viewer's files come from drf-spectacular-sidecar, so
# nothing is loaded from a CDN. https://drf-spectacular.readthedocs.io/en/latest/settings.html
SPECTACULAR_SETTINGS = {
    "TITLE": "Votr API",
    "DESCRIPTION": "Polls, votes and results. Every 4xx answers with the Error shape.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "ErrorCodeEnum": "polls.api.errors.ERROR_CODES",
        "OutcomeKindEnum": "polls.api.serializers.OUTCOME_KINDS",
    },
}

# --- Request size -----------------------------------------------------------------------------
# What Votr accepts at most, so that no request costs more than a legitimate one. The largest
# body is a new poll: a 200-character question and 20 labels of 100 characters, 2,200 characters
# that JSON escapes (astral characters as surrogate pairs) or form encoding (percent-encoded
# UTF-8) turn into at most 12 bytes each, 27 KB with the field names: 64 KiB leaves room. The
# API's JSON parser applies the same limit (polls/api/parsers.py). The most fields any form
# posts are the admin's: every one of the 68 permissions on a user or group, or an action on a
# full changelist page (100 rows). Over either limit the answer is a 400 (413 for API bodies).
# https://docs.djangoproject.com/en/5.2/ref/settings/#data-upload-max-memory-size
DATA_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 300

# --- Time and language ------------------------------------------------------------------------

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files -----------------------------------------------------------------------------
# `collectstatic` (run by Heroku's Python buildpack at build time) copies every file under a
# content-hashed name, with .gz and .br (brotli) siblings, and writes staticfiles.json. whitenoise
# then serves the hashed names with a ten-year "immutable" Cache-Control and the best encoding the
# browser accepts; any other name is cached 60 seconds. In debug (`dev.py run`) nothing is
# collected: whitenoise finds each file in its source folder on each request (its USE_FINDERS and
# AUTOREFRESH follow DEBUG) and {% static %} gives the plain names.
# https://whitenoise.readthedocs.io/en/stable/django.html

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- Security ---------------------------------------------------------------------------------
# With DEBUG off these make `manage.py check --deploy` clean. Heroku's router terminates TLS and
# forwards the original scheme in X-Forwarded-Proto, which is trusted here.
# https://docs.djangoproject.com/en/5.2/howto/deployment/checklist/

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Heroku's router and other load balancers check health over plain HTTP: answer, don't redirect.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
# No script needs either cookie: pages send the CSRF token from the form field (or the
# X-CSRFToken header filled from it), never from the cookie.
# https://docs.djangoproject.com/en/5.2/ref/settings/#csrf-cookie-httponly
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
# Sent by votr_project.middleware.ContentSecurityPolicyMiddleware on every response that sets
# none of its own. Only our own scripts and styles: templates hold no inline <script>, no
# on...= handlers and no style="" attributes. frame-ancestors is X_FRAME_OPTIONS for browsers
# that read CSP. https://developer.mozilla.org/docs/Web/HTTP/Headers/Content-Security-Policy
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "base-uri 'self'",
    ]
)

# --- Votes without an account ----------------------------------------------------------------
# The proof-of-work challenge (ALTCHA, polls/services/challenges.py) of votes without an
# account: PBKDF2-SHA-256 iterations per attempt, about 256 attempts to an answer (about a
# second on a phone at 1,000); 0 turns the check off. https://altcha.org/docs/v2/
VOTR_CHALLENGE_DIFFICULTY = env_int("VOTR_CHALLENGE_DIFFICULTY", 1000)
VOTR_CHALLENGE_EXPIRES_SECONDS = env_int("VOTR_CHALLENGE_EXPIRES_SECONDS", 600)
if not 0 <= VOTR_CHALLENGE_DIFFICULTY <= 1_000_000:
    raise ImproperlyConfigured("VOTR_CHALLENGE_DIFFICULTY must be from 0 (off) to 1000000.")
if not 30 <= VOTR_CHALLENGE_EXPIRES_SECONDS <= 86400:
    raise ImproperlyConfigured("VOTR_CHALLENGE_EXPIRES_SECONDS must be from 30 to 86400.")

# Database and broker URLs carry passwords: keep them out of error reports, including the
# environment that runserver copies into request.META.
DEFAULT_EXCEPTION_REPORTER_FILTER = "votr_project.error_reports.SecretHidingReporterFilter"

# --- Celery -----------------------------------------------------------------------------------
# Read by votr_project/celery.py under the CELERY_ namespace.
# https://docs.celeryq.dev/en/stable/django/first-steps-with-django.html
# The broker is the first of RABBIT_BIGWIG_RX_URL (the name in Votr's original deploy guide),
# RABBITMQ_BIGWIG_RX_URL (what Heroku's RabbitMQ Bigwig add-on sets) and CELERY_BROKER_URL.
# With none set, kombu's filesystem transport passes messages through files in .votr/broker,
# so web and worker run together with no server installed.

BROKER_URL_VARIABLES = ("RABBIT_BIGWIG_RX_URL", "RABBITMQ_BIGWIG_RX_URL", "CELERY_BROKER_URL")


def broker_url_from_environment() -> str | None:
    for name in BROKER_URL_VARIABLES:
        if os.environ.get(name, "").strip():
            return os.environ[name].strip()
    return None


CELERY_BROKER_URL = broker_url_from_environment()
if CELERY_BROKER_URL is None:
    CELERY_BROKER_URL = "filesystem://"
    _broker_folder = LOCAL_STATE_DIR / "broker"
    _control_folder = LOCAL_STATE_DIR / "broker-control"
    for _folder in (_broker_folder, _control_folder):
        _folder.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_folder),
        "data_folder_out": str(_broker_folder),
        "control_folder": str(_control_folder),
    }
# Bigwig hands out a separate publish URL; producers use it when it is set.
CELERY_BROKER_WRITE_URL = os.environ.get("RABBITMQ_BIGWIG_TX_URL", "").strip() or None
# Publishing happens on the web request path (a poll created, closed or rescheduled): a broker
# that is down or black-holed (accepts, never answers) must cost a request well under a second.
# One attempt, bounded by VOTR_BROKER_TIMEOUT_MS (connecting and the AMQP handshake), and after
# a failure polls.services stops publishing for VOTR_BROKER_PAUSE_SECONDS (a per-process
# circuit breaker); the close sweep catches up. The worker's own consuming connection keeps
# retrying (broker_connection_retry). /healthz checks the broker with the same timeout.
# https://docs.celeryq.dev/en/stable/userguide/configuration.html#broker-connection-timeout
# https://docs.celeryq.dev/en/stable/userguide/configuration.html#broker-transport-options
BROKER_TIMEOUT_SECONDS = env_int("VOTR_BROKER_TIMEOUT_MS", 500) / 1000
BROKER_PAUSE_SECONDS = env_int("VOTR_BROKER_PAUSE_SECONDS", 30)
if not CELERY_BROKER_URL.startswith("filesystem"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {"max_retries": 0}
    CELERY_BROKER_CONNECTION_TIMEOUT = BROKER_TIMEOUT_SECONDS

CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_TIME_LIMIT = 60
CELERY_TASK_SOFT_TIME_LIMIT = 50
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
# The close tasks are idempotent, so a message is acknowledged only after its task ran (the
# early-close email task opts out: polls/tasks.py), and a
# worker that dies mid-task (SIGKILL, dyno restart) hands it back to the broker. One message at
# a time per process: a long task never holds others hostage in its prefetch buffer.
# https://docs.celeryq.dev/en/stable/userguide/optimizing.html#reserve-one-task-at-a-time
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A queue name of its own lets test runs (or two deployments on one vhost) share a broker.
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_TASK_DEFAULT_QUEUE", "").strip() or "celery"
# The sweep that closes every due poll: the guarantee that a poll closes within a minute of its
# closing time whatever happened to its own message. A run not started within one interval is
# dropped (the next one does the same work), so an outage does not pile sweeps up.
# https://docs.celeryq.dev/en/stable/userguide/periodic-tasks.html
VOTR_SWEEP_SECONDS = env_int("VOTR_SWEEP_SECONDS", 60)
CELERY_BEAT_SCHEDULE = {
    "close-due-polls": {
        "task": "polls.tasks.close_due_polls_task",
        "schedule": VOTR_SWEEP_SECONDS,
        "options": {"expires": VOTR_SWEEP_SECONDS},
    },
    # The database cache never culls on write (votr_project/cache.py); expired rows go here.
    "purge-expired-cache": {
        "task": "polls.tasks.purge_expired_cache_task",
        "schedule": 600,
        "options": {"expires": 600},
    },
}
# Polls closing within this many seconds get their own message with an ETA, so they close on
# the second. Kept well under RabbitMQ's consumer timeout (30 minutes), which closes the channel
# of a worker that holds an unacknowledged (ETA) message longer.
# https://www.rabbitmq.com/docs/consumers#acknowledgement-timeout
VOTR_CLOSE_AHEAD_SECONDS = env_int("VOTR_CLOSE_AHEAD_SECONDS", 600)

# --- Email ------------------------------------------------------------------------------------
# Authors are told the outcome when their poll closes. Printed to the console unless an SMTP
# host is set. https://docs.djangoproject.com/en/5.2/topics/email/

EMAIL_HOST = os.environ.get("DJANGO_EMAIL_HOST", "").strip() or "localhost"
EMAIL_BACKEND = os.environ.get("DJANGO_EMAIL_BACKEND", "").strip() or (
    "django.core.mail.backends.smtp.EmailBackend"
    if os.environ.get("DJANGO_EMAIL_HOST", "").strip()
    else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_PORT = env_int("DJANGO_EMAIL_PORT", 587)
EMAIL_HOST_USER = os.environ.get("DJANGO_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("DJANGO_EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("DJANGO_EMAIL_USE_TLS", default=True)
EMAIL_TIMEOUT = env_int("DJANGO_EMAIL_TIMEOUT", 10)
# Only read by the file-based backend (the worker tests use it).
EMAIL_FILE_PATH = os.environ.get("DJANGO_EMAIL_FILE_PATH", "").strip() or None
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "").strip() or (
    "Votr <votr@localhost>"
)

# --- Logging ----------------------------------------------------------------------------------
# Everything to stdout, where Heroku and Procfile runners collect it. Each line written while a
# request is served carries its request id (votr_project.middleware), the same id as gunicorn's
# access line for that request. The worker logs with Celery's format, which names the task id.
# https://docs.djangoproject.com/en/5.2/topics/logging/

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "votr_project.middleware.RequestIdLogFilter"},
    },
    "formatters": {
        "plain": {
            "format": "%(asctime)s %(levelname)s %(name)s request_id=%(request_id)s: %(message)s"
        },
    },
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "plain",
            "filters": ["request_id"],
        },
    },
    "root": {"handlers": ["stdout"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
}

"""Maillon settings: one file, every value from the environment.

Development is never the default: DEBUG is off unless set, and then SECRET_KEY,
CREDENTIALS_KEY and ALLOWED_HOSTS are required. ``make run`` and the tests turn
development on themselves (DEBUG=true: calendar_project/devrun.py, tests/settings.py);
then the defaults make a first run work on a laptop (SQLite under ``data/``, Redis on
127.0.0.1). ``.env.example`` lists every variable.
"""

import datetime as dt
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from calendar_project.env import Env, database_config

env = Env()

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env.str("DATA_DIR", str(BASE_DIR / "data")))

DEBUG = env.bool("DEBUG", False)
# What each "required when DEBUG is off" message adds, for a command typed on a laptop.
_OR_DEVELOPMENT = " For development on your own machine, set DEBUG=true instead."

_DEV_SECRET = "django-insecure-maillon-development-only-key-do-not-use-in-production"  # noqa: S105
SECRET_KEY = env.str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is required when DEBUG is off; generate one with "
            "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`." + _OR_DEVELOPMENT
        )
    SECRET_KEY = _DEV_SECRET
elif not DEBUG and (SECRET_KEY == _DEV_SECRET or SECRET_KEY.startswith("django-insecure-")):
    # Ours is in the source code and Django marks the keys it makes for development so:
    # whoever has read either can sign sessions and password-reset links.
    raise ImproperlyConfigured(
        "SECRET_KEY is a public development key, refused when DEBUG is off; generate one "
        "with `python -c 'import secrets; print(secrets.token_urlsafe(50))'`."
    )

# Channel credentials are encrypted with these Fernet keys (comma-separated;
# the first encrypts, all decrypt, so keys can be rotated).
CREDENTIALS_KEYS = env.list("CREDENTIALS_KEY", [])
if not CREDENTIALS_KEYS and not DEBUG:
    raise ImproperlyConfigured(
        "CREDENTIALS_KEY is required when DEBUG is off; generate one with `python -c "
        "'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`."
        + _OR_DEVELOPMENT
    )

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "ALLOWED_HOSTS is required when DEBUG is off (comma-separated)." + _OR_DEVELOPMENT
    )
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", [])
# Maillon's public address: links in emails and feeds, and the signed media addresses
# that networks fetching media by URL (Instagram, Threads, Facebook) download from.
SITE_URL = env.site_url("SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    # Django's admin, behind the second factor (calendar_project/admin_site.py).
    "calendar_project.admin_site.AdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "csp",
    "rest_framework",
    "drf_spectacular",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "accounts",
    "planner",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "calendar_project.security.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # After OTPMiddleware: a signed-in session without its second factor reaches only
    # the two-factor pages (accounts/two_factor_middleware.py).
    "accounts.two_factor_middleware.TwoFactorMiddleware",
    "accounts.middleware.UserPreferencesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "planner.middleware.AuditContextMiddleware",
    # Last, so that it sees the lockout a failed sign-in just caused and answers with our page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "calendar_project.urls"
WSGI_APPLICATION = "calendar_project.wsgi.application"
ASGI_APPLICATION = "calendar_project.asgi.application"

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
                "accounts.context_processors.workspace",
                "planner.context_processors.notifications",
                "planner.approvals.queue_link.queues_link",
            ],
        },
    }
]

DATABASES = {
    "default": database_config(env.str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'maillon.sqlite3'}"))
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # A file, not memory, so that a real Celery worker started by the tests sees the data.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.url("REDIS_URL", "redis://127.0.0.1:6379/0", schemes=("redis", "rediss", "unix"))

AUTH_USER_MODEL = "accounts.User"
# Axes first: it refuses a locked-out sign-in before the password is even checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "planner:home"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr", _("French"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
# The server's zone only frames log lines and admin defaults: every datetime is
# stored in UTC and shown in the viewer's own zone.
TIME_ZONE = env.time_zone("TIME_ZONE", "UTC")

STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
# Front-end libraries come from npm at install time; only their dist folders are served.
_NODE = BASE_DIR / "node_modules"
for _prefix, _folder in (
    ("vendor/bootstrap", "bootstrap/dist"),
    ("vendor/bootstrap-icons", "bootstrap-icons/font"),
    ("vendor/htmx", "htmx.org/dist"),
    ("vendor/fullcalendar", "fullcalendar"),
    ("vendor/fullcalendar-core", "@fullcalendar/core"),
    ("vendor/chartjs", "chart.js/dist"),
    ("vendor/swagger-ui", "swagger-ui-dist"),
):
    if (_NODE / _folder).is_dir():
        STATICFILES_DIRS.append((_prefix, _NODE / _folder))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", str(DATA_DIR / "media")))
# The largest file the editor accepts, whatever the network (each network has its own limit).
MEDIA_MAX_BYTES = env.int("MEDIA_MAX_BYTES", 100 * 1024 * 1024, minimum=1)
# The program that reads videos' duration, size and codecs (Debian package ffmpeg).
FFPROBE_BINARY = env.str("FFPROBE_BINARY", "ffprobe")
# How long a signed media address stays valid at most (it also dies when the
# publication it was made for is no longer in flight).
MEDIA_LINK_MAX_AGE_SECONDS = env.int("MEDIA_LINK_MAX_AGE_SECONDS", 24 * 3600, minimum=60)

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Mail: the console backend until an SMTP host is configured.
EMAIL_HOST = env.str("EMAIL_HOST")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_PORT = env.int("EMAIL_PORT", 587, minimum=1)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", True)
EMAIL_TIMEOUT = 20
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", "Maillon <maillon@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "maillon",
        "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
    }
}

# Celery: publishing tasks must be safe to run twice (they begin with a
# database compare-and-set), so late acks and requeue on worker loss are on.
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")

# The publishing engine. A beat tick claims due publications every
# PUBLISH_TICK_SECONDS; a claim not picked up by a worker within the claim
# lease returns to the queue; a send whose worker vanished becomes "unknown"
# after the send lease and is reconciled with the network.
PUBLISH_TICK_SECONDS = env.int("PUBLISH_TICK_MILLISECONDS", 1000, minimum=100) / 1000
PUBLISH_CLAIM_LEASE_SECONDS = env.int("PUBLISH_CLAIM_LEASE_SECONDS", 30, minimum=5)
# A claim no worker started within this while no message waits in the broker had its
# message lost (a broker restart): it is claimed again at the next tick, not after the lease.
PUBLISH_PICKUP_SECONDS = env.int("PUBLISH_PICKUP_SECONDS", 5, minimum=1)
PUBLISH_SEND_LEASE_SECONDS = env.int(
    "PUBLISH_SEND_LEASE_SECONDS", CELERY_TASK_TIME_LIMIT + 60, minimum=5
)
PUBLISH_MAX_ATTEMPTS = env.int("PUBLISH_MAX_ATTEMPTS", 5, minimum=1)
PUBLISH_BACKOFF_BASE_SECONDS = env.int("PUBLISH_BACKOFF_BASE_SECONDS", 15, minimum=1)
PUBLISH_BACKOFF_CAP_SECONDS = env.int("PUBLISH_BACKOFF_CAP_SECONDS", 300, minimum=1)
PUBLISH_RECONCILE_DELAY_SECONDS = env.int("PUBLISH_RECONCILE_DELAY_SECONDS", 30, minimum=1)
PUBLISH_BATCH = env.int("PUBLISH_BATCH", 200, minimum=1)
# Sends in flight at once: the threads of the sender worker (a Procfile "sender"; each
# holds one database connection), and the most senders the tick wakes.
PUBLISH_SENDERS = env.int("PUBLISH_SENDERS", 32, minimum=1)
# One sender's run ends after this long (the tick starts new ones), so a worker's warm
# shutdown never waits long for it.
PUBLISH_SENDER_RUN_SECONDS = env.int("PUBLISH_SENDER_RUN_SECONDS", 60, minimum=1)
# How long a network may take to answer before the outcome counts as unknown.
PUBLISH_READ_TIMEOUT_SECONDS = env.int("PUBLISH_READ_TIMEOUT_SECONDS", 30, minimum=1)
# How long one attempt waits, in all, for a network to process uploaded media (a video on
# X or LinkedIn, an Instagram or Threads container); past that the attempt is retried
# later and resumes from the media or container it uploaded (planner/channels/processing.py).
MEDIA_PROCESSING_WAIT_SECONDS = env.int("MEDIA_PROCESSING_WAIT_SECONDS", 60, minimum=1)
# Where Bluesky videos go to be processed before they are posted (planner/channels/bluesky.py).
BLUESKY_VIDEO_SERVICE_URL = env.url(
    "BLUESKY_VIDEO_SERVICE_URL", "https://video.bsky.app", schemes=("https", "http")
).rstrip("/")

# Only one beat sends the schedule: each holds a lease in Redis this long and renews it
# every tick; a second beat (failover) takes over within this time of the first's death.
BEAT_LEASE_SECONDS = env.int("BEAT_LEASE_SECONDS", 10, minimum=3)

# How often beat looks for approvals left waiting (reminders, escalations to admins)
# and posts newly at risk. Each is told once, however often this runs.
REMINDER_TICK_SECONDS = env.int("REMINDER_TICK_SECONDS", 900, minimum=10)

# How often beat renews channel tokens that end soon (LinkedIn, Threads) and tells admins
# a week and a day before a channel's access ends (planner/connection/renewal.py).
CONNECTIONS_TICK_SECONDS = env.int("CONNECTIONS_TICK_SECONDS", 3600, minimum=10)

# Reading metrics: how often beat looks for posts whose metrics round is due (1 h, 6 h,
# 24 h and 7 days after publication) and channels due for their daily follower count,
# and how many of each one tick reads at most.
METRICS_TICK_SECONDS = env.int("METRICS_TICK_SECONDS", 300, minimum=10)
METRICS_BATCH = env.int("METRICS_BATCH", 50, minimum=1)

# Operational limits read by /healthz.
HEALTH_BEAT_STALE_SECONDS = env.int("HEALTH_BEAT_STALE_SECONDS", 90, minimum=10)
HEALTH_WORKER_STALE_SECONDS = env.int("HEALTH_WORKER_STALE_SECONDS", 90, minimum=10)
# /healthz tells the public only up or down; a monitor sending this as a bearer token
# (or a staff member signed in with their second factor) also learns which part failed.
HEALTH_TOKEN = env.str("HEALTH_TOKEN")
if HEALTH_TOKEN and len(HEALTH_TOKEN) < 32:
    raise ImproperlyConfigured(
        "HEALTH_TOKEN must be at least 32 characters; generate one with "
        "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`."
    )

# How long an emailed invitation link to join a workspace stays valid.
INVITATION_DAYS = env.int("INVITATION_DAYS", 7, minimum=1)
# "Test connection" on the Channels page gives up on a network after this long.
CHANNEL_CHECK_TIMEOUT_SECONDS = env.int("CHANNEL_CHECK_TIMEOUT_SECONDS", 10, minimum=1)


# The networks' sign-in (Connect / Reconnect, planner/connection/): the operator's app on
# each network, registered with the callback address SITE_URL/channels/connect/<network>/
# callback/. A network without its id and secret shows how to get them, and keeps the
# pasted-token form. The *_URL overrides point a network at a test server, never more.
def _oauth_app(prefix: str, id_name: str, secret_name: str, urls: dict[str, str]) -> dict:
    client_id, secret = env.str(f"{prefix}_{id_name}").strip(), env.str(f"{prefix}_{secret_name}")
    if bool(client_id) != bool(secret.strip()):
        missing = f"{prefix}_{secret_name}" if client_id else f"{prefix}_{id_name}"
        raise ImproperlyConfigured(
            f"{missing} is missing: set both {prefix}_{id_name} and {prefix}_{secret_name} "
            "(the app's id and secret from the network's developer console), or neither."
        )
    app = {"client_id": client_id, "client_secret": secret.strip()}
    for key, name in urls.items():
        value = env.str(name).strip()
        app[key] = env.url(name, "", schemes=("https", "http")).rstrip("/") if value else ""
    return app


OAUTH_APPS = {
    network: _oauth_app(
        prefix,
        id_name,
        secret_name,
        {
            "authorize_url": f"{prefix}_OAUTH_AUTHORIZE_URL",
            "token_url": f"{prefix}_OAUTH_TOKEN_URL",
            "api_url": f"{prefix}_API_URL",
        },
    )
    for network, prefix, id_name, secret_name in [
        ("x", "X", "CLIENT_ID", "CLIENT_SECRET"),
        ("linkedin", "LINKEDIN", "CLIENT_ID", "CLIENT_SECRET"),
        ("meta", "META", "APP_ID", "APP_SECRET"),
        ("threads", "THREADS", "APP_ID", "APP_SECRET"),
    ]
}
# A consent must come back within this many seconds of the click on Connect, and what it
# found must be chosen within the same time (the pending tokens are then deleted).
CONNECT_PENDING_SECONDS = env.int("CONNECT_PENDING_SECONDS", 600, minimum=60)
# Requests to servers people configure (channels, the chat webhook, key-date addresses)
# go only to public addresses (planner/outbound.py). This lets them reach this machine
# (loopback, never a private network): `make run` turns it on for the demo networks, the
# tests for their stand-ins on 127.0.0.1. Never in production.
OUTBOUND_ALLOW_LOOPBACK = env.bool("OUTBOUND_ALLOW_LOOPBACK", False)
# Key dates imported from a file or an address (planner/services/key_dates.py): the
# largest calendar read and how long an address may take.
KEY_DATES_MAX_BYTES = env.int("KEY_DATES_MAX_BYTES", 2 * 1024 * 1024, minimum=1024)
KEY_DATES_TIMEOUT_SECONDS = env.int("KEY_DATES_TIMEOUT_SECONDS", 10, minimum=1)
# An import runs as a Celery task on its own queue (planner.tasks.key_dates_import): past
# this many seconds it stops and writes nothing (Celery's soft time limit), and the worker
# process is killed 15 s later if it does not stop (the hard limit; never run again).
KEY_DATES_IMPORT_SECONDS = env.int("KEY_DATES_IMPORT_SECONDS", 60, minimum=1)
# Imports one workspace may have queued or running at once; more are refused.
KEY_DATES_IMPORTS_AT_ONCE = env.int("KEY_DATES_IMPORTS_AT_ONCE", 3, minimum=1)

# The REST API (api/): personal tokens or the signed-in session, JSON errors of one
# shape, page-number pagination, and a rate limit per token (or per signed-in person).
API_RATE_PER_MINUTE = env.int("API_RATE_PER_MINUTE", 600, minimum=1)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.BearerTokenAuthentication",
        "api.authentication.WorkspaceSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.IsWorkspaceMember"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.TokenRateThrottle"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.PageNumberPagination",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Maillon API",
    "DESCRIPTION": (
        "The editorial calendar over HTTP: campaigns, objectives, posts and their approvals, "
        "the calendar window, publications and key dates. Authenticate with a personal token "
        "(`Authorization: Bearer mln_…`, made on /api/tokens/): it acts in its workspace with "
        "its owner's current role there."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "PostStateEnum": "planner.workflow.State",
        "PublicationStateEnum": "planner.models.PublicationState",
    },
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": STATIC_URL + "vendor/swagger-ui",
    "SWAGGER_UI_FAVICON_HREF": STATIC_URL + "vendor/swagger-ui/favicon-32x32.png",
    "SWAGGER_UI_SETTINGS": {"defaultModelsExpandDepth": -1},  # the operations first
}
# Sign-in lockout (django-axes): after LOGIN_FAILURE_LIMIT wrong passwords or wrong
# second-factor codes for one address *from one client address*, that pair waits
# LOGIN_LOCKOUT_MINUTES (so nobody can lock a colleague out from elsewhere). A complete
# sign-in clears the count; an admin can unlock earlier (Members page, Django admin).
LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
LOGIN_LOCKOUT_MINUTES = env.int("LOGIN_LOCKOUT_MINUTES", 15, minimum=1)
# And per account alone, across addresses (accounts/throttle.py): past
# LOGIN_ACCOUNT_FAILURE_LIMIT failures within LOGIN_LOCKOUT_MINUTES, one attempt is checked
# per pause (2 s, doubling with each further failure up to LOGIN_ACCOUNT_MAX_PAUSE_SECONDS);
# the others get 429 unchecked. Not a lockout: an address where the account completed a
# sign-in within LOGIN_KNOWN_ADDRESS_DAYS (0: none) is not slowed.
LOGIN_ACCOUNT_FAILURE_LIMIT = env.int("LOGIN_ACCOUNT_FAILURE_LIMIT", 10, minimum=1)
LOGIN_ACCOUNT_MAX_PAUSE_SECONDS = env.int("LOGIN_ACCOUNT_MAX_PAUSE_SECONDS", 60, minimum=2)
LOGIN_KNOWN_ADDRESS_DAYS = env.int("LOGIN_KNOWN_ADDRESS_DAYS", 30, minimum=0)
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = dt.timedelta(minutes=LOGIN_LOCKOUT_MINUTES)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# The person's address, also behind the TLS proxy (not the proxy's): the same one the
# audit trail records.
AXES_CLIENT_IP_CALLABLE = "calendar_project.client_address.client_address"
# Cleared by our own sign-in views once the second factor passed too (accounts.lockout):
# axes would clear it after the password alone, and wrong codes would never add up.
AXES_RESET_ON_SUCCESS = False
# The login form's field is "username" (holding the email), as Django's authenticate() gets it.
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "accounts.lockout.username_of"
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_VERBOSE = False
# Two-factor sign-in (django-otp): the name authenticator apps show beside the code.
OTP_TOTP_ISSUER = "Maillon"
# Device secrets and recovery codes never appear in the Django admin.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", 14 * 24 * 3600, minimum=300)
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
# No page runs a script that did not come from our own static files: no inline script,
# no inline handler, no eval, nothing from another origin. Styles allow inline values
# (FullCalendar and Bootstrap set them); frames, plugins and foreign form targets none.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "media-src": ["'self'", "blob:"],
        "font-src": ["'self'", "data:"],  # FullCalendar's icons are a data: font
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", True)
    if env.bool("BEHIND_HTTPS_PROXY", False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # Feed, invitation and password-reset addresses are credentials: masked in every line.
    "filters": {"secrets": {"()": "calendar_project.redaction.RedactSecrets"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["secrets"],
        }
    },
    "root": {
        "handlers": ["console"],
        "level": env.choice("LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR")),
    },
    # httpx logs each request's full URL at INFO: a webhook's URL is its secret.
    # axes logs each sign-in at INFO; its warnings (failures, lockouts) are enough.
    "loggers": {"httpx": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}

"""Settings for the portal. Every value comes from the environment, with a default that runs
the embedded setup (SQLite, tasks in-process, console mail, local-memory cache, offline
geocoder). README.md lists each variable; a bad value stops start-up with a message."""

import re
from email.utils import parseaddr
from importlib.util import find_spec
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from portal.env import (
    env_bool,
    env_choice,
    env_float,
    env_int,
    env_list,
    env_rate,
    env_rates,
    env_str,
    env_url_origin,
)
from portal.logs import HEALTH_PATH

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

# --- Core -------------------------------------------------------------------------------
DEBUG = env_bool("DJANGO_DEBUG", True)
SECRET_KEY = env_str("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is false")
    SECRET_KEY = "django-insecure-local-development-key-do-not-use-in-production"  # noqa: S105
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")
PORTAL_BASE_URL = env_str("PORTAL_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
PORTAL_NAME = env_str("PORTAL_NAME", "Field Service Portal")

INSTALLED_APPS = [
    # Django's admin with its site replaced by portal.admin_site.DispatchSite (second factor).
    "portal.apps.DispatchAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "csp",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.mfa",
    "portal",
    "scheduling",
    "tracking",
    "surveys",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before anything reads the body (the CSRF check does): an unreadable one is a 400.
    "portal.middleware.unreadable_body_is_a_bad_request",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

# The technicians' JSON API (bearer tokens, no cookies) skips what only pages need: sessions,
# CSRF, the signed-in user, messages, htmx, allauth, a page's CSP (portal/handlers.py).
API_PATH_PREFIX = "/api/"
API_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "portal.middleware.unreadable_body_is_a_bad_request",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"
ASGI_APPLICATION = "portal.asgi.application"

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
                "portal.context_processors.portal",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'portal.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0),
        conn_health_checks=True,
    )
}
_db_options = DATABASES["default"].setdefault("OPTIONS", {})
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A lock wait this long means something is stuck: fail (bookings answer "that time was
    # just taken") rather than hang a worker. Options from DATABASE_URL come after ours, so a
    # lock_timeout given there wins.
    _db_options["options"] = f"-c lock_timeout=5000 {_db_options.get('options', '')}".strip()
    # Parameters bound by the server and statements prepared on their fifth use: PostgreSQL
    # then plans a booking's statements once per connection, not on every request (half its
    # database time, bench/README.md). Behind a pooler that cannot keep prepared statements
    # (PgBouncer in transaction mode before 1.21), turn them off.
    _db_options.setdefault("server_side_binding", True)
    if env_bool("DATABASE_PREPARED_STATEMENTS", True):
        _db_options.setdefault("prepare_threshold", 5)
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite ignores select_for_update. Taking the write lock when a transaction begins makes
    # two bookings in the demo queue (the second then sees the first's appointment) instead of
    # both reading the same free time and one failing with "database is locked".
    _db_options.setdefault("transaction_mode", "IMMEDIATE")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (rate limits live here too) -------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "common.redis_clients.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Accounts (django-allauth) -------------------------------------------------------------
AUTH_USER_MODEL = "portal.User"
# The user's link to their site, which scheduling reads without knowing the user model.
CUSTOMER_ACCOUNT_FIELD = "service_account"
# The page "View live map" opens (tracking's), named here so scheduling names no app above it.
LIVE_MAP_URL_NAME = "tracking:live_map"
# The page "Send feedback" opens on a completed visit (surveys'); empty: no such button.
FEEDBACK_URL_NAME = "surveys:feedback"
# Django's and allauth's, each loading the user with their service account in one query.
AUTHENTICATION_BACKENDS = [
    "portal.auth.ModelBackend",
    "portal.auth.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "portal:home"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
ACCOUNT_ADAPTER = "portal.adapters.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "portal.adapters.SocialAccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_PREVENT_ENUMERATION = True
# A reset request for an unknown address answers like any other but mails nobody.
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_EMAIL_SUBJECT_PREFIX = f"[{PORTAL_NAME}] "
ACCOUNT_RATE_LIMITS = {
    # Redeeming an invitation code: every attempt, and the failed ones much tighter.
    "redeem": env_rates("RATE_LIMIT_REDEEM", "30/h/ip"),
    "redeem_failed": env_rates("RATE_LIMIT_REDEEM_FAILED", "5/15m/ip"),
}
# A second factor: an authenticator app (TOTP), with recovery codes for a lost phone. Staff
# must have one to open admin (portal.admin_site); customers may turn it on from their profile.
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = PORTAL_NAME
MFA_ADAPTER = "portal.adapters.MFAAdapter"
# The key authenticator secrets are encrypted with (portal.adapters.MFAAdapter). Set it apart
# from DJANGO_SECRET_KEY to be free to change that one: changing this one unpairs every app.
MFA_SECRETS_KEY = env_str("MFA_SECRETS_KEY", SECRET_KEY)
SOCIALACCOUNT_AUTO_SIGNUP = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_LOGIN_ON_GET = False
SOCIALACCOUNT_PROVIDERS: dict = {}

if env_str("OIDC_CLIENT_ID"):
    INSTALLED_APPS.append("allauth.socialaccount.providers.openid_connect")
    SOCIALACCOUNT_PROVIDERS["openid_connect"] = {
        "APPS": [
            {
                "provider_id": env_str("OIDC_PROVIDER_ID", "sso"),
                "name": env_str("OIDC_PROVIDER_NAME", "Single sign-on"),
                "client_id": env_str("OIDC_CLIENT_ID"),
                "secret": env_str("OIDC_CLIENT_SECRET"),
                "settings": {"server_url": env_str("OIDC_SERVER_URL")},
            }
        ]
    }
if env_str("GOOGLE_CLIENT_ID"):
    INSTALLED_APPS.append("allauth.socialaccount.providers.google")
    SOCIALACCOUNT_PROVIDERS["google"] = {
        "APPS": [{"client_id": env_str("GOOGLE_CLIENT_ID"), "secret": env_str("GOOGLE_SECRET")}],
        "SCOPE": ["profile", "email"],
    }
if env_str("MICROSOFT_CLIENT_ID"):
    INSTALLED_APPS.append("allauth.socialaccount.providers.microsoft")
    SOCIALACCOUNT_PROVIDERS["microsoft"] = {
        "APPS": [
            {
                "client_id": env_str("MICROSOFT_CLIENT_ID"),
                "secret": env_str("MICROSOFT_SECRET"),
                "settings": {"tenant": env_str("MICROSOFT_TENANT", "organizations")},
            }
        ]
    }

# --- Invitations ----------------------------------------------------------------------------
INVITATION_TTL_DAYS = env_int("INVITATION_TTL_DAYS", 14, minimum=1)

# --- Technicians' devices ------------------------------------------------------------------
# A pairing code made in admin works this long, once.
PAIRING_CODE_TTL_MINUTES = env_int("PAIRING_CODE_TTL_MINUTES", 15, minimum=1)
# Wrong pairing codes per client before it must wait (counted before the code is looked up).
RATE_LIMIT_PAIR_FAILED = env_rates("RATE_LIMIT_PAIR_FAILED", "5/15m/ip")

# --- Mail: every message goes through the outbox, a worker delivers it -------------------
EMAIL_BACKEND = "portal.mail.OutboxBackend"
_DELIVERY_BACKENDS = {
    "console": "django.core.mail.backends.console.EmailBackend",
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
}
_delivery = env_str("MAIL_DELIVERY_BACKEND", "console")
MAIL_DELIVERY_BACKEND = _DELIVERY_BACKENDS.get(_delivery, _delivery)
if _delivery not in _DELIVERY_BACKENDS:
    # Only the module is looked for: importing a mail backend may need settings not yet made.
    _module, _, _class = _delivery.rpartition(".")
    try:
        _found = bool(_module and _class.isidentifier() and find_spec(_module))
    except (ImportError, ValueError):
        _found = False
    if not _found:
        raise ImproperlyConfigured(
            'MAIL_DELIVERY_BACKEND must be "console", "smtp" or the dotted path of a mail '
            f"backend class in an installed module, not {_delivery!r}"
        )
MAIL_MAX_RETRIES = env_int("MAIL_MAX_RETRIES", 5, minimum=0)
MAIL_RETRY_DELAY = env_float("MAIL_RETRY_DELAY", 30.0, minimum=0)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Field Service Portal <portal@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20, minimum=1)

# --- Celery ------------------------------------------------------------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL)
# Without a broker the tasks run in-process, right where they are enqueued.
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Celery's Django fixup closes the database connection before and after every task unless
# this is set, and a new PostgreSQL connection (a backend forked, authenticated) cost the
# ingest worker more than the insert it was opened for. With it the fixup renews the
# connection only every this many tasks; portal.celery checks it before each task as Django
# does before each request (broken or older than DATABASE_CONN_MAX_AGE: closed).
CELERY_DB_REUSE_MAX = 1000
CELERY_BEAT_SCHEDULE = {
    "expire-invitations": {"task": "portal.tasks.expire_invitations", "schedule": 3600.0},
    "requeue-stale-mail": {"task": "portal.tasks.requeue_stale_mail", "schedule": 300.0},
    "create-location-partitions": {
        "task": "tracking.tasks.create_location_partitions",
        "schedule": 3600.0,
    },
    "purge-locations": {"task": "tracking.tasks.purge_locations", "schedule": 3600.0},
    "survey-reminders": {"task": "surveys.tasks.send_reminders", "schedule": 3600.0},
}
# Location batches go to their own queue and worker (`-Q ingest`, a higher prefetch), so a
# burst of pings never waits behind mail, nor mail behind pings.
CELERY_TASK_ROUTES = {"tracking.tasks.store_pings": {"queue": "ingest"}}
# The Redis transport hands an unacknowledged message (its worker killed mid-task) to another
# worker only after the visibility timeout. It must outlast the longest a worker holds a
# message on purpose, a mail retry waiting for its countdown (MAIL_RETRY_DELAY doubled up to
# MAIL_MAX_RETRIES - 1 times: 8 min by default), or that mail would be sent twice; beyond
# that, shorter means a killed ingest worker's batches are stored sooner. README explains.
CELERY_VISIBILITY_TIMEOUT = env_int("CELERY_VISIBILITY_TIMEOUT", 600, minimum=1)
_longest_mail_wait = MAIL_RETRY_DELAY * 2 ** max(MAIL_MAX_RETRIES - 1, 0)
if _longest_mail_wait >= CELERY_VISIBILITY_TIMEOUT:
    raise ImproperlyConfigured(
        f"CELERY_VISIBILITY_TIMEOUT must be longer than the longest wait of a mail retry "
        f"({_longest_mail_wait:.0f} s with MAIL_RETRY_DELAY and MAIL_MAX_RETRIES), "
        f"not {CELERY_VISIBILITY_TIMEOUT}"
    )
# Location batches may have a broker of their own (the ingest worker consumes from it:
# `celery -A portal.ingest_worker`). RabbitMQ tracks every delivery on the worker's
# connection, so a worker killed (-9) mid-batch hands back at once all it held, the message it
# was taking included, which kombu's Redis transport can lose (README, "Technicians'
# locations"). Empty: the ingest queue is on CELERY_BROKER_URL.
INGEST_BROKER_URL = env_str("INGEST_BROKER_URL")
_ingest_scheme = INGEST_BROKER_URL.partition("://")[0]
if INGEST_BROKER_URL and _ingest_scheme not in {"amqp", "amqps", "redis"}:
    raise ImproperlyConfigured(  # the scheme only: the URL may hold a password
        f"INGEST_BROKER_URL must be an amqp://, amqps:// or redis:// URL, or empty to use "
        f"CELERY_BROKER_URL, not {_ingest_scheme!r}"
    )
# Each broker's transport follows its URL (Redis: portal.celery's, which keeps its client).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # RabbitMQ: a publish returns once the broker has taken the message (publisher confirms),
    # so a 202 means queued.
    "confirm_publish": True,
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
    # Look for such messages every 10 s (a timer each second, a Redis scan every tenth).
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 10,
    # A worker killed while it hands such messages back holds the lock on that sweep until it
    # expires (300 s by default); the sweep takes milliseconds.
    "unacked_mutex_expire": 20,
}

# --- Locations (tracking) -------------------------------------------------------------------
# Pings older than this are purged (hourly beat task, manage.py purge_locations) and refused.
LOCATION_RETENTION_DAYS = env_int("LOCATION_RETENTION_DAYS", 30, minimum=1)
# A point whose accuracy radius is larger than this says little about where anyone is.
INGEST_MAX_ACCURACY_M = env_float("INGEST_MAX_ACCURACY_M", 1000.0, minimum=1)
# Faster than this (metres per second; 100 is 360 km/h) is a glitch, not a van.
INGEST_MAX_SPEED_MPS = env_float("INGEST_MAX_SPEED_MPS", 100.0, minimum=1)
# Requests per device (each batch one), e.g. "120/m"; beyond it 429 with Retry-After.
INGEST_RATE_LIMIT = env_rate("INGEST_RATE_LIMIT", "120/m")
# When a technician's locations are kept: "on_duty" (inside their working hours, less time
# off, or while one of their appointments is Traveling), "traveling" (only while Traveling)
# or "always". Points outside are answered as rejected and never stored.
INGEST_ACCEPT_WHEN = env_choice("INGEST_ACCEPT_WHEN", "on_duty", {"on_duty", "traveling", "always"})

# --- Notices on the way (tracking.notices) ---------------------------------------------------
# "Arriving soon" goes once the estimate drops under this many minutes.
NOTICE_ARRIVING_SOON_MINUTES = env_int("NOTICE_ARRIVING_SOON_MINUTES", 10, minimum=1)
# The arrival window is the visit's start plus this; "running late" goes once the estimate
# passes its end.
NOTICE_ARRIVAL_WINDOW_MINUTES = env_int("NOTICE_ARRIVAL_WINDOW_MINUTES", 15, minimum=0)
# How the "running late" mail tells customers to reach the company; an empty phone is left out.
CONTACT_PHONE = env_str("CONTACT_PHONE")
CONTACT_EMAIL = env_str("CONTACT_EMAIL", parseaddr(DEFAULT_FROM_EMAIL)[1])
if "@" not in CONTACT_EMAIL:
    raise ImproperlyConfigured(f"CONTACT_EMAIL must be a mail address, not {CONTACT_EMAIL!r}")

# --- Surveys (surveys) ----------------------------------------------------------------------
# Off: no survey mail, reminder or "Send feedback" whatever the surveys in admin say.
SURVEYS_ENABLED = env_bool("SURVEYS_ENABLED", True)
# A survey link opens the form for this many days after its mail was written.
SURVEY_LINK_DAYS = env_int("SURVEY_LINK_DAYS", 14, minimum=1)
# One reminder this many days after the survey mail, when no response came.
SURVEY_REMINDER_DAYS = env_int("SURVEY_REMINDER_DAYS", 3, minimum=1)
# Hide the customer's name from the per-technician results (anonymous feedback).
SURVEY_ANONYMOUS_RESULTS = env_bool("SURVEY_ANONYMOUS_RESULTS", False)

# --- Live map ----------------------------------------------------------------------------
# The credit the tile server's terms ask for, shown in the map's corner (HTML).
MAP_TILE_ATTRIBUTION = env_str(
    "MAP_TILE_ATTRIBUTION",
    '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors',
)
# How often an open map asks for the technician's latest position (only while it is seen).
MAP_POLL_SECONDS = env_int("MAP_POLL_SECONDS", 15, minimum=1)
# The open map refreshes with a signed key the page hands it (visit, site, zone) instead of
# the session: no session, user or page middleware per refresh. It lasts this long; then the
# script reloads the page, which signs in again or hands a new one.
MAP_REFRESH_KEY_SECONDS = env_int("MAP_REFRESH_KEY_SECONDS", 3 * 3600, minimum=60)
# Until the technician is this close to the site, customers see a position snapped to a
# grid of about 500 m and the distance in half kilometres: how far, not where.
MAP_EXACT_WITHIN_KM = env_float("MAP_EXACT_WITHIN_KM", 2.0, minimum=0)
# A position older than this is shown greyed with its age; older than the second, not at all.
MAP_STALE_AFTER_SECONDS = env_int("MAP_STALE_AFTER_SECONDS", 120, minimum=1)
MAP_HIDE_AFTER_SECONDS = env_int("MAP_HIDE_AFTER_SECONDS", 600, minimum=1)
if MAP_HIDE_AFTER_SECONDS <= MAP_STALE_AFTER_SECONDS:
    raise ImproperlyConfigured(
        f"MAP_HIDE_AFTER_SECONDS must be longer than MAP_STALE_AFTER_SECONDS "
        f"({MAP_STALE_AFTER_SECONDS}), not {MAP_HIDE_AFTER_SECONDS}"
    )
# What customers learn of the technician beyond the first name: initials on the marker, and
# a phone number to call.
MAP_SHOW_TECHNICIAN_INITIALS = env_bool("MAP_SHOW_TECHNICIAN_INITIALS", False)
MAP_SHOW_TECHNICIAN_PHONE = env_bool("MAP_SHOW_TECHNICIAN_PHONE", False)

# --- Geocoding ----------------------------------------------------------------------------
# "offline" looks addresses up in a small built-in gazetteer; any other value is a geopy
# service name (e.g. "nominatim") used with the GEOCODER_* options below.
GEOCODER = env_str("GEOCODER", "offline")
GEOCODER_DOMAIN = env_str("GEOCODER_DOMAIN")
GEOCODER_SCHEME = env_choice("GEOCODER_SCHEME", "https", {"http", "https"})
GEOCODER_USER_AGENT = env_str("GEOCODER_USER_AGENT", "field-service-portal")
GEOCODER_API_KEY = env_str("GEOCODER_API_KEY")
GEOCODER_TIMEOUT = env_float("GEOCODER_TIMEOUT", 5.0, minimum=0.1)
PORTAL_DEFAULT_TIME_ZONE = env_str("PORTAL_DEFAULT_TIME_ZONE", "UTC")

# --- I18n / time ------------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files -----------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# --- Security (production defaults whenever DEBUG is off) -----------------------------------
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 0 if DEBUG else 31536000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", not DEBUG)
_behind_proxy = env_bool("DJANGO_BEHIND_TLS_PROXY", False)
if _behind_proxy:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# allauth's rate limits (sign-in, redeeming codes) count per client address. Behind proxies
# REMOTE_ADDR is the nearest proxy's, the same for everyone, so one client's failures would
# lock all out; the address this many hops from the right of X-Forwarded-For is the client's.
# Only trust it when every request comes through those proxies, or clients can forge it.
ALLAUTH_TRUSTED_PROXY_COUNT = env_int(
    "DJANGO_TRUSTED_PROXY_COUNT", 1 if _behind_proxy else 0, minimum=0
)
# Load balancers probe their backends over plain HTTP; a redirect is not an answer.
SECURE_REDIRECT_EXEMPT = [f"^{re.escape(HEALTH_PATH.lstrip('/'))}$"]
SECURE_REFERRER_POLICY = "same-origin"
# Where the live map's tiles come from ({z}/{x}/{y} filled in by the map); pages may show
# images from there and nowhere else outside the portal.
MAP_TILE_URL, _map_tile_origin = env_url_origin(
    "MAP_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
)
# Scripts and styles only from our own static files: no inline code, no eval (htmx is told
# so in base.html), no plugins, no framing, no <base> to re-point relative URLs. form-action
# is left out: signing in through an identity provider posts here, then redirects there.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "img-src": [SELF, _map_tile_origin],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
    }
}
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

# Every handler scrubs device tokens (and credentials) from what it writes: devices send them
# in headers and, for some tracker apps, in the URL. gunicorn's and Celery's own handlers get
# the same filter (portal.logs.AccessLogger, portal.celery).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "skip_health_checks": {"()": "portal.logs.SkipHealthChecks"},
        "scrub_tokens": {"()": "tracking.logs.ScrubTokens"},
    },
    "formatters": {
        # runserver's access log, as Django formats it by default.
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        }
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["scrub_tokens"]},
        "django.server": {
            "class": "logging.StreamHandler",
            "formatter": "django.server",
            "filters": ["scrub_tokens"],
        },
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO").upper()},
    "loggers": {
        # Django's defaults give "django" handlers of its own: a second console in debug (each
        # line twice) and mail to ADMINS (none here), neither scrubbed. The root's is enough.
        "django": {"handlers": [], "level": "INFO"},
        "django.db.backends": {"level": "INFO"},
        # Health probes (GET /health/) stay out of the request and access logs.
        "django.request": {"filters": ["skip_health_checks"]},
        # A failing check is in the probe's answer; a traceback per probe would flood the log.
        # Unexpected errors in a check are still logged (at ERROR).
        "health_check": {"level": "ERROR"},
        "django.server": {
            "handlers": ["django.server"],
            "level": "INFO",
            "propagate": False,
            "filters": ["skip_health_checks"],
        },
    },
}

# --- Technicians' web app and the demo's simulator -----------------------------------------
# Accepted location batches, every few seconds from each phone (and from simulate_technicians
# under `make run`), stay out of runserver's access log and, with tasks in-process, out of the
# task log; refused ones still show (tracking.logs.QuietLocationBatches).
LOGGING["filters"]["quiet_location_batches"] = {"()": "tracking.logs.QuietLocationBatches"}
LOGGING["loggers"]["django.server"]["filters"].append("quiet_location_batches")
if CELERY_TASK_ALWAYS_EAGER:
    LOGGING["loggers"]["celery.app.trace"] = {"filters": ["quiet_location_batches"]}

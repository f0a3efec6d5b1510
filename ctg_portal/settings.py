"""Settings of the CTG Portal, read from the environment.

One file for every environment: development (`make dev`), the local server (`make run`),
the test suite and production differ only by environment variables (see README.md).
"""

import datetime
import os
from email.utils import getaddresses
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"


def env_bool(name, default):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}.")


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", False)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. Set it to a long random string in production "
            "(`make run` creates a local one under var/ for you), or set DJANGO_DEBUG=true "
            "for development."
        )
    SECRET_KEY = "insecure-development-key-only-used-with-debug"

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "simple_history",
    "ctg_portal.apps.AxesConfig",  # django-axes, with a French name in the back-office
    "csp",
    "rest_framework",
    "drf_spectacular",
    # Layers, bottom to top (docs/architecture.md): shared helpers, the domain apps, then
    # the pages that combine them and the operations on whole conventions.
    "ctg_portal",
    "conventions",
    "accounts",
    "actions",
    "funding",
    "printouts",
    "committees",
    "documents",
    "bilans",
    "evaluations",
    "renewals",
    "feeds",
    "opendata",
    "api",
    "portal",
    "operations",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "ctg_portal.middleware.SecurityHeadersMiddleware",
    "ctg_portal.http.MethodNotAllowedPage",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "ctg_portal.middleware.SlidingSessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "ctg_portal.middleware.PrivatePagesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: it answers a locked-out login with its own response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "ctg_portal.urls"
WSGI_APPLICATION = "ctg_portal.wsgi.application"

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

# SQLite under var/ by default; production sets DATABASE_URL to PostgreSQL.
# Connections persist for 10 minutes and are checked before reuse, so a restarted
# database server costs one failed check, not a failed request.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
        conn_max_age=600,
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A database that does not answer fails a request within seconds instead of hanging it.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


def cache_settings(environ):
    """CACHES from CACHE_URL (`environ`, a mapping): `locmem://` (the default: each server
    process has its own), `redis://host:6379/0` or `rediss://…` (TLS), with an optional
    user and password (`redis://:password@host:6379/0`), for Django's RedisCache.

    Pages are built from the database on every request: no page or fragment cache, so no page
    can be stale (docs/architecture.md, "Caching"). What the cache holds — the throttles'
    counters, the open-data bundles keyed by their data's stamp — is right in any process;
    several instances share it through Redis so that the counters are exact and a bundle is
    built once for all.
    """
    from urllib.parse import urlsplit

    url = (environ.get("CACHE_URL") or "locmem://").strip()
    parts = urlsplit(url)
    if parts.scheme == "locmem":
        return {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    if parts.scheme not in {"redis", "rediss"}:
        raise ImproperlyConfigured(
            "CACHE_URL must start with locmem://, redis:// or rediss:// "
            f"({f'not {parts.scheme}://' if parts.scheme else 'it has no scheme'})."
        )
    try:
        parts.port  # noqa: B018 -- raises ValueError for a port that is not a number
    except ValueError:
        raise ImproperlyConfigured("CACHE_URL has an invalid port.") from None
    database = parts.path.strip("/")
    if not parts.hostname or (database and not (database.isdigit() and int(database) < 16)):
        raise ImproperlyConfigured(
            "CACHE_URL must name a Redis server and, optionally, a database from 0 to 15: "
            "redis://host:6379/0."
        )
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": "ctg",
            # A Redis that does not answer fails a request within seconds instead of hanging it.
            "OPTIONS": {"socket_connect_timeout": 5, "socket_timeout": 5},
        }
    }


CACHES = cache_settings(os.environ)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    # django-axes first: it refuses a locked-out account before the password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# 5 failed logins for one account from one address: locked out for 15 minutes.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = datetime.timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_ENABLE_ACCESS_FAILURE_LOG = True  # every failure, kept for the admin
AXES_ENABLED = env_bool("DJANGO_AXES_ENABLED", True)
# Behind a proxy, the client's address comes from X-Forwarded-For (see DJANGO_BEHIND_PROXY).
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]
    if env_bool("DJANGO_BEHIND_PROXY", False)
    else ["REMOTE_ADDR"]
)

# Sessions are kept in the database, which every instance shares: a user logged in through one
# app server is logged in on all, and logging out ends the session everywhere at once.
# SESSION_BACKEND=cache keeps them in the shared cache too (Django's cached_db: reads from
# Redis, writes through to the database); it needs CACHE_URL=redis://…, since a cache per
# process would keep a session alive on one instance after its logout on another.
SESSION_BACKEND = (os.environ.get("SESSION_BACKEND") or "db").strip()
if SESSION_BACKEND not in {"db", "cache"}:
    raise ImproperlyConfigured(f"SESSION_BACKEND must be db or cache, not {SESSION_BACKEND!r}.")
if SESSION_BACKEND == "cache" and "LocMemCache" in CACHES["default"]["BACKEND"]:
    raise ImproperlyConfigured(
        "SESSION_BACKEND=cache needs a shared cache: set CACHE_URL to redis://… (or use db)."
    )
SESSION_ENGINE = {
    "db": "django.contrib.sessions.backends.db",
    "cache": "django.contrib.sessions.backends.cached_db",
}[SESSION_BACKEND]
# Sessions end after 2 hours without a request, and with the browser. Requests push the expiry
# back at most every 5 minutes (ctg_portal.middleware.SlidingSessionMiddleware).
SESSION_COOKIE_AGE = int(os.environ.get("DJANGO_SESSION_SECONDS", 2 * 60 * 60))
SESSION_REFRESH_SECONDS = 5 * 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "portal:home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]


def file_storage(environ):
    """The storage of uploaded documents (STORAGES["default"]), from `environ` (a mapping).

    Local disk under MEDIA_ROOT by default. S3_BUCKET set: S3-compatible object storage through
    django-storages, with S3_ENDPOINT_URL (MinIO, Scaleway, OVH…; AWS without it), S3_REGION
    and S3_PREFIX (a folder in the bucket); the credentials are boto3's own
    AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or an instance role). Objects are private:
    the portal reads them and streams them through its access-checked download view; no
    bucket address ever reaches a browser.
    """
    from urllib.parse import urlsplit

    bucket = (environ.get("S3_BUCKET") or "").strip()
    endpoint = (environ.get("S3_ENDPOINT_URL") or "").strip()
    if not bucket:
        others = [
            name for name in ("S3_ENDPOINT_URL", "S3_REGION", "S3_PREFIX") if environ.get(name)
        ]
        if others:
            raise ImproperlyConfigured(
                f"{', '.join(others)} without S3_BUCKET: set S3_BUCKET to store the documents "
                "on S3, or unset them to keep them under MEDIA_ROOT."
            )
        return {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    if endpoint and (
        urlsplit(endpoint).scheme not in {"http", "https"} or not urlsplit(endpoint).hostname
    ):
        raise ImproperlyConfigured(
            f"S3_ENDPOINT_URL must be an http:// or https:// address, not {endpoint!r}."
        )
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": endpoint or None,
            "region_name": (environ.get("S3_REGION") or "").strip() or None,
            "location": (environ.get("S3_PREFIX") or "").strip().strip("/"),
            # S3-compatible servers answer at their own address: the bucket in the path.
            "addressing_style": "path" if endpoint else None,
            "default_acl": None,  # the bucket's own policy: private
            "querystring_auth": True,  # were an address ever made, it would be signed
            "file_overwrite": False,
            # A download is read from the bucket into memory up to 2.5 MB, into a temporary
            # file beyond (as uploads are, FILE_UPLOAD_MAX_MEMORY_SIZE), then streamed.
            "max_memory_size": 2_621_440,
        },
    }


STORAGES = {
    "default": file_storage(os.environ),
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Uploaded documents (the documents app): stored with random names, under MEDIA_ROOT or in the
# S3 bucket (file_storage above), served only by the portal's download view after an access
# check. No MEDIA_URL: nothing serves this directory (not whitenoise, not the URLconf, and the
# web server must not either). Several instances share the bucket, or one MEDIA_ROOT mounted
# on each of them.
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT") or VAR_DIR / "media")
# A document is 20 MB at most (checked on its size, then on its content).
DOCUMENTS_MAX_BYTES = 20 * 1024 * 1024
# Uploads above 2.5 MB are written to a temporary file while they arrive, not kept in memory
# (Django's default, stated here: the documents rely on it).
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_PERMISSIONS = 0o640
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o750

# Long printouts (a year's bilan, the evaluation: printouts.services). A print page of up to
# PRINTOUT_INLINE_BYTES of HTML is laid out in the request (WeasyPrint lays out about 60 KB of
# the bilan's HTML a second here: 250 KB, about 4 s); a longer one in the background, kept in
# the file storage above and served from it. BACKGROUND_TASKS: "thread" (a thread of the
# worker, after the answer) or "inline" (at once, in the request: the test suite).
PRINTOUT_INLINE_BYTES = int(os.environ.get("PRINTOUT_INLINE_BYTES") or 250_000)
BACKGROUND_TASKS = "thread"

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Security. Production (DEBUG off) gets HTTPS-only cookies, HSTS and the SSL redirect.
# DJANGO_SECURE_SSL_REDIRECT=false turns the redirect off behind a proxy that terminates
# TLS; `make run` (plain HTTP on loopback) also turns secure-only cookies off for itself.
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("DJANGO_BEHIND_PROXY", False) else None
)
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = 0 if DEBUG else int(os.environ.get("DJANGO_HSTS_SECONDS", 31536000))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
# A load balancer probes the health check over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
# Browser features the portal never uses (ctg_portal.middleware adds the header).
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=(), interest-cohort=()"
)
# No inline script or style anywhere: everything comes from the portal's own static files.
# Bootstrap's CSS draws its icons with data: images.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# Errors (500s) are logged on the console and, when DJANGO_ADMINS lists addresses
# ("Name <address>, other@address"), e-mailed to them by Django's `mail_admins` handler.
ADMINS = getaddresses(env_list("DJANGO_ADMINS", ""))
SERVER_EMAIL = os.environ.get("DJANGO_SERVER_EMAIL", "ctg-portal@localhost")


# E-mail: EMAIL_URL in one variable, or EMAIL_HOST and its companions (their DJANGO_-prefixed
# names, documented first, still work). Nothing set: the console backend under debug (e-mails
# are printed in the log), an SMTP server on localhost:25 otherwise (see README.md).
def email_settings(environ, debug):
    """The EMAIL_* settings from the environment `environ` (a mapping), as a dict.

    EMAIL_URL: `smtp://user:password@host:587/?tls=true` (STARTTLS), `smtps://…` (implicit
    TLS, port 465), options `tls`, `ssl`, `timeout`; `console:`, `file:///path`, `dummy:`.
    """
    from urllib.parse import parse_qsl, unquote, urlsplit

    smtp = "django.core.mail.backends.smtp.EmailBackend"
    schemes = {  # scheme: (backend, default port, implicit TLS)
        "smtp": (smtp, 25, False),
        "smtps": (smtp, 465, True),
        "console": ("django.core.mail.backends.console.EmailBackend", 25, False),
        "file": ("django.core.mail.backends.filebased.EmailBackend", 25, False),
        "dummy": ("django.core.mail.backends.dummy.EmailBackend", 25, False),
    }

    def get(name):
        return (environ.get(name) or environ.get(f"DJANGO_{name}") or "").strip()

    def boolean(name, value):
        if value.lower() in {"1", "true", "yes", "on"}:
            return True
        if value.lower() in {"", "0", "false", "no", "off"}:
            return False
        raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}.")

    def number(name, value, default, maximum):
        if not value:
            return default
        if not value.isdigit() or not 0 < int(value) <= maximum:
            raise ImproperlyConfigured(
                f"{name} must be a number from 1 to {maximum}, not {value!r}."
            )
        return int(value)

    timeout = number("EMAIL_TIMEOUT", get("EMAIL_TIMEOUT"), 10, 3600)
    smtp_names = [
        f"EMAIL_{name}"
        for name in ["HOST", "PORT", "HOST_USER", "HOST_PASSWORD", "USE_TLS", "USE_SSL"]
        if get(f"EMAIL_{name}")
    ]
    url = get("EMAIL_URL")
    if url and smtp_names:
        raise ImproperlyConfigured(
            f"Set EMAIL_URL or {', '.join(smtp_names)} (or their DJANGO_ names), not both."
        )
    if url:
        parts = urlsplit(url)
        if parts.scheme not in schemes:
            raise ImproperlyConfigured(
                f"EMAIL_URL must start with {', '.join(f'{s}:' for s in schemes)} "
                f"({f'not {parts.scheme}:' if parts.scheme else 'it has no scheme'})."
            )
        backend, default_port, implicit_tls = schemes[parts.scheme]
        try:
            port = parts.port
        except ValueError:
            raise ImproperlyConfigured("EMAIL_URL has an invalid port.") from None
        options = dict(parse_qsl(parts.query, keep_blank_values=True))
        unknown = sorted(set(options) - {"tls", "ssl", "timeout"})
        if unknown:
            raise ImproperlyConfigured(
                f"EMAIL_URL takes the options tls, ssl and timeout, not {', '.join(unknown)}."
            )
        conf = {
            "EMAIL_BACKEND": backend,
            "EMAIL_HOST": parts.hostname or "localhost",
            "EMAIL_PORT": port or default_port,
            "EMAIL_HOST_USER": unquote(parts.username or ""),
            "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
            "EMAIL_USE_TLS": boolean("EMAIL_URL's tls", options.get("tls", "")),
            "EMAIL_USE_SSL": implicit_tls or boolean("EMAIL_URL's ssl", options.get("ssl", "")),
            "EMAIL_TIMEOUT": number("EMAIL_URL's timeout", options.get("timeout"), timeout, 3600),
        }
        if parts.scheme == "file":
            conf["EMAIL_FILE_PATH"] = unquote(parts.path) or str(VAR_DIR / "emails")
    else:
        # A password keeps its spaces.
        password = environ.get("EMAIL_HOST_PASSWORD") or environ.get("DJANGO_EMAIL_HOST_PASSWORD")
        conf = {
            "EMAIL_BACKEND": (
                "django.core.mail.backends.console.EmailBackend"
                if debug and not smtp_names
                else smtp
            ),
            "EMAIL_HOST": get("EMAIL_HOST") or "localhost",
            "EMAIL_PORT": number("EMAIL_PORT", get("EMAIL_PORT"), 25, 65535),
            "EMAIL_HOST_USER": get("EMAIL_HOST_USER"),
            "EMAIL_HOST_PASSWORD": password or "",
            "EMAIL_USE_TLS": boolean("EMAIL_USE_TLS", get("EMAIL_USE_TLS")),
            "EMAIL_USE_SSL": boolean("EMAIL_USE_SSL", get("EMAIL_USE_SSL")),
            "EMAIL_TIMEOUT": timeout,
        }
    if conf["EMAIL_USE_TLS"] and conf["EMAIL_USE_SSL"]:
        raise ImproperlyConfigured(
            "E-mail: TLS (STARTTLS, tls) and implicit TLS (SSL, ssl, smtps:) exclude each "
            "other: choose one."
        )
    return conf


_email = email_settings(os.environ, DEBUG)
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email["EMAIL_HOST"]
EMAIL_PORT = _email["EMAIL_PORT"]
EMAIL_HOST_USER = _email["EMAIL_HOST_USER"]
EMAIL_HOST_PASSWORD = _email["EMAIL_HOST_PASSWORD"]
EMAIL_USE_TLS = _email["EMAIL_USE_TLS"]
EMAIL_USE_SSL = _email["EMAIL_USE_SSL"]
EMAIL_TIMEOUT = _email["EMAIL_TIMEOUT"]
if "EMAIL_FILE_PATH" in _email:
    EMAIL_FILE_PATH = _email["EMAIL_FILE_PATH"]
DEFAULT_FROM_EMAIL = (
    os.environ.get("DEFAULT_FROM_EMAIL")
    or os.environ.get("DJANGO_DEFAULT_FROM_EMAIL")
    or SERVER_EMAIL
)

# The portal's public address, for the absolute links of its e-mails (invitations, reminders).
PORTAL_BASE_URL = os.environ.get("PORTAL_BASE_URL", "http://127.0.0.1:8000")


def env_weekday(name, default):
    """A day of the week as its ISO number (1 = Monday … 7 = Sunday), from its English or
    French name ("monday", "lundi", any case) or its number as cron counts (1–7 from Monday,
    0 or 7 for Sunday)."""
    days = [
        ("monday", "lundi"),
        ("tuesday", "mardi"),
        ("wednesday", "mercredi"),
        ("thursday", "jeudi"),
        ("friday", "vendredi"),
        ("saturday", "samedi"),
        ("sunday", "dimanche"),
    ]
    value = (os.environ.get(name) or default).strip().lower()
    for number, names in enumerate(days, start=1):
        if value in names:
            return number
    if value.isdigit() and 0 <= int(value) <= 7:
        return int(value) or 7
    raise ImproperlyConfigured(
        f"{name} must be a day of the week (monday or lundi … sunday or dimanche, "
        f"or 1–7 from Monday, 0 for Sunday), not {value!r}."
    )


# The day of the week the reminders' digest goes out (send_reminders runs daily from cron; a
# digest not sent on that day goes out on a later day of the same week).
REMINDERS_WEEKDAY = env_weekday("REMINDERS_WEEKDAY", "monday")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "quiet_forbidden": {"()": "ctg_portal.logging.QuietForbidden"},
        # A calendar feed's address is its credential: masked in "Not Found: /calendrier/…".
        "secret_paths": {
            "()": "ctg_portal.logging.RedactSecretPaths",
        },
    },
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        # Refused accesses (403) at INFO, without a traceback; errors keep theirs (and e-mail).
        "django.request": {"filters": ["quiet_forbidden", "secret_paths"]},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
}

# The read-only API (/api/v1/): personal tokens only (no session, so no CSRF), JSON only,
# French errors (api.errors), pages of 50 (page_size up to 200), throttled per user and, for
# requests without a valid token, per client address.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.authentication.BearerTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.Pagination",
    "DEFAULT_THROTTLE_CLASSES": [
        "api.throttling.TokenUserThrottle",
        "api.throttling.AnonymousThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "api_user": os.environ.get("API_THROTTLE_USER", "1200/hour"),
        "api_anon": os.environ.get("API_THROTTLE_ANON", "120/hour"),
    },
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "API du Portail CTG",
    "DESCRIPTION": "Lecture seule des conventions territoriales globales, par jeton personnel.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_AUTHENTICATION": [],
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "PartnerKindEnum": "conventions.models.Partner.Kind",
        "ConventionStatusEnum": "conventions.models.Convention.Status",
        "SheetStatusEnum": "actions.models.ActionSheet.Status",
        "IndicatorKindEnum": "actions.models.Indicator.Kind",
        "PaymentKindEnum": "funding.models.Payment.Kind",
        "MeetingKindEnum": "committees.models.Meeting.Kind",
        "MeetingStateEnum": "committees.models.Meeting.State",
        "DecisionStateEnum": "committees.models.Decision.State",
    },
}

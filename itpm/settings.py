"""itpm's one settings module.

Every setting comes from an environment variable, read through the helpers below, which
fail loudly on a value they cannot parse. README.md documents every variable, and
tests/test_settings_documented.py fails when one is missing there.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def envstr(name: str, default: str) -> str:
    return os.environ.get(name, default)


def envbool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name}: expected a boolean (true/false), got {value!r}")


def envint(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}: expected an integer, got {value!r}") from None


def envlist(name: str, default: str) -> list[str]:
    return [item.strip() for item in envstr(name, default).split(",") if item.strip()]


DATA_DIR = Path(envstr("ITPM_DATA_DIR", str(BASE_DIR / "var"))).resolve()
# The SQLite file (and its test copy) lives here; every entry point needs it to exist.
DATA_DIR.mkdir(parents=True, exist_ok=True)
DEBUG = envbool("ITPM_DEBUG", False)
# Production turns on HTTPS-only cookies and HSTS; `itpm check` expects it on a server.
PRODUCTION = envbool("ITPM_PRODUCTION", False)

_DEV_SECRET = "itpm-insecure-development-key-change-me-for-any-real-use"  # noqa: S105
SECRET_KEY = envstr("ITPM_SECRET_KEY", "" if PRODUCTION else _DEV_SECRET)
if not SECRET_KEY:
    raise ImproperlyConfigured("ITPM_SECRET_KEY must be set when ITPM_PRODUCTION is on")

ALLOWED_HOSTS = envlist("ITPM_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = envlist("ITPM_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "ninja",
    "itpm.core",
    "itpm.accounts",
    "itpm.portfolio",
    "itpm.planning",
    "itpm.tracking",
    "itpm.control",
    "itpm.assets",
    "itpm.helpdesk",
    "itpm.interop",
    "itpm.documents",
    "itpm.notifications",
    "itpm.collab",
    "itpm.webhooks",
    "itpm.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # A body larger than the largest allowed upload is refused (413) before it is read.
    "itpm.core.security.RequestSizeLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "itpm.web.middleware.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Idle and absolute session expiry; a cap on API writes per user (429 + Retry-After).
    "itpm.core.security.SessionExpiryMiddleware",
    "itpm.core.security.ApiWriteRateLimitMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "itpm.web.middleware.UserTimezoneMiddleware",
    # Outside requesters (portal-only users) see the portal and nothing else.
    "itpm.helpdesk.middleware.PortalOnlyMiddleware",
    # A POST with an Idempotency-Key header happens once; a retry replays the answer.
    "itpm.core.idempotency.IdempotencyMiddleware",
]

ROOT_URLCONF = "itpm.urls"
WSGI_APPLICATION = "itpm.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "web:project_list"
LOGOUT_REDIRECT_URL = "login"
# Django's model backend plus the login lockout (itpm/core/security.py).
AUTHENTICATION_BACKENDS = ["itpm.core.security.LockoutModelBackend"]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
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

# The embedded default is an SQLite file in the data directory; DATABASE_URL selects
# PostgreSQL (postgres://user@host:5432/name) for production.
_default_db = f"sqlite:///{DATA_DIR / 'itpm.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(envstr("DATABASE_URL", _default_db), conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # WAL lets readers work while one writer writes; IMMEDIATE transactions take the write
    # lock up front so two writers queue on busy_timeout instead of failing mid-transaction.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test-itpm.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = envstr("ITPM_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
# Browser assets come from npm packages (package.json), never from copies in the repo.
NODE_MODULES = BASE_DIR / "node_modules"
STATICFILES_DIRS = [
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
    ("vendor/pico", NODE_MODULES / "@picocss" / "pico" / "css"),
    ("vendor/sortablejs", NODE_MODULES / "sortablejs" / "modular"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
# Uploaded files (ticket attachments) live on the default storage in the data directory.
MEDIA_ROOT = DATA_DIR / "uploads"
MEDIA_URL = "/media/"  # never served directly: downloads go through permission-checked views
# Largest attachment accepted, in megabytes.
ITPM_MAX_UPLOAD_MB = envint("ITPM_MAX_UPLOAD_MB", 10)
# Project documents (itpm/documents): largest file in megabytes, most documents per project,
# and the file types (extensions) accepted; each file's content must match its extension.
ITPM_DOCUMENT_MAX_MB = envint("ITPM_DOCUMENT_MAX_MB", 25)
ITPM_DOCUMENT_MAX_PER_PROJECT = envint("ITPM_DOCUMENT_MAX_PER_PROJECT", 1000)
ITPM_DOCUMENT_TYPES = envlist(
    "ITPM_DOCUMENT_TYPES",
    "pdf,png,jpg,jpeg,gif,webp,txt,md,csv,log,json,docx,xlsx,pptx,odt,ods,zip",
)
# Most files on one help-desk ticket; largest asset import file, in megabytes.
ITPM_MAX_ATTACHMENTS = envint("ITPM_MAX_ATTACHMENTS", 20)
ITPM_MAX_IMPORT_MB = envint("ITPM_MAX_IMPORT_MB", 20)
# Any request body above this is refused unread (the largest upload plus form overhead).
ITPM_MAX_REQUEST_MB = envint("ITPM_MAX_REQUEST_MB", 30)

TASKS = {
    "default": {
        "BACKEND": envstr("ITPM_TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

# A background job still RUNNING this long after a worker claimed it is taken to have lost
# its worker (killed, machine gone) and is queued again (itpm/core/jobs.py).
ITPM_JOB_LEASE_SECONDS = envint("ITPM_JOB_LEASE_SECONDS", 30 * 60)

EMAIL_BACKEND = envstr("ITPM_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = envstr("ITPM_FROM_EMAIL", "itpm@localhost")
# SMTP, when ITPM_EMAIL_BACKEND is django.core.mail.backends.smtp.EmailBackend.
EMAIL_HOST = envstr("ITPM_SMTP_HOST", "localhost")
EMAIL_PORT = envint("ITPM_SMTP_PORT", 25)
EMAIL_HOST_USER = envstr("ITPM_SMTP_USER", "")
EMAIL_HOST_PASSWORD = envstr("ITPM_SMTP_PASSWORD", "")
EMAIL_USE_TLS = envbool("ITPM_SMTP_STARTTLS", False)
EMAIL_USE_SSL = envbool("ITPM_SMTP_SSL", False)
EMAIL_TIMEOUT = envint("ITPM_SMTP_TIMEOUT", 20)
# Links in e-mail and the calendar-feed URLs start with this address.
ITPM_BASE_URL = envstr("ITPM_BASE_URL", "http://127.0.0.1:8000")
# The daily digest goes out once a day when the person's local clock passes this hour.
ITPM_DIGEST_HOUR = envint("ITPM_DIGEST_HOUR", 7)

# A browser session ends this long after log-in (absolute), or after this long idle.
SESSION_COOKIE_AGE = envint("ITPM_SESSION_SECONDS", 60 * 60 * 12)
ITPM_SESSION_IDLE_SECONDS = envint("ITPM_SESSION_IDLE_SECONDS", 60 * 60)
# Login lockout: this many failures for one username (or, separately, from one address)
# lock log-in for that username (address) for ITPM_LOGIN_LOCKOUT_SECONDS. 0 turns it off.
ITPM_LOGIN_MAX_FAILURES = envint("ITPM_LOGIN_MAX_FAILURES", 5)
ITPM_LOGIN_MAX_FAILURES_PER_IP = envint("ITPM_LOGIN_MAX_FAILURES_PER_IP", 20)
ITPM_LOGIN_LOCKOUT_SECONDS = envint("ITPM_LOGIN_LOCKOUT_SECONDS", 15 * 60)
# API writes (POST/PUT/PATCH/DELETE) one user may make a minute; 0 turns the limit off.
ITPM_API_WRITES_PER_MINUTE = envint("ITPM_API_WRITES_PER_MINUTE", 300)
# Password-reset requests: at most this many per target address and per client address in
# ITPM_PASSWORD_RESET_LIMIT_SECONDS; more get the same page and no mail. 0 turns one off.
ITPM_PASSWORD_RESETS_PER_ADDRESS = envint("ITPM_PASSWORD_RESETS_PER_ADDRESS", 3)
ITPM_PASSWORD_RESETS_PER_IP = envint("ITPM_PASSWORD_RESETS_PER_IP", 10)
ITPM_PASSWORD_RESET_LIMIT_SECONDS = envint("ITPM_PASSWORD_RESET_LIMIT_SECONDS", 60 * 60)
# API tokens expire this many days after they are made (0: never).
ITPM_API_TOKEN_DAYS = envint("ITPM_API_TOKEN_DAYS", 90)
# A password-reset link works this long, and only once.
PASSWORD_RESET_TIMEOUT = envint("ITPM_PASSWORD_RESET_SECONDS", 60 * 60)
# Lockout and rate-limit counters: "db" (shared by every process; the default), "locmem"
# (one process only) or a redis:// URL (needs the redis package).
_cache = envstr("ITPM_CACHE", "db")
if _cache == "db":
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache",
                          "LOCATION": "itpm_cache"}}  # fmt: skip
elif _cache == "locmem":
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
elif _cache.startswith(("redis://", "rediss://")):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": _cache}}  # fmt: skip
else:
    raise ImproperlyConfigured(f"ITPM_CACHE: expected db, locmem or redis://..., got {_cache!r}")
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = envbool("ITPM_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = envint("ITPM_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("ITPM_HSTS_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = envbool("ITPM_HSTS_PRELOAD", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": envstr("ITPM_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# A page of an API list holds at most this many items.
API_MAX_PAGE_SIZE = envint("ITPM_API_MAX_PAGE_SIZE", 500)

# Tracking (issue 6): a purchase request at or above this amount (whole units of the
# project's currency) also needs the project manager's approval; nobody logs more than
# this many hours a day.
ITPM_PROCUREMENT_MANAGER_THRESHOLD = envint("ITPM_PROCUREMENT_MANAGER_THRESHOLD", 10000)
ITPM_MAX_HOURS_PER_DAY = envint("ITPM_MAX_HOURS_PER_DAY", 12)

# Webhooks (itpm/webhooks): host names, addresses or networks (CIDR) a webhook may reach
# despite the SSRF guard (self-hosted receivers on an internal network); failed attempts
# in a row before a subscription is disabled; seconds before a delivery request gives up.
WEBHOOK_ALLOWED_HOSTS = envlist("ITPM_WEBHOOK_ALLOWED_HOSTS", "")
WEBHOOK_MAX_FAILURES = envint("ITPM_WEBHOOK_MAX_FAILURES", 15)
WEBHOOK_TIMEOUT_SECONDS = envint("ITPM_WEBHOOK_TIMEOUT", 10)

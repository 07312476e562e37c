"""Settings shared by every environment; everything site-specific comes from the environment.

`DATABASE_URL` selects the database (an SQLite file under ``var/`` by default, PostgreSQL when
set), `SECRET_KEY` is generated and kept under ``var/`` in the embedded default and required in
production, `ALLOWED_HOSTS` is a comma-separated list.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

PACKAGE_DIR = Path(__file__).resolve().parent.parent
BASE_DIR = Path(os.environ.get("OPENTTO_HOME", Path.cwd())).resolve()
VAR_DIR = Path(os.environ.get("OPENTTO_VAR_DIR", BASE_DIR / "var")).resolve()


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def embedded_secret_key() -> str:
    """Return the key kept in ``var/secret_key``, creating it on first run."""
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = os.environ.get("SECRET_KEY") or embedded_secret_key()
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    # Django's admin with OpenTTO's site as the default one (two-factor: django-otp's OTPAdminSite).
    "opentto.accounts.admin_config.OpenTTOAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_otp",
    "axes",
    "opentto.core",
    "opentto.accounts",
    "opentto.organisations",
    "opentto.directory",
    "opentto.results",
    "opentto.rights",
    "opentto.evaluation",
    "opentto.patents",
    "opentto.financing",
    "opentto.planning",
    "opentto.landing",
    "opentto.poc",
    "opentto.dashboard",
    "opentto.matching",
    "opentto.search",
    "opentto.demands",
    "opentto.showcase",
    "opentto.subsidies",
    "opentto.tax",
    "opentto.notifications",
    "opentto.imports",
    "opentto.api",
    "opentto.access",
    "opentto.clashes",
    "opentto.worklist",
    "opentto.portfolio",
    "opentto.demo",
]

MIDDLEWARE = [
    # /healthz, /healthz/live, /healthz/ready: answered first (no session, host check or redirect).
    "opentto.core.health.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): whether this session gave a second factor (django-otp).
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "opentto.core.middleware.SecurityHeadersMiddleware",
    # Every door: a two-factor user's session that has not given its code reaches only the
    # code page (docs/security.md, "Two-factor authentication").
    "opentto.accounts.middleware.TwoFactorMiddleware",
    # Sign-in throttling (django-axes); last, as axes asks.
    "axes.middleware.AxesMiddleware",
]

# Sign-in throttling first (django-axes counts and refuses), then the password check.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "opentto.urls"
WSGI_APPLICATION = "opentto.wsgi.application"

FORM_RENDERER = "opentto.core.forms_renderer.Renderer"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "opentto.core.context_processors.platform",
                "opentto.notifications.context_processors.notifications",
                "opentto.core.context_processors.navigation",
                "opentto.worklist.context_processors.worklist",
            ],
        },
    },
]

DEFAULT_SQLITE_PATH = VAR_DIR / "opentto.sqlite3"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{DEFAULT_SQLITE_PATH}"),
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout: readers never block the writer (paperless-ngx does the same).
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update(
        {
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
            "transaction_mode": "IMMEDIATE",
        }
    )


DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "home"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "opentto.accounts.validators.MaximumLengthValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "中文"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "Asia/Shanghai"  # shown to users; stored in UTC (USE_TZ)
# Numbers in templates stay plain (ids in URLs and attributes); money uses the `yuan` filter and
# counts `intcomma`, which add their own separators.
USE_THOUSAND_SEPARATOR = False
# Our own format overrides (opentto/formats/<locale>/formats.py): a date field's widget writes its
# value in the first of DATE_INPUT_FORMATS, and <input type="date"> takes only ISO dates.
FORMAT_MODULE_PATH = ["opentto.formats"]

STATIC_URL = "/static/"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
# Attachments are served only through a permission-checked view, never from MEDIA_URL.
MEDIA_URL = "/media-not-served/"

OPENTTO_MAX_UPLOAD_BYTES = int(os.environ.get("OPENTTO_MAX_UPLOAD_BYTES", str(20 * 1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = int(
    os.environ.get("SESSION_COOKIE_AGE", str(12 * 3600))
)  # a working day, then sign in again
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
# Security (docs/security.md): wrong passwords (for one user name from one address) before the
# sign-in locks for that pair, the lock's length, roles that must use two-factor, the encryption
# keys of personal data (Fernet, comma-separated, newest first; derived from SECRET_KEY when unset).
OPENTTO_LOCKOUT_THRESHOLD = int(os.environ.get("OPENTTO_LOCKOUT_THRESHOLD", "10"))
OPENTTO_LOCKOUT_MINUTES = int(os.environ.get("OPENTTO_LOCKOUT_MINUTES", "30"))
OPENTTO_TOTP_REQUIRED_ROLES = env_list("OPENTTO_TOTP_REQUIRED_ROLES")
# Seconds to wait after a wrong two-factor code, doubled with each further one (django-otp).
OPENTTO_OTP_THROTTLE_FACTOR = int(os.environ.get("OPENTTO_OTP_THROTTLE_FACTOR", "1"))
# django-axes: a lock holds one user name at one address (nobody locks a colleague out from
# elsewhere); a locked sign-in gets the very answer a wrong password gets (the lockout response
# is the sign-in page as rendered); a right password clears the count; tries during a lock do
# not extend it. The address is the one the audit log records (OPENTTO_REMOTE_ADDR_HEADER).
AXES_FAILURE_LIMIT = OPENTTO_LOCKOUT_THRESHOLD
AXES_COOLOFF_TIME = timedelta(minutes=OPENTTO_LOCKOUT_MINUTES)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "opentto.accounts.throttling.lockout_response"
AXES_CLIENT_IP_CALLABLE = "opentto.core.audit.request_remote_addr"
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "password", "code"]
# Successful sign-ins are in the audit log (user.login) already: no second, unpruned log.
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False  # no start-up banner on every command (one-line errors stay one line)
OPENTTO_FIELD_KEYS = os.environ.get("OPENTTO_FIELD_KEYS", "")
OPENTTO_REMOTE_ADDR_HEADER = os.environ.get("OPENTTO_REMOTE_ADDR_HEADER", "")
# The audit chain's head, signed and kept outside the database (docs/security.md): the file it is
# written to after every commit that records audit entries, and its HMAC key (else a random key
# created on first use in OPENTTO_AUDIT_ANCHOR_KEY_FILE, mode 0600: keep it out of database backups).
OPENTTO_AUDIT_ANCHOR_FILE: Path | None = Path(
    os.environ.get("OPENTTO_AUDIT_ANCHOR_FILE") or VAR_DIR / "audit_anchor.json"
)
OPENTTO_AUDIT_ANCHOR_KEY = os.environ.get("OPENTTO_AUDIT_ANCHOR_KEY", "")
OPENTTO_AUDIT_ANCHOR_KEY_FILE = Path(
    os.environ.get("OPENTTO_AUDIT_ANCHOR_KEY_FILE") or VAR_DIR / "audit_anchor_key"
)
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "OpenTTO <noreply@opentto.local>")

# Background work: Celery with Redis in production; in-process in the embedded default.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE

# Django's cache (the dashboard's figures, opentto/core/cache.py): Redis when CACHE_URL names
# one (production: shared by every worker, e.g. redis://127.0.0.1:6379/1), else in-process memory.
CACHE_URL = os.environ.get("CACHE_URL", "")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
    if CACHE_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}
if CACHE_URL:
    # Sessions are read through the shared cache (and still written to the database): one query
    # fewer on every signed-in request.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
OPENTTO_FIGURES_CACHE_SECONDS = int(os.environ.get("OPENTTO_FIGURES_CACHE_SECONDS", "300"))

# Four-eyes approval of transfer plans (docs/planning.md): whoever drafted or last changed a plan
# cannot approve it. On by default; the embedded/demo settings (dev.py) and tests turn it off.
OPENTTO_PLAN_FOUR_EYES = env_bool("OPENTTO_PLAN_FOUR_EYES", True)

OPENTTO_INDEX_DIR = Path(os.environ.get("OPENTTO_INDEX_DIR", VAR_DIR / "index"))
# How often a search re-checks the indexed tables for writes that bypassed the services (seconds).
OPENTTO_INDEX_SYNC_SECONDS = float(os.environ.get("OPENTTO_INDEX_SYNC_SECONDS", "30"))
OPENTTO_DEMAND_FIT_SECONDS = int(os.environ.get("OPENTTO_DEMAND_FIT_SECONDS", str(24 * 3600)))

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "opentto.api.authentication.TokenAuthentication",
        # A session counts only once two-factor is done (a password-only session gets 401).
        "opentto.accounts.authentication.VerifiedSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticatedOrReadOnly",
        "opentto.api.permissions.TokenScopePermission",
    ],
    "DEFAULT_PAGINATION_CLASS": "opentto.core.pagination.ApiCursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "ORDERING_PARAM": "ordering",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "OpenTTO API",
    "DESCRIPTION": "Results, IP assets, organisations, people, demands and their matches, evaluations, transfer plans, "
    "deals, payments, subsidy applications and figures of an OpenTTO platform. "
    "Authenticate with `Authorization: Token <key>` (`opentto token create USERNAME`).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # The docs page's JavaScript and CSS come from the installed drf-spectacular-sidecar: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "ResultKindEnum": "opentto.results.models.ResultKindChoices",
        "ResultFieldEnum": "opentto.results.models.ResultFieldChoices",
        "ResultStageEnum": "opentto.results.models.ResultStageChoices",
        "IPAssetKindEnum": "opentto.results.models.IPAssetKindChoices",
        "IPAssetStatusEnum": "opentto.results.models.IPAssetStatusChoices",
        "OrganisationKindEnum": "opentto.organisations.models.OrganisationKindChoices",
        "MembershipRoleEnum": "opentto.organisations.models.MembershipRoleChoices",
        "DealStatusEnum": "opentto.landing.models.DealStatusChoices",
        "DealTypeEnum": "opentto.landing.models.DealTypeChoices",
    },
}
# SMTP for notification e-mail (EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend).
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "20"))
#: The site's address, for links in e-mails (https://tto.example.gov.cn).
OPENTTO_BASE_URL = os.environ.get("OPENTTO_BASE_URL", "")
#: Prometheus scrapes /metrics with ``Authorization: Bearer <this>`` (empty: only signed-in staff).
OPENTTO_METRICS_TOKEN = os.environ.get("OPENTTO_METRICS_TOKEN", "")

# Structured logs: one JSON object per line on stderr (LOG_FORMAT=plain for a terminal).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "opentto.api.jsonlog.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain"
            if os.environ.get("LOG_FORMAT", "json").lower() == "plain"
            else "json",
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}

OPENTTO_PLATFORM_NAME = _("OpenTTO")
OPENTTO_DEMO_PASSWORD_FILE = VAR_DIR / "demo_password"

"""Production: PostgreSQL, Celery on Redis, HTTPS. Every secret comes from the environment.
See docs/security.md for the settings a production site must set."""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env_bool, env_list

if not os.environ.get("SECRET_KEY"):
    raise ImproperlyConfigured("SECRET_KEY must be set in production.")
DEBUG = False
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
# The __Host- prefix: the browser sends these cookies only over HTTPS, to this host, for every path.
SESSION_COOKIE_NAME = "__Host-opentto-session"
CSRF_COOKIE_NAME = "__Host-opentto-csrf"
LANGUAGE_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Admins and TTO managers must use two-factor authentication (TOTP) unless the site says otherwise.
OPENTTO_TOTP_REQUIRED_ROLES = env_list("OPENTTO_TOTP_REQUIRED_ROLES", "admin,manager")
if not os.environ.get("OPENTTO_FIELD_KEYS"):
    import warnings

    warnings.warn(
        "OPENTTO_FIELD_KEYS is not set: personal data is encrypted with a key derived from SECRET_KEY.",
        stacklevel=1,
    )

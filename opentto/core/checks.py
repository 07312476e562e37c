"""OpenTTO's own deployment checks (``opentto check --deploy``), next to Django's: settings that
are unsafe or missing for a production site. Registered in ``CoreConfig.ready``."""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Info, Tags, Warning, register


@register(Tags.security, deploy=True)
def check_opentto_deploy(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    db = settings.DATABASES["default"]
    if db["ENGINE"] == "django.db.backends.sqlite3":
        messages.append(
            Warning(
                "The database is SQLite.",
                hint="Set DATABASE_URL to a PostgreSQL database for a multi-user production site (docs/operations.md).",
                id="opentto.W001",
            )
        )
    if not os.environ.get("SECRET_KEY"):
        messages.append(
            Error(
                "SECRET_KEY is not set in the environment (a key generated under var/ is in use).",
                hint="Set SECRET_KEY to a long random value kept outside the code and the data directory.",
                id="opentto.E001",
            )
        )
    if settings.DEBUG:
        messages.append(
            Error("DEBUG is on.", hint="Unset DEBUG (or DEBUG=0) in production.", id="opentto.E002")
        )
    hosts = set(settings.ALLOWED_HOSTS)
    if not hosts or hosts <= {"127.0.0.1", "localhost", "[::1]", "testserver"} or "*" in hosts:
        messages.append(
            Error(
                f"ALLOWED_HOSTS is {sorted(hosts)}.",
                hint="Set ALLOWED_HOSTS to the site's host name(s), e.g. ALLOWED_HOSTS=tto.example.gov.cn.",
                id="opentto.E003",
            )
        )
    if not settings.CELERY_BROKER_URL:
        messages.append(
            Warning(
                "CELERY_BROKER_URL is not set: background work (imports, e-mail digests, indexing) runs inside web requests.",
                hint="Run Redis and set CELERY_BROKER_URL=redis://127.0.0.1:6379/0; start a Celery worker and beat.",
                id="opentto.W002",
            )
        )
    cache_backend = settings.CACHES["default"]["BACKEND"]
    if cache_backend.endswith(("locmem.LocMemCache", "dummy.DummyCache")):
        messages.append(
            Warning(
                f"The cache is {cache_backend}: each worker process keeps its own copy of the figures and sees another "
                "worker's changes only when they expire.",
                hint="Set CACHE_URL=redis://127.0.0.1:6379/1 so all workers share one cache.",
                id="opentto.W007",
            )
        )
    backend = settings.EMAIL_BACKEND
    if backend.endswith(
        (
            "console.EmailBackend",
            "locmem.EmailBackend",
            "dummy.EmailBackend",
            "filebased.EmailBackend",
        )
    ):
        messages.append(
            Warning(
                f"EMAIL_BACKEND is {backend}: no e-mail reaches anyone.",
                hint="Set EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend with EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER, "
                "EMAIL_HOST_PASSWORD and EMAIL_USE_TLS/EMAIL_USE_SSL.",
                id="opentto.W003",
            )
        )
    elif backend.endswith("smtp.EmailBackend") and getattr(settings, "EMAIL_HOST", "") in {
        "",
        "localhost",
    }:
        messages.append(
            Warning(
                "EMAIL_HOST is not set for the SMTP backend.",
                hint="Set EMAIL_HOST (and its port and credentials).",
                id="opentto.W004",
            )
        )
    if not str(getattr(settings, "OPENTTO_BASE_URL", "")).startswith(("https://", "http://")):
        messages.append(
            Warning(
                "OPENTTO_BASE_URL is not set: links in e-mails are paths without the site's address, which mail clients cannot open.",
                hint="Set OPENTTO_BASE_URL to the address users open, e.g. https://tto.example.gov.cn.",
                id="opentto.W008",
            )
        )
    if "noreply@opentto.local" in settings.DEFAULT_FROM_EMAIL:
        messages.append(
            Warning(
                "DEFAULT_FROM_EMAIL is the demo address.",
                hint="Set DEFAULT_FROM_EMAIL to an address of your office.",
                id="opentto.W005",
            )
        )
    if not getattr(settings, "SESSION_COOKIE_SECURE", False) or not getattr(
        settings, "CSRF_COOKIE_SECURE", False
    ):
        messages.append(
            Warning(
                "Session and CSRF cookies may travel over plain HTTP.",
                hint="Use DJANGO_SETTINGS_MODULE=opentto.settings.production behind HTTPS.",
                id="opentto.W006",
            )
        )
    if not getattr(settings, "OPENTTO_METRICS_TOKEN", ""):
        messages.append(
            Info(
                "OPENTTO_METRICS_TOKEN is not set: /metrics answers only signed-in managers.",
                hint="Set OPENTTO_METRICS_TOKEN and give it to Prometheus as a bearer token.",
                id="opentto.I001",
            )
        )
    if not getattr(settings, "OPENTTO_AUDIT_ANCHOR_FILE", None):
        messages.append(
            Warning(
                "OPENTTO_AUDIT_ANCHOR_FILE is empty: the audit chain's head is not anchored, so its newest entries can be removed unnoticed.",
                hint="Unset it (default var/audit_anchor.json) or point it at a writable file.",
                id="opentto.W009",
            )
        )
    elif not getattr(settings, "OPENTTO_AUDIT_ANCHOR_KEY", ""):
        messages.append(
            Info(
                f"OPENTTO_AUDIT_ANCHOR_KEY is not set: the audit anchor is signed with the key in {settings.OPENTTO_AUDIT_ANCHOR_KEY_FILE}.",
                hint="Keep a copy of that file apart from the backups, or set OPENTTO_AUDIT_ANCHOR_KEY from the environment.",
                id="opentto.I003",
            )
        )
    media = str(settings.MEDIA_ROOT)
    static = str(settings.STATIC_ROOT)
    if media.startswith(static) or static.startswith(media):
        messages.append(
            Error(
                "MEDIA_ROOT and STATIC_ROOT overlap: uploaded files could be served as static files.",
                hint="Keep them in separate directories.",
                id="opentto.E004",
            )
        )
    logging_config: dict[str, Any] = settings.LOGGING
    if logging_config.get("handlers", {}).get("console", {}).get("formatter") != "json":
        messages.append(
            Info(
                "Logs are plain text.",
                hint="Unset LOG_FORMAT (or LOG_FORMAT=json) for one JSON object per line.",
                id="opentto.I002",
            )
        )
    return messages

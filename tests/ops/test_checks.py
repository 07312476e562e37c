"""``opentto check --deploy`` reports unsafe or missing settings."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.checks import run_checks

from opentto.core.checks import check_opentto_deploy


def ids(**kwargs: Any) -> set[str]:
    return {m.id for m in check_opentto_deploy()}  # type: ignore[misc]


def test_an_unsafe_site_is_reported(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SECRET_KEY", raising=False)
    settings.DEBUG = True
    settings.ALLOWED_HOSTS = ["*"]
    settings.CELERY_BROKER_URL = ""
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    monkeypatch.setitem(settings.DATABASES["default"], "ENGINE", "django.db.backends.sqlite3")
    found = ids()
    assert {
        "opentto.E001",
        "opentto.E002",
        "opentto.E003",
        "opentto.W001",
        "opentto.W002",
        "opentto.W003",
        "opentto.W007",
        "opentto.W008",
    } <= found
    # Registered as a deployment check: part of check --deploy, not of a plain check.
    assert "opentto.E002" in {m.id for m in run_checks(include_deployment_checks=True)}
    assert "opentto.E002" not in {m.id for m in run_checks(include_deployment_checks=False)}


def test_a_well_configured_site_passes(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRET_KEY", "x" * 60)
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["tto.example.gov.cn"]
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/0"
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "smtp.example.gov.cn"
    settings.DEFAULT_FROM_EMAIL = "TTO <tto@example.gov.cn>"
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    settings.OPENTTO_METRICS_TOKEN = "scrape"
    settings.OPENTTO_BASE_URL = "https://tto.example.gov.cn"
    settings.OPENTTO_AUDIT_ANCHOR_FILE = "/srv/opentto/var/audit_anchor.json"
    settings.OPENTTO_AUDIT_ANCHOR_KEY = "k" * 40
    monkeypatch.setitem(
        settings.CACHES["default"], "BACKEND", "django.core.cache.backends.redis.RedisCache"
    )
    monkeypatch.setitem(settings.DATABASES["default"], "ENGINE", "django.db.backends.postgresql")
    settings.LOGGING = {
        **settings.LOGGING,
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
    }
    assert ids() == set()


def test_the_audit_anchor_is_checked(settings: Any) -> None:
    settings.OPENTTO_AUDIT_ANCHOR_FILE = None
    assert {"opentto.W009"} <= ids() and "opentto.I003" not in ids()
    settings.OPENTTO_AUDIT_ANCHOR_FILE = "/srv/opentto/var/audit_anchor.json"
    settings.OPENTTO_AUDIT_ANCHOR_KEY = ""
    assert "opentto.I003" in ids() and "opentto.W009" not in ids()
    settings.OPENTTO_AUDIT_ANCHOR_KEY = "k" * 40
    assert not {"opentto.I003", "opentto.W009"} & ids()

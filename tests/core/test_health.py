"""Liveness touches nothing; readiness checks the database, the cache and (when configured) the
broker, and names what failed; ``/healthz`` is readiness."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import OperationalError, connections
from django.test import Client

from opentto import __version__

pytestmark = pytest.mark.django_db

DEAD_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1: the connection is refused at once


@pytest.fixture
def database_down(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every new query fails as if the server refused the connection."""

    def refuse() -> None:
        raise OperationalError(
            'connection to server at "127.0.0.1", port 5432 failed: Connection refused'
        )

    with monkeypatch.context() as patch:
        patch.setattr(connections["default"], "ensure_connection", refuse)
        yield


def test_liveness_answers_without_the_database(django_assert_num_queries, manager):
    client = Client()
    client.force_login(manager)  # a session cookie is not even read
    with django_assert_num_queries(0):
        response = client.get("/healthz/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "version": __version__}
    assert response["Cache-Control"] == "no-store"


def test_readiness_reports_each_part(settings):
    response = Client().get("/healthz/ready")
    assert response.status_code == 200
    data = response.json()
    assert data["status"] == "ok" and data["failed"] == [] and data["version"] == __version__
    assert data["database"] == {
        "vendor": connections["default"].vendor,
        "migrations_pending": False,
        "ok": True,
    }
    assert data["cache"] == {"backend": "LocMemCache", "ok": True}
    assert "broker" not in data  # tasks run in-process: no broker to check


def test_healthz_is_readiness():
    ready, plain = Client().get("/healthz/ready").json(), Client().get("/healthz").json()
    ready.pop("duration_ms"), plain.pop("duration_ms")
    assert plain == ready


def test_probes_need_no_host_name_and_no_https(settings):
    settings.SECURE_SSL_REDIRECT = True
    client = Client(HTTP_HOST="10.1.2.3:8000")  # a probe sends the machine's address
    assert client.get("/healthz/live").status_code == 200
    assert client.get("/healthz/ready").status_code == 200
    assert client.get("/en/").status_code == 400  # other pages still check the host


def test_only_get_and_head():
    response = Client().post("/healthz/ready")
    assert response.status_code == 405 and response["Allow"] == "GET, HEAD"
    assert Client().head("/healthz/live").status_code == 200


def test_with_the_database_down_readiness_fails_and_liveness_holds(database_down):
    live = Client().get("/healthz/live")
    assert live.status_code == 200 and live.json()["status"] == "ok"
    for path in ("/healthz/ready", "/healthz"):
        response = Client().get(path)
        assert response.status_code == 503
        data = response.json()
        assert data["status"] == "error" and data["failed"] == ["database"]
        assert data["database"] == {
            "vendor": connections["default"].vendor,
            "ok": False,
            "error": "OperationalError",
        }
        assert data["cache"]["ok"] is True


def test_a_cache_that_does_not_answer_fails_readiness(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": DEAD_REDIS,
        }
    }
    response = Client().get("/healthz/ready")
    assert response.status_code == 503
    data = response.json()
    assert data["failed"] == ["cache"] and data["cache"] == {
        "backend": "RedisCache",
        "ok": False,
        "error": "ConnectionError",
    }
    assert data["database"]["ok"] is True


def test_a_configured_broker_is_checked(settings):
    settings.CELERY_BROKER_URL = "memory://"
    data = Client().get("/healthz/ready").json()
    assert data["broker"] == {"ok": True} and data["failed"] == []
    settings.CELERY_BROKER_URL = DEAD_REDIS
    response = Client().get("/healthz/ready")
    assert response.status_code == 503
    data = response.json()
    assert (
        data["failed"] == ["broker"] and data["broker"]["ok"] is False and data["broker"]["error"]
    )

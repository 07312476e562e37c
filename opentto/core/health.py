"""Health checks for load balancers and orchestrators (docs/operations.md, "Monitoring").

- ``GET /healthz/live`` — liveness: the process answers. No database, no cache, nothing else: a
  database outage must not make a supervisor restart every worker.
- ``GET /healthz/ready`` — readiness: the database answers a query, the cache stores and returns a
  value, and the Celery broker accepts a connection when ``CELERY_BROKER_URL`` is set. 200 when all
  do; 503 with ``"failed": [...]`` naming the ones that did not.
- ``GET /healthz`` — the same as readiness (the address monitors have used so far).

:class:`HealthCheckMiddleware` answers these paths before any other middleware, so no session,
user, host-name check or HTTPS redirect stands between a probe and its answer (a probe sends the
machine's address as its host name, over plain HTTP). Errors are named by their class only; the
full message goes to the log.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse

from opentto import __version__

logger = logging.getLogger("opentto.health")

#: Set once no migration is pending: migrations are not unapplied while a process runs.
_migrations_applied = False
#: Seconds a broker gets to accept a connection.
BROKER_TIMEOUT = 3.0


def _failure(name: str, exc: BaseException) -> dict[str, Any]:
    logger.warning(
        "readiness: %s unavailable: %s: %s",
        name,
        exc.__class__.__name__,
        str(exc).strip().splitlines()[0] if str(exc).strip() else "",
    )
    return {"ok": False, "error": exc.__class__.__name__}


def check_database() -> dict[str, Any]:
    """A query answers; also reports (without failing on it) whether migrations are pending."""
    global _migrations_applied
    state: dict[str, Any] = {"vendor": connection.vendor}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        if not _migrations_applied:
            from django.db.migrations.executor import MigrationExecutor

            executor = MigrationExecutor(connection)
            _migrations_applied = not executor.migration_plan(executor.loader.graph.leaf_nodes())
        state["migrations_pending"] = not _migrations_applied
    except Exception as exc:
        return {**state, **_failure("database", exc)}
    return {**state, "ok": True}


def check_cache() -> dict[str, Any]:
    """The default cache stores a value and gives it back."""
    from django.core.cache import cache

    state: dict[str, Any] = {"backend": settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]}
    key, value = f"opentto:healthz:{secrets.token_hex(8)}", secrets.token_hex(8)
    try:
        cache.set(key, value, timeout=10)
        if cache.get(key) != value:
            raise LookupError("the cache did not return the value just stored")
        cache.delete(key)
    except Exception as exc:
        return {**state, **_failure("cache", exc)}
    return {**state, "ok": True}


def check_broker() -> dict[str, Any] | None:
    """The Celery broker accepts a connection (``None`` when tasks run in-process)."""
    url = getattr(settings, "CELERY_BROKER_URL", "")
    if not url:
        return None
    from opentto.celery import app

    try:
        with app.connection_for_write(url=url) as conn:
            conn.ensure_connection(max_retries=0, timeout=BROKER_TIMEOUT)
    except Exception as exc:
        return _failure("broker", exc)
    return {"ok": True}


def readiness() -> tuple[bool, dict[str, Any]]:
    started = time.monotonic()
    checks: dict[str, Any] = {"database": check_database(), "cache": check_cache()}
    broker = check_broker()
    if broker is not None:
        checks["broker"] = broker
    failed = [name for name, state in checks.items() if not state["ok"]]
    body = {
        "status": "ok" if not failed else "error",
        "version": __version__,
        **checks,
        "failed": failed,
        "duration_ms": round((time.monotonic() - started) * 1000, 1),
    }
    return not failed, body


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def liveness_view(request: HttpRequest) -> HttpResponse:
    """The process answers: nothing else is touched."""
    if request.method not in {"GET", "HEAD"}:
        return _no_store(
            JsonResponse(
                {"detail": "Method not allowed."}, status=405, headers={"Allow": "GET, HEAD"}
            )
        )
    return _no_store(JsonResponse({"status": "ok", "version": __version__}))


def readiness_view(request: HttpRequest) -> HttpResponse:
    """The database, the cache and (when configured) the broker answer: 200, else 503."""
    if request.method not in {"GET", "HEAD"}:
        return _no_store(
            JsonResponse(
                {"detail": "Method not allowed."}, status=405, headers={"Allow": "GET, HEAD"}
            )
        )
    ok, body = readiness()
    return _no_store(JsonResponse(body, status=200 if ok else 503))


HEALTH_PATHS: dict[str, Callable[[HttpRequest], HttpResponse]] = {
    "/healthz": readiness_view,
    "/healthz/": readiness_view,
    "/healthz/ready": readiness_view,
    "/healthz/live": liveness_view,
}


class HealthCheckMiddleware:
    """Answers the health paths first of all (put it at the top of ``MIDDLEWARE``)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        view = HEALTH_PATHS.get(request.path_info)
        if view is not None:
            return view(request)
        return self.get_response(request)

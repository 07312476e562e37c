"""``/metrics``: Prometheus text format (version 0.0.4).

Counts that an operator watches: results by stage, deals by status, users, unread and un-e-mailed
notifications, import jobs by status, the database's reachability and the process's start time.
Each is one grouped query on an indexed column; nothing scans a table's rows in Python.

Access: a signed-in user who may read the whole audit trail (``view`` on every
``core.auditevent``: platform admins and TTO managers; the counts cover every record), or
``Authorization: Bearer $OPENTTO_METRICS_TOKEN`` (the way Prometheus scrapes). Anyone else gets
404, as for any refused object.
"""

from __future__ import annotations

import hmac
import os
import time
from collections.abc import Iterable

from django.db import connection
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse

from opentto.core.permissions import permitted

STARTED_AT = time.time()
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def metrics_token() -> str:
    from django.conf import settings

    return str(
        getattr(settings, "OPENTTO_METRICS_TOKEN", "")
        or os.environ.get("OPENTTO_METRICS_TOKEN", "")
    )


def _allowed(request: HttpRequest) -> bool:
    if permitted(request.user, "core.auditevent", "view", every_row=True):
        return True
    token = metrics_token()
    header = request.META.get("HTTP_AUTHORIZATION", "")
    return (
        bool(token)
        and header.startswith("Bearer ")
        and hmac.compare_digest(header[7:].strip(), token)
    )


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _family(
    name: str, kind: str, help_text: str, samples: Iterable[tuple[dict[str, str], float]]
) -> list[str]:
    lines = [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
    for labels, value in samples:
        label_text = ",".join(f'{k}="{_escape(v)}"' for k, v in labels.items())
        lines.append(f"{name}{{{label_text}}} {value:g}" if label_text else f"{name} {value:g}")
    return lines


def render_metrics() -> str:
    from opentto.accounts.models import User
    from opentto.imports.models import ImportJob
    from opentto.landing.models import Deal, DealStatusChoices
    from opentto.notifications.models import Notification
    from opentto.results.models import Result, ResultStageChoices

    lines: list[str] = []
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        db_up = 1.0
    except Exception:
        db_up = 0.0
    lines += _family("opentto_database_up", "gauge", "1 if the database answers.", [({}, db_up)])
    if db_up:
        stages = dict(Result.objects.values_list("stage").annotate(n=Count("pk")).order_by())
        lines += _family(
            "opentto_results",
            "gauge",
            "Results by pipeline stage.",
            [({"stage": s}, stages.get(s, 0)) for s in ResultStageChoices.values],
        )
        statuses = dict(Deal.objects.values_list("status").annotate(n=Count("pk")).order_by())
        lines += _family(
            "opentto_deals",
            "gauge",
            "Deals by status.",
            [({"status": s}, statuses.get(s, 0)) for s in DealStatusChoices.values],
        )
        lines += _family(
            "opentto_users_active",
            "gauge",
            "Active user accounts.",
            [({}, User.objects.filter(is_active=True).count())],
        )
        lines += _family(
            "opentto_notifications_unread",
            "gauge",
            "In-app notifications not yet read.",
            [({}, Notification.objects.filter(read_at__isnull=True).count())],
        )
        jobs = dict(ImportJob.objects.values_list("status").annotate(n=Count("pk")).order_by())
        lines += _family(
            "opentto_import_jobs",
            "gauge",
            "Import jobs by status.",
            [({"status": k}, v) for k, v in sorted(jobs.items())],
        )
    lines += _family(
        "opentto_process_start_time_seconds",
        "gauge",
        "Start time of this process (Unix time).",
        [({}, STARTED_AT)],
    )
    lines += _family(
        "opentto_metrics_duration_seconds",
        "gauge",
        "Time taken to collect these metrics.",
        [({}, round(time.perf_counter() - started, 6))],
    )
    return "\n".join(lines) + "\n"


def metrics_view(request: HttpRequest) -> HttpResponse:
    if not _allowed(request):
        raise Http404
    return HttpResponse(render_metrics(), content_type=CONTENT_TYPE)

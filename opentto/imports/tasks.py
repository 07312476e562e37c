"""Background work for imports (Celery; in-process when no broker is configured)."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from celery.signals import worker_ready

from .models import ImportJob
from .services import import_job_run, import_jobs_mark_interrupted


@shared_task(name="opentto.imports.run")
def import_run_task(job_id: int) -> dict[str, object]:
    job = import_job_run(job=ImportJob.objects.get(pk=job_id))
    return {
        "job": job.pk,
        "status": job.status,
        "created": job.created_count,
        "errors": job.error_count,
    }


@shared_task(name="opentto.imports.mark_interrupted")
def import_mark_interrupted_task() -> list[int]:
    return [job.pk for job in import_jobs_mark_interrupted()]


@worker_ready.connect
def _mark_interrupted_at_worker_start(**kwargs: Any) -> None:
    """A worker that starts after a crash records the imports its predecessor left running."""
    import_jobs_mark_interrupted()

"""Background work for imports (Celery; in-process when no broker is configured)."""

from __future__ import annotations

from celery import shared_task

from .models import ImportJob
from .services import import_job_run, search_index_sync


@shared_task(name="opentto.imports.run")
def import_run_task(job_id: int) -> dict[str, object]:
    job = import_job_run(job=ImportJob.objects.get(pk=job_id))
    return {"job": job.pk, "status": job.status, "created": job.created_count, "errors": job.error_count}


@shared_task(name="opentto.imports.reindex")
def import_reindex_task() -> None:
    search_index_sync()

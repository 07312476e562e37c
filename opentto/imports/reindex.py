"""The search index brought up to date after an import, and the Celery task that does it (queued by
``import_job_run``; here, below both the services and ``tasks.py``, so neither imports the other)."""

from __future__ import annotations

from celery import shared_task


def search_index_sync() -> None:
    """Bring the lexical search tiers up to date after an import (embeddings follow in the periodic
    backfill of the matching app)."""
    try:
        from opentto.demands import index
    except ImportError:  # pragma: no cover
        return
    for name in ("results-lex", "details"):
        index.tier(name).sync()


@shared_task(name="opentto.imports.reindex")
def import_reindex_task() -> None:
    search_index_sync()

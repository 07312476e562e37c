"""Background tasks of the search indexes (Celery; in-process in the embedded default).

* ``demands.index_result`` / ``demands.index_demand``: queued on commit of a save, so a new or
  edited result is found within seconds (lexical at once, then its embedding when dense matching
  is on).
* ``demands.index_backfill``: embeds what the dense indexes lack and computes the live demands'
  missing or stale fit profiles (periodic; resumable).
* ``demands.refresh_fits``: fit profiles a result page found missing ("who needs this").
* ``demands.embed_rows``: with a broker and a shared cache, ``index_backfill`` splits the
  embedding into tasks of 32 rows that workers on any machine take; their vectors reach the
  index through the shared cache (``index.SharedVectorsInCache``).
* ``demands.index_sync``: one index brought up to date in the background.
* ``opentto.imports.reindex``: the lexical indexes brought up to date after an import.

The task names keep the ``demands.`` / ``opentto.imports.`` prefixes they had before the indexes
moved to this app, so tasks already queued (and the beat schedule) still find them. They are
queued through ``enqueue.py`` (and by ``index.py``), which find them by name.
"""

from __future__ import annotations

from celery import shared_task

# The project's Celery app, configured from the Django settings (tasks run in-process without a
# broker). Importing it here makes it the current app even where ``opentto/__init__.py`` does not.
from opentto.celery import app as _celery_app  # noqa: F401


@shared_task(name="demands.index_result")
def index_result(pk: int) -> int:
    from .index import index_objects, source

    return index_objects(source("results").model, [pk])


@shared_task(name="demands.index_demand")
def index_demand(pk: int) -> int:
    from .index import index_objects, source

    return index_objects(source("demands").model, [pk])


@shared_task(name="demands.index_backfill")
def index_backfill() -> dict[str, int]:
    from .index import backfill_dense, embed_demand_queries, refresh_fits

    done = backfill_dense()
    done["demand-fits"] = refresh_fits()
    done["demand-queries"] = embed_demand_queries()
    return done


@shared_task(name="demands.embed_rows")
def embed_rows(name: str, pks: list[int]) -> int:
    """Embed some rows' passages into the shared cache (fanned out by ``index_backfill``; any
    worker on any machine with the database, the model and the shared cache)."""
    from . import index

    return index.embed_rows(name, pks)


@shared_task(name="demands.refresh_fits")
def refresh_fits_task(pks: list[int] | None = None) -> int:
    """Compute the fit profiles of live demands that are missing or stale (``pks``: only those)."""
    from .index import refresh_fits

    return refresh_fits(pks)


@shared_task(name="demands.index_sync")
def index_sync(name: str) -> int:
    from .index import tier

    return tier(name).sync()


def search_index_sync() -> None:
    """Bring the lexical search tiers up to date after an import (embeddings follow in the periodic
    backfill)."""
    from . import index

    for name in ("results-lex", "details"):
        index.tier(name).sync()


@shared_task(name="opentto.imports.reindex")
def import_reindex_task() -> None:
    search_index_sync()

"""Background tasks of demand-driven matching (Celery; in-process in the embedded default).

* ``demands.index_result`` / ``demands.index_demand``: queued on commit of a save, so a new or
  edited result is found within seconds (lexical at once, then its embedding when dense matching
  is on).
* ``demands.index_backfill``: embeds what the dense indexes lack and computes the live demands'
  missing or stale fit profiles (periodic; resumable).
* ``demands.refresh_fits``: fit profiles a result page found missing ("who needs this").
* ``demands.embed_rows``: with a broker and a shared cache, ``index_backfill`` splits the
  embedding into tasks of 32 rows that workers on any machine take; their vectors reach the
  index through the shared cache (``index.SharedVectorsInCache``).
* ``demands.train_ranker``: a new ranker from the feedback (periodic, nightly; kept active only
  when it beats the current ranking on held-out demands: ``ranking.ranker_train``).
* ``demands.notify_strong_matches``: when a demand opens, tell the owners and the TTO managers of
  the results it matches strongly (targeted transfer).

They are queued through ``enqueue.py`` (and by ``index.py``), which find them by name: this module
imports the index and the services, so they cannot import it.
"""

from __future__ import annotations

from celery import shared_task

# The project's Celery app, configured from the Django settings (tasks run in-process without a
# broker). Importing it here makes it the current app even where ``opentto/__init__.py`` does not.
from opentto.celery import app as _celery_app  # noqa: F401


@shared_task(name="demands.index_result")
def index_result(pk: int) -> int:
    from opentto.results.models import Result

    from .index import index_objects

    return index_objects(Result, [pk])


@shared_task(name="demands.index_demand")
def index_demand(pk: int) -> int:
    from .index import index_objects
    from .models import Demand

    return index_objects(Demand, [pk])


@shared_task(name="demands.index_backfill")
def index_backfill() -> dict[str, int]:
    from .index import backfill_dense, refresh_fits

    done = backfill_dense()
    done["demand-fits"] = refresh_fits()
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


@shared_task(name="demands.notify_strong_matches")
def notify_strong_matches(pk: int) -> int:
    from .models import Demand
    from .services import demand_notify_strong_matches

    demand = Demand.objects.filter(pk=pk).first()
    if demand is None:
        return 0
    return len(demand_notify_strong_matches(demand=demand))


@shared_task(name="demands.index_sync")
def index_sync(name: str) -> int:
    from .index import tier

    return tier(name).sync()


@shared_task(name="demands.train_ranker")
def train_ranker() -> int | None:
    """The new version's number (``None``: too few judgements yet)."""
    from .ranking import TooFewJudgements, ranker_train

    try:
        return ranker_train().version
    except TooFewJudgements:
        return None

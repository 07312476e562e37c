"""Background tasks of demand-driven matching (Celery; in-process in the embedded default).

* ``demands.train_ranker``: a new ranker from the feedback (periodic, nightly; kept active only
  when it beats the current ranking on held-out demands: ``ranking.ranker_train``).
* ``demands.notify_strong_matches``: when a demand opens, tell the owners and the TTO managers of
  the results it matches strongly (targeted transfer); queued by ``opentto.search.enqueue``.

The indexing tasks are in ``opentto.search.tasks``.
"""

from __future__ import annotations

from celery import shared_task

# The project's Celery app, configured from the Django settings (tasks run in-process without a
# broker). Importing it here makes it the current app even where ``opentto/__init__.py`` does not.
from opentto.celery import app as _celery_app  # noqa: F401


@shared_task(name="demands.notify_strong_matches")
def notify_strong_matches(pk: int) -> int:
    from .models import Demand
    from .services import demand_notify_strong_matches

    demand = Demand.objects.filter(pk=pk).first()
    if demand is None:
        return 0
    return len(demand_notify_strong_matches(demand=demand))


@shared_task(name="demands.train_ranker")
def train_ranker() -> int | None:
    """The new version's number (``None``: too few judgements yet)."""
    from .ranking import TooFewJudgements, ranker_train

    try:
        return ranker_train().version
    except TooFewJudgements:
        return None

"""Periodic tasks of the demands app (merged into Celery beat by ``opentto.celery``)."""

BEAT_SCHEDULE = {
    "demands-index-backfill": {"task": "demands.index_backfill", "schedule": 600.0},
    "demands-train-ranker": {"task": "demands.train_ranker", "schedule": 86400.0},
}

"""Periodic tasks of the search app (merged into Celery beat by ``opentto.celery``)."""

BEAT_SCHEDULE = {
    "demands-index-backfill": {"task": "demands.index_backfill", "schedule": 600.0},
}

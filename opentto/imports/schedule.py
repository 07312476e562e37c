"""Periodic tasks of the imports app (merged into Celery beat by ``opentto.celery``)."""

from celery.schedules import crontab

BEAT_SCHEDULE = {
    "imports-mark-interrupted": {
        # An import whose worker died is recorded as interrupted within five minutes, even if
        # nobody opens the import pages.
        "task": "opentto.imports.mark_interrupted",
        "schedule": crontab(minute="*/5"),
    },
}

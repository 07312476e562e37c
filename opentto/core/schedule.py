"""Periodic tasks of the core app (``opentto run_periodic`` runs them once)."""

from celery.schedules import crontab

BEAT_SCHEDULE = {
    "core-purge-idempotency-keys": {
        "task": "core.purge_idempotency_keys",
        "schedule": crontab(hour=3, minute=40),
    },
}

"""Periodic tasks of the access app (``opentto run_periodic`` runs them once)."""

from celery.schedules import crontab

BEAT_SCHEDULE = {
    "access-purge-expired-personal-data": {
        "task": "access.purge_expired_personal_data",
        "schedule": crontab(hour=3, minute=17),
    },
}

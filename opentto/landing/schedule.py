"""Periodic tasks of the landing app (``opentto run_periodic`` runs them once)."""

from celery.schedules import crontab

BEAT_SCHEDULE = {
    "landing-flag-royalties": {
        "task": "landing.flag_royalties",
        "schedule": crontab(hour=7, minute=5),
    },
    "landing-remind-registrations": {
        "task": "landing.remind_registrations",
        "schedule": crontab(hour=7, minute=10),
    },
}

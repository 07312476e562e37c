"""Celery beat entries for the IP layout (``opentto run_periodic`` runs them once without a broker)."""

from celery.schedules import crontab

BEAT_SCHEDULE = {
    "planning-deadline-reminders": {
        "task": "opentto.planning.send_deadline_reminders",
        # Every day at 08:05 (CELERY_TIMEZONE, Asia/Shanghai).
        "schedule": crontab(hour=8, minute=5),
    },
}

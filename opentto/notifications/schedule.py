"""Periodic tasks of the notifications app (merged into Celery beat by ``opentto.celery``)."""

from celery.schedules import crontab

BEAT_SCHEDULE = {
    "notifications-daily-digest": {
        # 08:00 Asia/Shanghai (CELERY_TIMEZONE): the digest arrives at the start of the working day.
        "task": "opentto.notifications.digest",
        "schedule": crontab(hour=8, minute=0),
    },
}

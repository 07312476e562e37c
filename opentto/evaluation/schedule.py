"""Periodic tasks of the evaluation app (merged into Celery beat by ``opentto.celery``)."""

from celery.schedules import crontab

BEAT_SCHEDULE = {
    "evaluation-review-reminders": {
        "task": "evaluation.send_review_reminders",
        "schedule": crontab(hour=8, minute=30),
    },
}

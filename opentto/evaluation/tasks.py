from __future__ import annotations

from celery import shared_task

from .services import review_reminders_send


@shared_task(name="evaluation.send_review_reminders")
def send_review_reminders() -> dict[str, int]:
    """Remind reviewers before their deadline and when overdue (each kind once per assignment)."""
    return review_reminders_send()

"""Background tasks of the IP layout."""

from __future__ import annotations

from celery import shared_task


# the name is the one beat schedules and queued messages know (kept when the task moved from planning)
@shared_task(name="opentto.planning.send_deadline_reminders")
def send_deadline_reminders() -> int:
    """Remind managers of patent deadlines 60, 30 and 7 days ahead and once when overdue
    (idempotent: running it twice a day sends nothing new)."""
    from .services import deadline_reminders_send

    return deadline_reminders_send()

from __future__ import annotations

from celery import shared_task

from .services import notification_digest_send


@shared_task(name="opentto.notifications.digest")
def notification_digest_task() -> int:
    return notification_digest_send()

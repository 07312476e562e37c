"""Sending notifications: one in-app row per recipient, and an e-mail in the recipient's language
(Django's e-mail backend; the console in the demo). E-mail goes out after the transaction commits."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from opentto.accounts.models import User

from .models import Notification


def notification_send(
    *,
    recipients: Iterable[User],
    kind: str,
    title_zh: str,
    title_en: str,
    body_zh: str = "",
    body_en: str = "",
    url: str = "",
    email: bool = True,
) -> list[Notification]:
    """Notify each active recipient once (duplicates in ``recipients`` are ignored)."""
    unique = {u.pk: u for u in recipients if u is not None and u.is_active}
    with transaction.atomic():
        created = Notification.objects.bulk_create(
            [
                Notification(recipient=user, kind=kind, title_zh=title_zh, title_en=title_en, body_zh=body_zh, body_en=body_en, url=url)
                for user in unique.values()
            ]
        )
        if email:
            for notification in created:
                transaction.on_commit(lambda n=notification: _email(n))
    return created


def _email(notification: Notification) -> None:
    user = notification.recipient
    if not user.email:
        return
    english = user.language == "en"
    subject = (notification.title_en or notification.title_zh) if english else (notification.title_zh or notification.title_en)
    body = (notification.body_en or notification.body_zh) if english else (notification.body_zh or notification.body_en)
    if notification.url:
        body = f"{body}\n\n{notification.url}"
    send_mail(subject=f"[OpenTTO] {subject}", message=body, from_email=None, recipient_list=[user.email], fail_silently=True)
    Notification.objects.filter(pk=notification.pk).update(emailed_at=timezone.now())


def notification_mark_read(*, notification: Notification, actor: User) -> Notification:
    if notification.recipient_id != actor.pk:
        raise PermissionError("a notification is its recipient's")
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification

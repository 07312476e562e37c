"""Sending notifications: one in-app row per recipient, and an e-mail in the recipient's language
(Django's e-mail backend: SMTP in production, the console in the demo), as each recipient prefers:
at once (after the transaction commits), in a daily digest, or never. In-app notifications are
always kept."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from opentto.accounts.models import User
from opentto.core.audit import audit_record
from opentto.core.permissions import allows

from .models import EmailModeChoices, Notification, NotificationPreference


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
    prefs = {p.user_id: p for p in NotificationPreference.objects.filter(user_id__in=list(unique))}
    with transaction.atomic():
        created = Notification.objects.bulk_create(
            [
                Notification(
                    recipient=user,
                    kind=kind,
                    title_zh=title_zh,
                    title_en=title_en,
                    body_zh=body_zh,
                    body_en=body_en,
                    url=url,
                )
                for user in unique.values()
            ]
        )
        if email:
            for notification in created:
                pref = prefs.get(notification.recipient_id)
                if pref is None or (
                    pref.email_mode == EmailModeChoices.IMMEDIATE and pref.emails_kind(kind)
                ):
                    transaction.on_commit(lambda n=notification: _email(n))  # type: ignore[misc]
    return created


def _language(user: User) -> str:
    return "en" if user.language == "en" else "zh-hans"


def _absolute(url: str) -> str:
    base = getattr(settings, "OPENTTO_BASE_URL", "") or ""
    return f"{base.rstrip('/')}{url}" if url.startswith("/") and base else url


def _email(notification: Notification) -> None:
    user = notification.recipient
    if not user.email:
        return
    english = user.language == "en"
    subject = (
        (notification.title_en or notification.title_zh)
        if english
        else (notification.title_zh or notification.title_en)
    )
    body = (
        (notification.body_en or notification.body_zh)
        if english
        else (notification.body_zh or notification.body_en)
    )
    body = (
        body or subject
    )  # a notification without a text: its title, so the mail is not blank above the link
    if notification.url:
        body = f"{body}\n\n{_absolute(notification.url)}"
    send_mail(
        subject=f"[OpenTTO] {subject}",
        message=body,
        from_email=None,
        recipient_list=[user.email],
        fail_silently=True,
    )
    Notification.objects.filter(pk=notification.pk).update(emailed_at=timezone.now())


def notification_mark_read(*, notification: Notification, actor: User) -> Notification:
    if not allows(actor, notification, "change"):
        raise PermissionError("a notification is its recipient's")
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def notification_mark_all_read(*, actor: User) -> int:
    return Notification.objects.restrict(actor, "change").unread().update(read_at=timezone.now())


def notification_preference_get(user: User) -> NotificationPreference:
    return NotificationPreference.objects.filter(user=user).first() or NotificationPreference(
        user=user
    )


def notification_preference_set(
    *, user: User, email_mode: str, muted_kinds: list[str] | None = None, actor: User
) -> NotificationPreference:
    if email_mode not in EmailModeChoices.values:
        raise ValidationError({"email_mode": [_("Choose how you want to receive e-mail.")]})
    kinds = sorted({str(k)[:48] for k in (muted_kinds or []) if str(k).strip()})
    with transaction.atomic():
        pref, _created = NotificationPreference.objects.select_for_update().get_or_create(user=user)
        if not allows(
            actor, pref, "change"
        ):  # raised inside the transaction: a new row is not kept
            raise PermissionError(_("Preferences are set by the user themself."))
        pref.email_mode, pref.muted_kinds = email_mode, kinds
        pref.save()
        audit_record(
            actor=actor,
            action="notification_preference.set",
            obj=pref,
            payload={"email_mode": email_mode, "muted_kinds": kinds},
        )
    return pref


def notification_digest_send(*, now: datetime | None = None) -> int:
    """E-mail each user who chose the daily digest the notifications not yet e-mailed to them (at
    most one digest a day; nothing is sent when there is nothing new). Returns the e-mails sent."""
    now = now or timezone.now()
    sent = 0
    prefs = (
        NotificationPreference.objects.filter(
            email_mode=EmailModeChoices.DIGEST, user__is_active=True
        )
        .exclude(user__email="")
        .select_related("user")
    )
    for pref in prefs:
        if pref.last_digest_at and now - pref.last_digest_at < timedelta(hours=20):
            continue
        pending = list(
            Notification.objects.filter(
                recipient=pref.user,
                emailed_at__isnull=True,
                read_at__isnull=True,
                created_at__lte=now,
            )
            .exclude(kind__in=pref.muted_kinds or [])
            .order_by("created_at", "id")[:200]
        )
        if not pending:
            continue
        user = pref.user
        with translation.override(_language(user)):
            lines = []
            for n in pending:
                lines.append(f"- {n.title}")
                if n.url:
                    lines.append(f"  {_absolute(n.url)}")
            subject = _("[OpenTTO] Your daily digest: %(n)d new notifications") % {
                "n": len(pending)
            }
            body = _("What happened on OpenTTO since your last digest:") + "\n\n" + "\n".join(lines)
        send_mail(
            subject=subject,
            message=body,
            from_email=None,
            recipient_list=[user.email],
            fail_silently=True,
        )
        Notification.objects.filter(pk__in=[n.pk for n in pending]).update(emailed_at=now)
        NotificationPreference.objects.filter(pk=pref.pk).update(last_digest_at=now)
        sent += 1
    return sent

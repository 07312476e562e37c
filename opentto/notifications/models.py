"""In-app notifications (and the e-mail sent with them)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from opentto.core.i18n import bilingual
from opentto.core.permissions import RestrictedQuerySet


class NotificationQuerySet(RestrictedQuerySet["Notification"]):
    """``Notification.objects.restrict(user, action)``: a user's own (opentto/notifications/permissions.py)."""

    def for_user(self, user: object) -> NotificationQuerySet:
        """The notifications ``user`` may read (their own)."""
        return self.restrict(user, "view")

    def unread(self) -> NotificationQuerySet:
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("kind"), max_length=48, db_index=True)
    title_zh = models.CharField(_("title (Chinese)"), max_length=300, blank=True)
    title_en = models.CharField(_("title (English)"), max_length=300, blank=True)
    body_zh = models.TextField(_("text (Chinese)"), blank=True)
    body_en = models.TextField(_("text (English)"), blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")

    def __str__(self) -> str:
        return self.title

    @property
    def title(self) -> str:
        return bilingual(self.title_zh, self.title_en, get_language())

    @property
    def body(self) -> str:
        return bilingual(self.body_zh, self.body_en, get_language())


class EmailModeChoices(models.TextChoices):
    IMMEDIATE = "immediate", _("Each notification by e-mail as it happens")
    DIGEST = "digest", _("One daily digest e-mail")
    OFF = "off", _("No e-mail (in-app only)")


class NotificationPreference(models.Model):
    """How a user wants to hear about things. Without a row: e-mail each notification."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    email_mode = models.CharField(
        _("e-mail"),
        max_length=12,
        choices=EmailModeChoices.choices,
        default=EmailModeChoices.IMMEDIATE,
    )
    #: Kinds (``evaluation.assigned`` …) never e-mailed to this user; they stay in the app.
    muted_kinds = models.JSONField(_("kinds not e-mailed"), default=list, blank=True)
    last_digest_at = models.DateTimeField(_("last digest"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(email_mode__in=EmailModeChoices.values),
                name="notifications_pref_email_mode_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.email_mode}"

    def emails_kind(self, kind: str) -> bool:
        return kind not in (self.muted_kinds or [])

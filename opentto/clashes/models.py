"""A record held for the TTO: stored for a user whose check for an existing one (a patent's
application number, a nearly identical title, a credit code, an e-mail address) met a record
that user may not see. The user is neither refused nor told; the TTO resolves the hold."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opentto.core.permissions import RestrictedQuerySet


class ClashHoldStatusChoices(models.TextChoices):
    OPEN = "open", _("Waiting for the TTO")
    MERGED = "merged", _("Merged into the existing record")
    KEPT = "kept", _("Both kept")
    REJECTED = "rejected", _("New record rejected")


class ClashHoldQuerySet(RestrictedQuerySet["ClashHold"]):
    def open(self) -> ClashHoldQuerySet:
        return self.filter(status=ClashHoldStatusChoices.OPEN)


class ClashHold(models.Model):
    """``held`` (the record just stored) may duplicate ``existing`` (a record its creator may not
    see). Records are named by type (``app_label.modelname``) and id, as in the audit log."""

    kind = models.CharField(_("kind"), max_length=64)
    held_type = models.CharField(_("new record's type"), max_length=64)
    held_id = models.PositiveBigIntegerField(_("new record"))
    existing_type = models.CharField(_("existing record's type"), max_length=64)
    existing_id = models.PositiveBigIntegerField(_("existing record"))
    detail = models.JSONField(_("what clashed"), default=dict, blank=True)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=ClashHoldStatusChoices.choices,
        default=ClashHoldStatusChoices.OPEN,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("stored by"),
    )
    created_at = models.DateTimeField(_("held"), default=timezone.now)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("resolved by"),
    )
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    objects = ClashHoldQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("clash held for the TTO")
        verbose_name_plural = _("clashes held for the TTO")
        indexes = [
            models.Index(fields=["status", "created_at"]),
            models.Index(fields=["held_type", "held_id"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=ClashHoldStatusChoices.values),
                name="clashes_hold_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(status=ClashHoldStatusChoices.OPEN)
                | models.Q(resolved_at__isnull=False),
                name="clashes_hold_resolved_has_time",
            ),
            # a pair is held once: a decision taken stands when the new record is saved again
            models.UniqueConstraint(
                fields=["kind", "held_type", "held_id", "existing_type", "existing_id"],
                name="clashes_hold_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {self.held_type}#{self.held_id} × {self.existing_type}#{self.existing_id}"

    @property
    def is_open(self) -> bool:
        return self.status == ClashHoldStatusChoices.OPEN

"""Operations planning (运营策划). Here: the minimal record the pipeline needs — a plan summary
with its chosen transfer mode, approved by a manager. The planning issue adds the full plan."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from opentto.core.i18n import bilingual


class TransferModeChoices(models.TextChoices):
    LICENCE = "licence", _("Licence")
    ASSIGNMENT = "assignment", _("Assignment")
    EQUITY = "equity", _("Equity (作价入股)")
    SPIN_OFF = "spin_off", _("Spin-off")
    JOINT_DEVELOPMENT = "joint_development", _("Joint development")


class TransferPlan(models.Model):
    result = models.ForeignKey("results.Result", on_delete=models.CASCADE, related_name="plans")
    transfer_mode = models.CharField(_("transfer mode"), max_length=24, choices=TransferModeChoices.choices)
    summary_zh = models.TextField(_("summary (Chinese)"), blank=True)
    summary_en = models.TextField(_("summary (English)"), blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(_("approved"), default=timezone.now)

    class Meta:
        ordering = ["-approved_at", "-id"]
        get_latest_by = "approved_at"
        verbose_name = _("transfer plan")
        verbose_name_plural = _("transfer plans")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(transfer_mode__in=TransferModeChoices.values),
                name="planning_transfer_mode_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(summary_zh="", summary_en=""), name="planning_summary_present"
            ),
        ]

    @property
    def summary(self) -> str:
        return bilingual(self.summary_zh, self.summary_en, get_language())

    def __str__(self) -> str:
        return f"{self.get_transfer_mode_display()} ({self.approved_at:%Y-%m-%d})"

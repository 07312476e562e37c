"""Evaluation (转化评价). Here: the minimal record the pipeline needs — a summary with a decision.
The evaluation issue adds rubrics, review rounds and reports."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from opentto.core.i18n import bilingual


class EvaluationDecisionChoices(models.TextChoices):
    PROCEED = "proceed", _("Proceed to planning")
    IMPROVE = "improve", _("Improve and resubmit")
    DECLINE = "decline", _("Decline")


class EvaluationSummary(models.Model):
    result = models.ForeignKey("results.Result", on_delete=models.CASCADE, related_name="evaluations")
    decision = models.CharField(_("decision"), max_length=16, choices=EvaluationDecisionChoices.choices)
    summary_zh = models.TextField(_("summary (Chinese)"), blank=True)
    summary_en = models.TextField(_("summary (English)"), blank=True)
    trl_assessed = models.PositiveSmallIntegerField(
        _("assessed TRL"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(9)]
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided"), default=timezone.now)

    class Meta:
        ordering = ["-decided_at", "-id"]
        get_latest_by = "decided_at"
        verbose_name = _("evaluation")
        verbose_name_plural = _("evaluations")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(decision__in=EvaluationDecisionChoices.values),
                name="evaluation_decision_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(summary_zh="", summary_en=""), name="evaluation_summary_present"
            ),
        ]

    @property
    def summary(self) -> str:
        return bilingual(self.summary_zh, self.summary_en, get_language())

    def __str__(self) -> str:
        return f"{self.get_decision_display()} ({self.decided_at:%Y-%m-%d})"

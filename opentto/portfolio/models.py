"""Patent portfolio decisions: keep, license or abandon a CN patent, with the reason, weighed
against what keeping it costs (``opentto.patents.fees``), what it earns, its evaluation and the
demands that fit it (``opentto.portfolio.selectors``). Every decision is a new row: the history
is kept, the newest row is the standing decision. Abandoning goes through the planning app's
``filing_abandon`` (its deadlines are waived, so no reminder goes out)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opentto.core.permissions import RestrictedQuerySet


class PortfolioDecisionChoices(models.TextChoices):
    KEEP = "keep", _("Keep")
    LICENSE = "license", _("License it out")
    ABANDON = "abandon", _("Abandon")


class PortfolioDecision(models.Model):
    filing = models.ForeignKey(
        "patents.Filing",
        on_delete=models.CASCADE,
        related_name="portfolio_decisions",
        verbose_name=_("patent"),
    )
    decision = models.CharField(
        _("decision"), max_length=8, choices=PortfolioDecisionChoices.choices
    )
    reason = models.TextField(_("reason"))
    abandonment = models.ForeignKey(
        "patents.AbandonmentDecision",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("abandonment decision"),
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided"), default=timezone.now)

    objects = RestrictedQuerySet["PortfolioDecision"].as_manager()

    class Meta:
        ordering = ["-decided_at", "-id"]
        get_latest_by = "decided_at"
        verbose_name = _("portfolio decision")
        verbose_name_plural = _("portfolio decisions")
        constraints = [
            models.CheckConstraint(
                condition=Q(decision__in=PortfolioDecisionChoices.values),
                name="portfolio_decision_valid",
            ),
            models.CheckConstraint(
                condition=~Q(reason=""), name="portfolio_decision_reason_present"
            ),
            models.CheckConstraint(
                condition=~Q(decision="abandon") | Q(abandonment__isnull=False),
                name="portfolio_abandon_has_abandonment",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} ({self.filing})"

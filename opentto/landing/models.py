"""Industrial landing (产业落地). Here: the minimal deal — counterparty, type, signing date and
contract amount. Signing a deal moves the results it covers to ``landed``; a terminated deal does
not count. The landing issue replaces this with the full contract record."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class DealTypeChoices(models.TextChoices):
    LICENCE_EXCLUSIVE = "licence_exclusive", _("Exclusive licence")
    LICENCE_SOLE = "licence_sole", _("Sole licence")
    LICENCE_NON_EXCLUSIVE = "licence_non_exclusive", _("Non-exclusive licence")
    ASSIGNMENT = "assignment", _("Assignment")
    EQUITY = "equity", _("Equity investment")
    SPIN_OFF = "spin_off", _("Spin-off")
    JOINT_DEVELOPMENT = "joint_development", _("Joint development")
    COMMISSIONED_RD = "commissioned_rd", _("Commissioned R&D")


class DealStatusChoices(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SIGNED = "signed", _("Signed")
    TERMINATED = "terminated", _("Terminated")


#: Status changes allowed for a deal; each has its service in ``opentto.landing.services``.
DEAL_TRANSITIONS: dict[str, tuple[str, ...]] = {
    DealStatusChoices.DRAFT: (DealStatusChoices.SIGNED,),
    DealStatusChoices.SIGNED: (DealStatusChoices.TERMINATED,),
    DealStatusChoices.TERMINATED: (),
}


class DealQuerySet(models.QuerySet["Deal"]):
    def restrict(self, user: object, action: str = "view") -> DealQuerySet:
        from opentto.core.permissions import restrict_deals

        return restrict_deals(self, user, action)

    def counted(self) -> DealQuerySet:
        """Deals that count in the figures: signed and not terminated."""
        return self.filter(status=DealStatusChoices.SIGNED)


class Deal(models.Model):
    title = models.CharField(_("title"), max_length=300, blank=True)
    results = models.ManyToManyField("results.Result", related_name="deals", verbose_name=_("results covered"))
    counterparty = models.ForeignKey(
        "organisations.Organisation",
        verbose_name=_("counterparty enterprise"),
        on_delete=models.PROTECT,
        related_name="deals_as_counterparty",
    )
    deal_type = models.CharField(_("type"), max_length=24, choices=DealTypeChoices.choices)
    amount_cny = models.DecimalField(_("contract amount (CNY)"), max_digits=16, decimal_places=2)
    status = models.CharField(
        _("status"), max_length=16, choices=DealStatusChoices.choices, default=DealStatusChoices.DRAFT
    )
    signed_on = models.DateField(_("signing date"), null=True, blank=True)
    terminated_on = models.DateField(_("termination date"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    objects = DealQuerySet.as_manager()

    class Meta:
        ordering = ["-signed_on", "-id"]
        verbose_name = _("deal")
        verbose_name_plural = _("deals")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=DealStatusChoices.values), name="landing_deal_status_valid"
            ),
            models.CheckConstraint(condition=models.Q(amount_cny__gte=0), name="landing_deal_amount_positive"),
            models.CheckConstraint(
                condition=models.Q(status="draft") | models.Q(signed_on__isnull=False),
                name="landing_deal_signed_has_date",
            ),
        ]

    def __str__(self) -> str:
        return self.title or f"#{self.pk}"

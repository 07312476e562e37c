"""What the platform must know, beyond the deal, to compute a deal's tax consequences.

* :class:`TaxProfile` — per organisation: taxed as a resident enterprise (public institutions,
  事业单位, are: STANDARDS.md, fairly sure) and a non-profit research institute or university (for
  the reward rule, 财税〔2018〕58号), with the legal source the TTO relies on.
* :class:`DealTaxFacts` — per deal: a transfer to a wholly-owned related party (excluded from the
  enterprise income tax relief).
* :class:`DealTaxYear` — per deal, institution and year: the costs and the taxes attributable to
  the technology-transfer income (技术转让所得 = income less its costs and taxes, 财税〔2010〕111号).

Written only by :mod:`opentto.tax.services`; read through :mod:`opentto.tax.selectors`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opentto.core.permissions import RestrictedQuerySet


class TaxProfile(models.Model):
    organisation = models.OneToOneField(
        "organisations.Organisation",
        on_delete=models.CASCADE,
        related_name="tax_profile",
        verbose_name=_("organisation"),
    )
    resident_enterprise = models.BooleanField(_("taxed as a resident enterprise"), default=True)
    non_profit_research = models.BooleanField(
        _("non-profit research institute or university"), default=True
    )
    legal_source = models.CharField(_("legal source"), max_length=300, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet["TaxProfile"].as_manager()

    class Meta:
        verbose_name = _("tax profile")

    def __str__(self) -> str:
        return str(self.organisation)


class DealTaxFacts(models.Model):
    deal = models.OneToOneField(
        "landing.Deal", on_delete=models.CASCADE, related_name="tax_facts", verbose_name=_("deal")
    )
    wholly_owned_related_party = models.BooleanField(
        _("transfer to a wholly-owned related party"), default=False
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet["DealTaxFacts"].as_manager()

    class Meta:
        verbose_name = _("deal's tax facts")

    def __str__(self) -> str:
        return str(self.deal)


class DealTaxYear(models.Model):
    deal = models.ForeignKey(
        "landing.Deal", on_delete=models.CASCADE, related_name="tax_years", verbose_name=_("deal")
    )
    organisation = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("institution"),
    )
    year = models.PositiveSmallIntegerField(_("year"))
    costs_cny = models.DecimalField(
        _("costs attributable (CNY)"), max_digits=16, decimal_places=2, default=0
    )
    taxes_cny = models.DecimalField(
        _("taxes attributable (CNY)"), max_digits=16, decimal_places=2, default=0
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet["DealTaxYear"].as_manager()

    class Meta:
        ordering = ["year", "deal_id"]
        verbose_name = _("costs and taxes of a deal's year")
        constraints = [
            models.UniqueConstraint(
                fields=["deal", "organisation", "year"], name="tax_dealyear_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(costs_cny__gte=0, taxes_cny__gte=0),
                name="tax_dealyear_amounts_positive",
            ),
            models.CheckConstraint(
                condition=models.Q(year__gte=1990, year__lte=2100), name="tax_dealyear_year_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.deal} {self.year}"

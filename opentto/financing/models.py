"""Financing a result's IP: valuations, IP pledge loans (质押融资) with the patents they encumber,
and securitisation pools (知识产权证券化) with their licences and expected royalties.

The tables keep their names from when these models lived in ``opentto.planning`` (``db_table``):
the move (``financing/migrations/0001``) changed no row. Writes happen only in ``services.py``;
reads in ``selectors.py``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from opentto.core.i18n import bilingual
from opentto.core.permissions import RestrictedQuerySet
from opentto.core.transitions import Edge, Transitions


class ValuationMethodChoices(models.TextChoices):
    RELIEF_FROM_ROYALTY = "relief_from_royalty", _("Income approach: relief from royalty")
    COST = "cost", _("Cost approach")
    MARKET = "market", _("Market approach")


class Valuation(models.Model):
    result = models.ForeignKey(
        "results.Result", on_delete=models.CASCADE, related_name="valuations"
    )
    purpose = models.CharField(_("purpose"), max_length=200, blank=True)
    valuation_date = models.DateField(_("valuation date"))
    #: Revenue forecast, one decimal string per year.
    revenues = models.JSONField(_("revenue forecast (CNY per year)"), default=list)
    royalty_rate = models.DecimalField(_("royalty rate"), max_digits=7, decimal_places=6)
    tax_rate = models.DecimalField(_("tax rate"), max_digits=7, decimal_places=6)
    discount_rate = models.DecimalField(_("discount rate"), max_digits=7, decimal_places=6)
    decay = models.DecimalField(
        _("yearly royalty decay"), max_digits=7, decimal_places=6, default=0
    )
    remaining_term_years = models.PositiveSmallIntegerField(
        _("remaining patent term (whole years)"), null=True, blank=True
    )
    rfr_value_cny = models.DecimalField(
        _("relief-from-royalty value (CNY)"), max_digits=16, decimal_places=2
    )
    reproduction_costs = models.JSONField(_("reproduction costs"), default=list, blank=True)
    obsolescence_rates = models.JSONField(_("obsolescence rates"), default=list, blank=True)
    cost_value_cny = models.DecimalField(
        _("cost-approach value (CNY)"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    comparable_deal_ids = models.JSONField(_("comparable deals"), default=list, blank=True)
    comparable_values = models.JSONField(default=list, blank=True)
    market_scale = models.DecimalField(
        _("market scale factor"), max_digits=8, decimal_places=4, default=1
    )
    market_value_cny = models.DecimalField(
        _("market-approach value (CNY)"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    concluded_method = models.CharField(
        _("method concluded on"), max_length=24, choices=ValuationMethodChoices.choices
    )
    concluded_value_cny = models.DecimalField(
        _("concluded value (CNY)"), max_digits=16, decimal_places=2
    )
    assumptions_zh = models.TextField(_("assumptions (Chinese)"), blank=True)
    assumptions_en = models.TextField(_("assumptions (English)"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet["Valuation"].as_manager()

    class Meta:
        db_table = "planning_valuation"
        ordering = ["-valuation_date", "-id"]
        verbose_name = _("valuation")
        verbose_name_plural = _("valuations")
        constraints = [
            models.CheckConstraint(
                condition=Q(royalty_rate__gte=0, royalty_rate__lt=1),
                name="planning_valuation_royalty_fraction",
            ),
            models.CheckConstraint(
                condition=Q(tax_rate__gte=0, tax_rate__lt=1), name="planning_valuation_tax_fraction"
            ),
            models.CheckConstraint(
                condition=Q(discount_rate__gt=-1, discount_rate__lt=1),
                name="planning_valuation_discount_range",
            ),
            models.CheckConstraint(
                condition=Q(concluded_value_cny__gte=0), name="planning_valuation_value_positive"
            ),
            models.CheckConstraint(
                condition=Q(concluded_method__in=ValuationMethodChoices.values),
                name="planning_valuation_method_valid",
            ),
        ]

    @property
    def assumptions(self) -> str:
        return bilingual(self.assumptions_zh, self.assumptions_en, get_language())

    def __str__(self) -> str:
        return f"{self.result} {self.valuation_date:%Y-%m-%d}"


class PledgeLoanStatusChoices(models.TextChoices):
    APPLIED = "applied", _("Applied")
    REGISTERED = "registered", _("Pledge registered, loan drawn")
    RELEASED = "released", _("Repaid, pledge released")
    CANCELLED = "cancelled", _("Cancelled")


#: A pledge stands (the patents are encumbered) in these states.
PLEDGE_STANDING = (PledgeLoanStatusChoices.APPLIED, PledgeLoanStatusChoices.REGISTERED)
#: A pledge loan's edges (``opentto.core.transitions``): whoever may change the loan takes them.
PLEDGE_TRANSITIONS = Transitions(
    "pledge",
    (
        Edge(
            PledgeLoanStatusChoices.APPLIED,
            PledgeLoanStatusChoices.REGISTERED,
            "register",
            "change",
        ),
        Edge(
            PledgeLoanStatusChoices.APPLIED, PledgeLoanStatusChoices.CANCELLED, "cancel", "change"
        ),
        Edge(
            PledgeLoanStatusChoices.REGISTERED,
            PledgeLoanStatusChoices.RELEASED,
            "release",
            "change",
        ),
    ),
    labels=PledgeLoanStatusChoices,
    ask_first=True,
    default_action="change",
    illegal=_("A loan cannot move from “%(source)s” to “%(target)s”."),
    refused=_("Only TTO managers do operations planning."),
)


class PledgeLoan(models.Model):
    """An IP pledge loan (知识产权质押融资)."""

    result = models.ForeignKey(
        "results.Result", on_delete=models.CASCADE, related_name="pledge_loans"
    )
    lender = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("lender"),
    )
    valuation = models.ForeignKey(
        Valuation,
        on_delete=models.PROTECT,
        related_name="pledge_loans",
        verbose_name=_("valuation used"),
    )
    amount_cny = models.DecimalField(_("loan amount (CNY)"), max_digits=16, decimal_places=2)
    max_ltv = models.DecimalField(
        _("maximum loan-to-value"),
        max_digits=5,
        decimal_places=4,
        default=0.5,
        help_text=_("The lender's ceiling, as a fraction of the valuation (e.g. 0.5)."),
    )
    term_months = models.PositiveSmallIntegerField(_("term (months)"))
    annual_rate = models.DecimalField(_("annual interest rate"), max_digits=6, decimal_places=5)
    registration_number = models.CharField(
        _("pledge registration number"), max_length=60, blank=True
    )
    registration_date = models.DateField(_("pledge registration date"), null=True, blank=True)
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=PledgeLoanStatusChoices.choices,
        default=PledgeLoanStatusChoices.APPLIED,
    )
    released_on = models.DateField(_("released on"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet["PledgeLoan"].as_manager()

    class Meta:
        db_table = "planning_pledgeloan"
        ordering = ["-created_at", "-id"]
        verbose_name = _("IP pledge loan")
        verbose_name_plural = _("IP pledge loans")
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_cny__gt=0), name="planning_pledge_amount_positive"
            ),
            models.CheckConstraint(
                condition=Q(max_ltv__gt=0, max_ltv__lte=1), name="planning_pledge_ltv_range"
            ),
            models.CheckConstraint(
                condition=Q(annual_rate__gte=0, annual_rate__lt=1),
                name="planning_pledge_rate_range",
            ),
            models.CheckConstraint(
                condition=Q(status__in=PledgeLoanStatusChoices.values),
                name="planning_pledge_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(
                    status__in=[
                        PledgeLoanStatusChoices.REGISTERED,
                        PledgeLoanStatusChoices.RELEASED,
                    ]
                )
                | (Q(registration_date__isnull=False) & ~Q(registration_number="")),
                name="planning_pledge_registered_has_number",
            ),
        ]

    @property
    def is_standing(self) -> bool:
        return self.status in PLEDGE_STANDING

    def __str__(self) -> str:
        return f"{self.lender} {self.amount_cny}"


class PledgedAsset(models.Model):
    """A patent under a pledge. ``is_standing`` is true while the loan's pledge stands; the
    partial unique constraint is the database's guarantee that no patent is pledged twice."""

    loan = models.ForeignKey(PledgeLoan, on_delete=models.CASCADE, related_name="pledged_assets")
    ip_asset = models.ForeignKey(
        "results.IPAsset", on_delete=models.PROTECT, related_name="pledges"
    )
    is_standing = models.BooleanField(default=True)

    objects = RestrictedQuerySet["PledgedAsset"].as_manager()

    class Meta:
        db_table = "planning_pledgedasset"
        constraints = [
            models.UniqueConstraint(
                fields=["ip_asset"],
                condition=Q(is_standing=True),
                name="planning_ip_asset_pledged_once",
            ),
            models.UniqueConstraint(
                fields=["loan", "ip_asset"], name="planning_pledged_asset_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"


class SecuritisationPool(models.Model):
    """A pool of licensed IP whose expected royalties back a security (知识产权证券化)."""

    name_zh = models.CharField(_("name (Chinese)"), max_length=200, blank=True)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    arranger = models.ForeignKey(
        "organisations.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("arranger"),
    )
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet["SecuritisationPool"].as_manager()

    class Meta:
        db_table = "planning_securitisationpool"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(name_zh="", name_en=""), name="planning_pool_name_present"
            )
        ]

    @property
    def name(self) -> str:
        return bilingual(self.name_zh, self.name_en, get_language())

    def __str__(self) -> str:
        return self.name


class PoolAsset(models.Model):
    pool = models.ForeignKey(SecuritisationPool, on_delete=models.CASCADE, related_name="assets")
    result = models.ForeignKey(
        "results.Result", on_delete=models.PROTECT, related_name="pool_memberships"
    )
    licensee = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("licensee"),
    )

    objects = RestrictedQuerySet["PoolAsset"].as_manager()

    class Meta:
        db_table = "planning_poolasset"
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["pool", "result", "licensee"], name="planning_pool_asset_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"


class PoolCashFlow(models.Model):
    asset = models.ForeignKey(PoolAsset, on_delete=models.CASCADE, related_name="cash_flows")
    period = models.CharField(_("period"), max_length=7, help_text=_("YYYY-Qn or YYYY"))
    amount_cny = models.DecimalField(_("expected royalty (CNY)"), max_digits=16, decimal_places=2)

    objects = RestrictedQuerySet["PoolCashFlow"].as_manager()

    class Meta:
        db_table = "planning_poolcashflow"
        ordering = ["period", "id"]
        constraints = [
            models.UniqueConstraint(fields=["asset", "period"], name="planning_cash_flow_unique"),
            models.CheckConstraint(
                condition=Q(amount_cny__gte=0), name="planning_cash_flow_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"

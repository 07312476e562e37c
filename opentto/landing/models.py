"""Industrial landing (产业落地): the contract record and the money that follows it.

A **deal** is a contract covering one or more results: licence (exclusive, sole, non-exclusive),
assignment, equity investment, spin-off, commissioned R&D, technology development, consulting or
service. Its status follows :data:`DEAL_TRANSITIONS`::

    draft → notice (公示, negotiated prices only, ≥ 15 days) → signed → in force → completed
                                                   signed / in force → terminated

A deal is **counted** (in "projects landed" and "transaction value") when its status is signed,
in force or completed — that is, it has been signed and has not been terminated
(:data:`COUNTED_STATUSES`). A result is *landed* while at least one counted deal covers it.

Beside deals live payment schedules, payments received, royalty reports, other agreements
(NDA/CDA, material transfer, co-owner agreements), costs per result and the distribution of each
payment between co-owners, organisation, team and TTO.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from opentto.core.i18n import bilingual
from opentto.core.permissions import RestrictedQuerySet

ZERO = Decimal("0.00")


class DealTypeChoices(models.TextChoices):
    LICENCE_EXCLUSIVE = "licence_exclusive", _("Exclusive licence")
    LICENCE_SOLE = "licence_sole", _("Sole licence")
    LICENCE_NON_EXCLUSIVE = "licence_non_exclusive", _("Non-exclusive licence")
    ASSIGNMENT = "assignment", _("Assignment")
    EQUITY = "equity", _("Equity investment")
    SPIN_OFF = "spin_off", _("Spin-off")
    JOINT_DEVELOPMENT = "joint_development", _("Joint development")
    COMMISSIONED_RD = "commissioned_rd", _("Commissioned R&D")
    TECH_DEVELOPMENT = "tech_development", _("Technology development")
    TECH_CONSULTING = "tech_consulting", _("Technology consulting")
    TECH_SERVICE = "tech_service", _("Technology service")


LICENCE_TYPES = (DealTypeChoices.LICENCE_EXCLUSIVE, DealTypeChoices.LICENCE_SOLE, DealTypeChoices.LICENCE_NON_EXCLUSIVE)
TRANSFER_TYPES = (DealTypeChoices.ASSIGNMENT,)
EQUITY_TYPES = (DealTypeChoices.EQUITY, DealTypeChoices.SPIN_OFF)
#: technology development, consulting and service contracts (技术开发、咨询、服务合同) of the annual report
TECH_SERVICE_TYPES = (
    DealTypeChoices.TECH_DEVELOPMENT, DealTypeChoices.TECH_CONSULTING, DealTypeChoices.TECH_SERVICE,
    DealTypeChoices.COMMISSIONED_RD, DealTypeChoices.JOINT_DEVELOPMENT,
)


class DealStatusChoices(models.TextChoices):
    DRAFT = "draft", _("Draft")
    NOTICE = "notice", _("Public notice")
    SIGNED = "signed", _("Signed")
    IN_FORCE = "in_force", _("In force")
    COMPLETED = "completed", _("Completed")
    TERMINATED = "terminated", _("Terminated")


#: Signed and not terminated: the statuses that count in the figures.
COUNTED_STATUSES = (DealStatusChoices.SIGNED, DealStatusChoices.IN_FORCE, DealStatusChoices.COMPLETED)

#: Status changes allowed for a deal; each has its service in ``opentto.landing.services``.
DEAL_TRANSITIONS: dict[str, tuple[str, ...]] = {
    DealStatusChoices.DRAFT: (DealStatusChoices.NOTICE, DealStatusChoices.SIGNED),
    DealStatusChoices.NOTICE: (DealStatusChoices.SIGNED, DealStatusChoices.DRAFT),
    DealStatusChoices.SIGNED: (DealStatusChoices.IN_FORCE, DealStatusChoices.COMPLETED, DealStatusChoices.TERMINATED),
    DealStatusChoices.IN_FORCE: (DealStatusChoices.COMPLETED, DealStatusChoices.TERMINATED),
    DealStatusChoices.COMPLETED: (),
    DealStatusChoices.TERMINATED: (),
}


class PriceMethodChoices(models.TextChoices):
    """How the price was set (促进科技成果转化法 art. 18)."""

    UNRECORDED = "", _("Not recorded")
    NEGOTIATED = "negotiated", _("Negotiated (协议定价, public notice required)")
    EXCHANGE = "exchange", _("Listed on a technology exchange (挂牌交易)")
    AUCTION = "auction", _("Auction (拍卖)")


#: The minimum notice period for a negotiated price, in days (国发〔2016〕16号).
NOTICE_MIN_DAYS = 15


class DealQuerySet(RestrictedQuerySet["Deal"]):
    def counted(self) -> DealQuerySet:
        """Deals that count in the figures: signed, in force or completed (signed and not terminated)."""
        return self.filter(status__in=COUNTED_STATUSES)


class Deal(models.Model):
    title = models.CharField(_("title"), max_length=300, blank=True)
    results = models.ManyToManyField("results.Result", related_name="deals", verbose_name=_("results covered"))
    owners = models.ManyToManyField(
        "organisations.Organisation", related_name="deals_as_owner", blank=True,
        verbose_name=_("owner organisations"),
    )
    counterparty = models.ForeignKey(
        "organisations.Organisation",
        verbose_name=_("counterparty enterprise"),
        on_delete=models.PROTECT,
        related_name="deals_as_counterparty",
    )
    deal_type = models.CharField(_("type"), max_length=24, choices=DealTypeChoices.choices)
    price_method = models.CharField(
        _("how the price was set"), max_length=16, choices=PriceMethodChoices.choices, blank=True, default=""
    )
    amount_cny = models.DecimalField(_("contract amount (CNY)"), max_digits=16, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    amount_foreign = models.DecimalField(
        _("contract amount (foreign currency)"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    fx_rate = models.DecimalField(
        _("exchange rate used (CNY per unit)"), max_digits=14, decimal_places=6, null=True, blank=True
    )
    status = models.CharField(
        _("status"), max_length=16, choices=DealStatusChoices.choices, default=DealStatusChoices.DRAFT
    )
    signed_on = models.DateField(_("signing date"), null=True, blank=True)
    term_starts_on = models.DateField(_("term starts"), null=True, blank=True)
    term_ends_on = models.DateField(_("term ends"), null=True, blank=True)
    in_force_on = models.DateField(_("in force since"), null=True, blank=True)
    completed_on = models.DateField(_("completion date"), null=True, blank=True)
    terminated_on = models.DateField(_("termination date"), null=True, blank=True)
    termination_reason = models.TextField(_("termination reason"), blank=True)
    # running royalties
    royalty_rate = models.DecimalField(
        _("royalty rate (fraction of net sales)"), max_digits=6, decimal_places=5, null=True, blank=True
    )
    royalty_minimum_cny = models.DecimalField(
        _("minimum royalty per period (CNY)"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    # equity
    equity_shares = models.DecimalField(_("shares received"), max_digits=20, decimal_places=4, null=True, blank=True)
    equity_percent = models.DecimalField(_("equity stake (%)"), max_digits=7, decimal_places=4, null=True, blank=True)
    equity_valuation_cny = models.DecimalField(
        _("valuation of the stake (CNY)"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    # spin-off company
    spinoff_name = models.CharField(_("spin-off company"), max_length=200, blank=True)
    spinoff_credit_code = models.CharField(_("spin-off credit code"), max_length=18, blank=True)
    spinoff_founded_on = models.DateField(_("spin-off founded"), null=True, blank=True)
    spinoff_registered_capital_cny = models.DecimalField(
        _("spin-off registered capital (CNY)"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    # technology-contract registration (技术合同登记)
    registration_number = models.CharField(_("technology-contract registration number"), max_length=60, blank=True)
    registration_date = models.DateField(_("registration date"), null=True, blank=True)
    # where the deal came from (planning: a plan; demands: a match — the demands app has no model yet)
    source_plan = models.ForeignKey(
        "planning.TransferPlan", null=True, blank=True, on_delete=models.SET_NULL, related_name="deals",
        verbose_name=_("from plan"),
    )
    source_match = models.CharField(_("from match"), max_length=80, blank=True)
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
                condition=models.Q(status__in=["draft", "notice"]) | models.Q(signed_on__isnull=False),
                name="landing_deal_signed_has_date",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="terminated") | models.Q(terminated_on__isnull=False),
                name="landing_deal_terminated_has_date",
            ),
            models.CheckConstraint(
                condition=models.Q(currency="CNY", amount_foreign__isnull=True, fx_rate__isnull=True)
                | (~models.Q(currency="CNY") & models.Q(amount_foreign__gte=0, fx_rate__gt=0)),
                name="landing_deal_currency_consistent",
            ),
            models.CheckConstraint(
                condition=models.Q(royalty_rate__isnull=True) | models.Q(royalty_rate__gt=0, royalty_rate__lte=1),
                name="landing_deal_royalty_rate_range",
            ),
            models.CheckConstraint(
                condition=models.Q(equity_percent__isnull=True) | models.Q(equity_percent__gt=0, equity_percent__lte=100),
                name="landing_deal_equity_percent_range",
            ),
            models.CheckConstraint(
                condition=models.Q(price_method__in=PriceMethodChoices.values), name="landing_deal_price_method_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.title or f"#{self.pk}"

    @property
    def is_counted(self) -> bool:
        return self.status in COUNTED_STATUSES

    @property
    def received_cny(self) -> Decimal:
        return self.payments.aggregate(t=models.Sum("amount_cny"))["t"] or ZERO


class NoticeStatusChoices(models.TextChoices):
    RUNNING = "running", _("Running")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class PublicNotice(models.Model):
    """A negotiated price publicly noticed (公示) with the results' names and the price."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="notices")
    starts_on = models.DateField(_("notice starts"))
    ends_on = models.DateField(_("notice ends"))
    text_zh = models.TextField(_("notice text (Chinese)"), blank=True)
    text_en = models.TextField(_("notice text (English)"), blank=True)
    price_cny = models.DecimalField(_("price noticed (CNY)"), max_digits=16, decimal_places=2)
    status = models.CharField(_("status"), max_length=12, choices=NoticeStatusChoices.choices, default="running")
    objections = models.TextField(_("objections received"), blank=True)
    withdrawn_reason = models.TextField(_("reason for withdrawal"), blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    published_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet["PublicNotice"].as_manager()

    class Meta:
        ordering = ["-starts_on", "-id"]
        verbose_name = _("public notice")
        constraints = [
            models.CheckConstraint(condition=models.Q(ends_on__gt=models.F("starts_on")), name="landing_notice_ends_after_start"),
            models.CheckConstraint(condition=models.Q(status__in=NoticeStatusChoices.values), name="landing_notice_status_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.deal} {self.starts_on:%Y-%m-%d}–{self.ends_on:%Y-%m-%d}"

    @property
    def text(self) -> str:
        return bilingual(self.text_zh, self.text_en, get_language())

    @property
    def days(self) -> int:
        return (self.ends_on - self.starts_on).days + 1


class ScheduleKindChoices(models.TextChoices):
    UPFRONT = "upfront", _("Upfront payment")
    MILESTONE = "milestone", _("Milestone payment")
    INSTALMENT = "instalment", _("Instalment")
    ROYALTY = "royalty", _("Running royalty (per period)")
    MINIMUM = "minimum", _("Minimum annual royalty")


class PaymentScheduleItem(models.Model):
    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="schedule")
    kind = models.CharField(_("kind"), max_length=12, choices=ScheduleKindChoices.choices)
    description = models.CharField(_("description / milestone"), max_length=300, blank=True)
    due_on = models.DateField(_("due"), null=True, blank=True)
    amount_cny = models.DecimalField(_("amount (CNY)"), max_digits=16, decimal_places=2, null=True, blank=True)

    objects = RestrictedQuerySet["PaymentScheduleItem"].as_manager()

    class Meta:
        ordering = ["due_on", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(kind__in=ScheduleKindChoices.values), name="landing_schedule_kind_valid"),
            models.CheckConstraint(condition=models.Q(amount_cny__isnull=True) | models.Q(amount_cny__gt=0), name="landing_schedule_amount_positive"),
        ]

    def __str__(self) -> str:
        return self.description or self.get_kind_display()

    @property
    def received_cny(self) -> Decimal:
        return self.payments.aggregate(t=models.Sum("amount_cny"))["t"] or ZERO


class RoyaltyReport(models.Model):
    """A licensee's report of net sales for a period; the royalty due follows from the contract's rate."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="royalty_reports")
    period_start = models.DateField(_("period starts"))
    period_end = models.DateField(_("period ends"))
    due_on = models.DateField(_("payment due"))
    net_sales_cny = models.DecimalField(_("net sales reported (CNY)"), max_digits=16, decimal_places=2)
    rate = models.DecimalField(_("royalty rate applied"), max_digits=6, decimal_places=5)
    royalty_due_cny = models.DecimalField(_("royalty due (CNY)"), max_digits=16, decimal_places=2)
    minimum_applied = models.BooleanField(_("minimum royalty applied"), default=False)
    flagged_on = models.DateField(_("flagged to the managers on"), null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet["RoyaltyReport"].as_manager()

    class Meta:
        ordering = ["-period_end", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["deal", "period_start"], name="landing_royalty_period_unique"),
            models.CheckConstraint(condition=models.Q(period_end__gte=models.F("period_start")), name="landing_royalty_period_order"),
            models.CheckConstraint(condition=models.Q(net_sales_cny__gte=0, royalty_due_cny__gte=0), name="landing_royalty_amounts_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.period_start:%Y-%m-%d} – {self.period_end:%Y-%m-%d}"

    @property
    def received_cny(self) -> Decimal:
        return self.payments.aggregate(t=models.Sum("amount_cny"))["t"] or ZERO

    @property
    def shortfall_cny(self) -> Decimal:
        return max(self.royalty_due_cny - self.received_cny, ZERO)

    @property
    def is_overdue(self) -> bool:
        return self.shortfall_cny > 0 and self.due_on < timezone.localdate()

    @property
    def is_short(self) -> bool:
        return self.received_cny > 0 and self.shortfall_cny > 0


class Payment(models.Model):
    deal = models.ForeignKey(Deal, on_delete=models.PROTECT, related_name="payments")
    received_on = models.DateField(_("received on"))
    amount_cny = models.DecimalField(_("amount received (CNY)"), max_digits=16, decimal_places=2)
    schedule_item = models.ForeignKey(
        PaymentScheduleItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="payments",
        verbose_name=_("for schedule item"),
    )
    royalty_report = models.ForeignKey(
        RoyaltyReport, null=True, blank=True, on_delete=models.SET_NULL, related_name="payments",
        verbose_name=_("for royalty report"),
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet["Payment"].as_manager()

    class Meta:
        ordering = ["-received_on", "-id"]
        verbose_name = _("payment received")
        constraints = [
            models.CheckConstraint(condition=models.Q(amount_cny__gt=0), name="landing_payment_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.received_on:%Y-%m-%d} {self.amount_cny}"


class AgreementKindChoices(models.TextChoices):
    NDA = "nda", _("Confidentiality agreement (NDA/CDA)")
    MTA = "mta", _("Material transfer agreement (MTA)")
    CO_OWNER = "co_owner", _("Agreement between co-owners")


class Agreement(models.Model):
    kind = models.CharField(_("kind"), max_length=12, choices=AgreementKindChoices.choices)
    title = models.CharField(_("title"), max_length=300)
    parties = models.ManyToManyField("organisations.Organisation", related_name="agreements", verbose_name=_("parties"))
    results = models.ManyToManyField("results.Result", related_name="agreements", blank=True, verbose_name=_("results"))
    signed_on = models.DateField(_("signing date"))
    expires_on = models.DateField(_("expires"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet["Agreement"].as_manager()

    class Meta:
        ordering = ["-signed_on", "-id"]
        verbose_name = _("agreement")
        constraints = [
            models.CheckConstraint(condition=models.Q(kind__in=AgreementKindChoices.values), name="landing_agreement_kind_valid"),
            models.CheckConstraint(
                condition=models.Q(expires_on__isnull=True) | models.Q(expires_on__gte=models.F("signed_on")),
                name="landing_agreement_expires_after_signing",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class CoOwnerShare(models.Model):
    """In a co-owner agreement: each institution's share of the income (the shares sum to 100)."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="shares")
    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.PROTECT, related_name="+")
    share = models.DecimalField(_("share of income (%)"), max_digits=6, decimal_places=3)

    objects = RestrictedQuerySet["CoOwnerShare"].as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agreement", "organisation"], name="landing_coowner_share_unique"),
            models.CheckConstraint(condition=models.Q(share__gt=0, share__lte=100), name="landing_coowner_share_range"),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} {self.share}%"


class CostKindChoices(models.TextChoices):
    FILING_FEE = "filing_fee", _("Filing fee")
    ANNUAL_FEE = "annual_fee", _("Annual fee")
    AGENT = "agent", _("Patent agent's invoice")
    EVALUATION = "evaluation", _("Evaluation cost")
    LEGAL = "legal", _("Legal cost")
    OTHER = "other", _("Other cost")


class ResultCost(models.Model):
    """A cost borne for a result; it is deducted from the next payment of a deal covering the result."""

    result = models.ForeignKey("results.Result", on_delete=models.PROTECT, related_name="costs")
    kind = models.CharField(_("kind"), max_length=12, choices=CostKindChoices.choices)
    amount_cny = models.DecimalField(_("amount (CNY)"), max_digits=16, decimal_places=2)
    incurred_on = models.DateField(_("date"))
    description = models.CharField(_("description"), max_length=300, blank=True)
    distribution = models.ForeignKey(
        "Distribution", null=True, blank=True, on_delete=models.SET_NULL, related_name="costs",
        verbose_name=_("deducted in"),
    )
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet["ResultCost"].as_manager()

    class Meta:
        ordering = ["incurred_on", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(kind__in=CostKindChoices.values), name="landing_cost_kind_valid"),
            models.CheckConstraint(condition=models.Q(amount_cny__gt=0), name="landing_cost_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount_cny}"


class DistributionRule(models.Model):
    """An organisation's rule for splitting its net income (its 科技成果转化收益分配办法)."""

    organisation = models.OneToOneField("organisations.Organisation", on_delete=models.CASCADE, related_name="distribution_rule")
    team_share = models.DecimalField(_("team's share of net licence/transfer income"), max_digits=5, decimal_places=4)
    tto_share = models.DecimalField(_("TTO's share"), max_digits=5, decimal_places=4, default=Decimal("0"))
    equity_team_share = models.DecimalField(_("team's share of equity"), max_digits=5, decimal_places=4, default=Decimal("0.5"))
    state_established = models.BooleanField(_("state-established university or institute"), default=True)
    in_shanghai = models.BooleanField(_("subject to Shanghai's regulation"), default=True)
    legal_source = models.CharField(_("legal source of the rule"), max_length=300)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet["DistributionRule"].as_manager()

    class Meta:
        verbose_name = _("distribution rule")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(team_share__gte=0, team_share__lte=1, tto_share__gte=0, tto_share__lte=1,
                                   equity_team_share__gte=0, equity_team_share__lte=1),
                name="landing_rule_shares_fractions",
            ),
            models.CheckConstraint(
                condition=models.Q(team_share__lte=Decimal(1) - models.F("tto_share")), name="landing_rule_shares_sum"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation}: {self.team_share}"

    def warnings(self) -> list[str]:
        from .distribution import check_rule

        out = check_rule("transfer_or_licence", self.team_share, shanghai=self.in_shanghai, state_established=self.state_established)
        out += check_rule("equity", self.equity_team_share, shanghai=self.in_shanghai, state_established=self.state_established)
        return out


class Distribution(models.Model):
    """How one payment was split. Its lines add up exactly to the payment (costs + parts)."""

    payment = models.OneToOneField(Payment, on_delete=models.PROTECT, related_name="distribution")
    costs_cny = models.DecimalField(_("costs deducted (CNY)"), max_digits=16, decimal_places=2)
    net_cny = models.DecimalField(_("net income (CNY)"), max_digits=16, decimal_places=2)
    rules = models.JSONField(_("rules applied"), default=dict)
    warnings = models.JSONField(_("warnings"), default=list)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet["Distribution"].as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(costs_cny__gte=0, net_cny__gte=0), name="landing_distribution_amounts_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.payment} → {self.net_cny}"


class PartyChoices(models.TextChoices):
    ORGANISATION = "organisation", _("Organisation")
    TTO = "tto", _("Technology-transfer office")
    PERSON = "person", _("Team member")
    #: A team member paid as an owner of the result (赋权, 国科发区〔2020〕128号): no statutory reward on this part.
    TEAM_OWNER = "team_owner", _("Team member as owner")


#: The parties paid to a person (a reward, or an owner's part after a 赋权).
PERSON_PARTIES = (PartyChoices.PERSON, PartyChoices.TEAM_OWNER)


class DistributionLine(models.Model):
    distribution = models.ForeignKey(Distribution, on_delete=models.CASCADE, related_name="lines")
    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.PROTECT, related_name="+")
    party = models.CharField(_("party"), max_length=12, choices=PartyChoices.choices)
    person = models.ForeignKey("organisations.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="distribution_lines")
    amount_cny = models.DecimalField(_("amount (CNY)"), max_digits=16, decimal_places=2)

    objects = RestrictedQuerySet["DistributionLine"].as_manager()

    class Meta:
        ordering = ["organisation_id", "party", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount_cny__gte=0), name="landing_line_amount_positive"),
            models.CheckConstraint(
                condition=(models.Q(party__in=["person", "team_owner"]) & models.Q(person__isnull=False))
                | (~models.Q(party__in=["person", "team_owner"]) & models.Q(person__isnull=True)),
                name="landing_line_person_iff_person_party",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_party_display()} {self.amount_cny}"

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

import uuid
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from opentto.core.i18n import bilingual
from opentto.core.permissions import RestrictedQuerySet
from opentto.core.transitions import Edge, Transitions

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


LICENCE_TYPES = (
    DealTypeChoices.LICENCE_EXCLUSIVE,
    DealTypeChoices.LICENCE_SOLE,
    DealTypeChoices.LICENCE_NON_EXCLUSIVE,
)
TRANSFER_TYPES = (DealTypeChoices.ASSIGNMENT,)
EQUITY_TYPES = (DealTypeChoices.EQUITY, DealTypeChoices.SPIN_OFF)
#: technology development, consulting and service contracts (技术开发、咨询、服务合同) of the annual report
TECH_SERVICE_TYPES = (
    DealTypeChoices.TECH_DEVELOPMENT,
    DealTypeChoices.TECH_CONSULTING,
    DealTypeChoices.TECH_SERVICE,
    DealTypeChoices.COMMISSIONED_RD,
    DealTypeChoices.JOINT_DEVELOPMENT,
)


class DealStatusChoices(models.TextChoices):
    DRAFT = "draft", _("Draft")
    NOTICE = "notice", _("Public notice")
    SIGNED = "signed", _("Signed")
    IN_FORCE = "in_force", _("In force")
    COMPLETED = "completed", _("Completed")
    TERMINATED = "terminated", _("Terminated")


#: Signed and not terminated: the statuses that count in the figures.
COUNTED_STATUSES = (
    DealStatusChoices.SIGNED,
    DealStatusChoices.IN_FORCE,
    DealStatusChoices.COMPLETED,
)

#: Status changes allowed for a deal (``opentto.core.transitions``); each has its service in
#: ``opentto.landing.services`` and names the action on the deal that service asks.
DEAL_TRANSITIONS = Transitions(
    "deal",
    (
        Edge(DealStatusChoices.DRAFT, DealStatusChoices.NOTICE, "notice_start", "change"),
        Edge(DealStatusChoices.DRAFT, DealStatusChoices.SIGNED, "sign", "sign"),
        Edge(DealStatusChoices.NOTICE, DealStatusChoices.SIGNED, "sign", "sign"),
        Edge(DealStatusChoices.NOTICE, DealStatusChoices.DRAFT, "notice_withdraw", "change"),
        Edge(DealStatusChoices.SIGNED, DealStatusChoices.IN_FORCE, "in_force", "sign"),
        Edge(DealStatusChoices.SIGNED, DealStatusChoices.COMPLETED, "complete", "sign"),
        Edge(DealStatusChoices.SIGNED, DealStatusChoices.TERMINATED, "terminate", "sign"),
        Edge(DealStatusChoices.IN_FORCE, DealStatusChoices.COMPLETED, "complete", "sign"),
        Edge(DealStatusChoices.IN_FORCE, DealStatusChoices.TERMINATED, "terminate", "sign"),
    ),
    labels=DealStatusChoices,
    illegal=_("A deal in status “%(status)s” cannot move to “%(target)s”."),
)


class PriceMethodChoices(models.TextChoices):
    """How the price was set (促进科技成果转化法 art. 18)."""

    UNRECORDED = "", _("Not recorded")
    NEGOTIATED = "negotiated", _("Negotiated price (public notice required)")
    EXCHANGE = "exchange", _("Listed on a technology exchange")
    AUCTION = "auction", _("Auction")


#: The minimum notice period for a negotiated price, in days (国发〔2016〕16号).
NOTICE_MIN_DAYS = 15


# --- technology-contract registration (技术合同认定登记) ------------------------------------------
#
# Sources (STANDARDS.md, "Contracts, tax and rights"; fairly sure of the documents, articles to be
# checked before citing): 技术合同认定登记管理办法 (国科发政字〔2000〕063号) and 技术合同认定规则
# (国科发政字〔2001〕253号); 技术许可 split out of 技术转让 by the Civil Code (2021) art. 862.
# The draft revision: a 《技术合同认定登记管理办法（征求意见稿）》 was put out for comment on
# 2024-12-20 (comments until 2025-01-18). We found no text saying a revised measure was issued or is
# in force (checked 2026-12 in stored public pages only; NOT confirmed either way), so the
# classification below follows the 2000 measures, the 2001 rules and the Civil Code. The draft's
# art. 3 keeps the same core (the office classifies the contract and sets its technology turnover).


class ContractKindChoices(models.TextChoices):
    """The kind of technology contract the registration office recognises (技术合同认定规则; Civil
    Code art. 851–887). Technical training (技术培训) and intermediary (技术中介) contracts are
    special service contracts: :class:`ContractObjectChoices` ``TRAINING`` / ``INTERMEDIARY`` on a
    ``SERVICE`` contract."""

    DEV_COMMISSIONED = "dev_commissioned", _("Technology development (commissioned)")
    DEV_COOPERATIVE = "dev_cooperative", _("Technology development (cooperative)")
    TRANSFER = "transfer", _("Technology transfer")
    LICENCE = "licence", _("Technology licence")
    CONSULTING = "consulting", _("Technology consulting")
    SERVICE = "service", _("Technology service")


class ContractObjectChoices(models.TextChoices):
    """What a transfer or licence contract is about, or which special service a service contract is.

    Patent, patent application and technical secret: Civil Code art. 862 (transfer of a patent, of
    the right to apply, of a technical secret; licence of a patent or a technical secret). Software
    copyright, IC layout design, new plant variety: their transfer and licence follow the technology
    transfer/licence rules (Civil Code art. 876; the 2001 rules register plant-variety and IC-layout
    transfers as technology transfer contracts). Biomedicine new variety: named with the others in
    the income-tax scope of technology transfer (财税〔2010〕111号; 国家税务总局公告2015年第82号) —
    fairly sure. Training and intermediary: special service contracts (STANDARDS.md)."""

    PATENT = "patent", _("Patent right")
    PATENT_APPLICATION = "patent_application", _("Patent application right")
    TECHNICAL_SECRET = "technical_secret", _("Technical secret")
    SOFTWARE_COPYRIGHT = "software_copyright", _("Computer software copyright")
    IC_LAYOUT = "ic_layout", _("Exclusive right in an IC layout design")
    PLANT_VARIETY = "plant_variety", _("New plant variety right")
    BIOMEDICINE_VARIETY = "biomedicine_variety", _("New biomedicine variety")
    TRAINING = "training", _("Technical training")
    INTERMEDIARY = "intermediary", _("Technical intermediary")


#: Which objects fit which kind (blank always allowed: not yet known, or a plain service).
CONTRACT_OBJECTS_BY_KIND: dict[str, tuple[str, ...]] = {
    ContractKindChoices.TRANSFER: (
        ContractObjectChoices.PATENT,
        ContractObjectChoices.PATENT_APPLICATION,
        ContractObjectChoices.TECHNICAL_SECRET,
        ContractObjectChoices.SOFTWARE_COPYRIGHT,
        ContractObjectChoices.IC_LAYOUT,
        ContractObjectChoices.PLANT_VARIETY,
        ContractObjectChoices.BIOMEDICINE_VARIETY,
    ),
    # a patent application right is transferred, not licensed (art. 862)
    ContractKindChoices.LICENCE: (
        ContractObjectChoices.PATENT,
        ContractObjectChoices.TECHNICAL_SECRET,
        ContractObjectChoices.SOFTWARE_COPYRIGHT,
        ContractObjectChoices.IC_LAYOUT,
        ContractObjectChoices.PLANT_VARIETY,
        ContractObjectChoices.BIOMEDICINE_VARIETY,
    ),
    ContractKindChoices.SERVICE: (
        ContractObjectChoices.TRAINING,
        ContractObjectChoices.INTERMEDIARY,
    ),
    ContractKindChoices.DEV_COMMISSIONED: (),
    ContractKindChoices.DEV_COOPERATIVE: (),
    ContractKindChoices.CONSULTING: (),
}

#: The contract kind a deal type gives where it is unambiguous (the data migration and new deals'
#: default). Technology development (commissioned or cooperative?), equity and spin-off (技术入股
#: may be registered as a transfer, but need not be) are left for the TTO to classify.
CONTRACT_KIND_OF_DEAL_TYPE: dict[str, str] = {
    "licence_exclusive": ContractKindChoices.LICENCE,
    "licence_sole": ContractKindChoices.LICENCE,
    "licence_non_exclusive": ContractKindChoices.LICENCE,
    "assignment": ContractKindChoices.TRANSFER,
    "commissioned_rd": ContractKindChoices.DEV_COMMISSIONED,
    "joint_development": ContractKindChoices.DEV_COOPERATIVE,
    "tech_consulting": ContractKindChoices.CONSULTING,
    "tech_service": ContractKindChoices.SERVICE,
}


class RegistrationStatusChoices(models.TextChoices):
    NOT_APPLIED = "not_applied", _("Not applied")
    APPLIED = "applied", _("Applied")
    REGISTERED = "registered", _("Registered")
    RETURNED = "returned", _("Returned for correction")
    REFUSED = "refused", _("Registration refused")


#: Registration steps (``opentto.core.transitions``); each has its service in
#: ``opentto.landing.services`` (``registration_*``), which asks ``register_contract`` on the deal.
#: A returned application is corrected and applied again; a refused contract may be applied again
#: once amended (a new application); a registration is final.
REGISTRATION_TRANSITIONS = Transitions(
    "deal.registration",
    (
        Edge(
            RegistrationStatusChoices.NOT_APPLIED,
            RegistrationStatusChoices.APPLIED,
            "apply",
            "register_contract",
        ),
        Edge(
            RegistrationStatusChoices.APPLIED,
            RegistrationStatusChoices.REGISTERED,
            "register",
            "register_contract",
        ),
        Edge(
            RegistrationStatusChoices.APPLIED,
            RegistrationStatusChoices.RETURNED,
            "return",
            "register_contract",
        ),
        Edge(
            RegistrationStatusChoices.APPLIED,
            RegistrationStatusChoices.REFUSED,
            "refuse",
            "register_contract",
        ),
        Edge(
            RegistrationStatusChoices.RETURNED,
            RegistrationStatusChoices.APPLIED,
            "apply",
            "register_contract",
        ),
        Edge(
            RegistrationStatusChoices.REFUSED,
            RegistrationStatusChoices.APPLIED,
            "apply",
            "register_contract",
        ),
    ),
    labels=RegistrationStatusChoices,
    illegal=_("A registration in status “%(status)s” cannot move to “%(target)s”."),
)


class DealQuerySet(RestrictedQuerySet["Deal"]):
    def counted(self) -> DealQuerySet:
        """Deals that count in the figures: signed, in force or completed (signed and not terminated)."""
        return self.filter(status__in=COUNTED_STATUSES)


class Deal(models.Model):
    title = models.CharField(_("title"), max_length=300, blank=True)
    results = models.ManyToManyField(
        "results.Result", related_name="deals", verbose_name=_("results covered")
    )
    owners = models.ManyToManyField(
        "organisations.Organisation",
        related_name="deals_as_owner",
        blank=True,
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
        _("how the price was set"),
        max_length=16,
        choices=PriceMethodChoices.choices,
        blank=True,
        default="",
    )
    amount_cny = models.DecimalField(_("contract amount (CNY)"), max_digits=16, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    amount_foreign = models.DecimalField(
        _("contract amount (foreign currency)"),
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
    )
    fx_rate = models.DecimalField(
        _("exchange rate used (CNY per unit)"),
        max_digits=14,
        decimal_places=6,
        null=True,
        blank=True,
    )
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=DealStatusChoices.choices,
        default=DealStatusChoices.DRAFT,
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
        _("royalty rate (fraction of net sales)"),
        max_digits=6,
        decimal_places=5,
        null=True,
        blank=True,
    )
    royalty_minimum_cny = models.DecimalField(
        _("minimum royalty per period (CNY)"),
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
    )
    # equity
    equity_shares = models.DecimalField(
        _("shares received"), max_digits=20, decimal_places=4, null=True, blank=True
    )
    equity_percent = models.DecimalField(
        _("equity stake (%)"), max_digits=7, decimal_places=4, null=True, blank=True
    )
    equity_valuation_cny = models.DecimalField(
        _("valuation of the stake (CNY)"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    # spin-off company
    spinoff_name = models.CharField(_("spin-off company"), max_length=200, blank=True)
    spinoff_credit_code = models.CharField(_("spin-off credit code"), max_length=18, blank=True)
    spinoff_founded_on = models.DateField(_("spin-off founded"), null=True, blank=True)
    spinoff_registered_capital_cny = models.DecimalField(
        _("spin-off registered capital (CNY)"),
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
    )
    # the technology contract's classification (技术合同认定规则) and the tax reliefs claimed; the
    # registration itself is a ContractRegistration (``deal.registration``)
    contract_kind = models.CharField(
        _("technology-contract kind"),
        max_length=20,
        choices=ContractKindChoices.choices,
        blank=True,
        default="",
    )
    contract_object = models.CharField(
        _("contract object"),
        max_length=24,
        choices=ContractObjectChoices.choices,
        blank=True,
        default="",
    )
    bundled_support_services = models.BooleanField(
        _("consulting and services bundled in the same contract and invoice"), default=False
    )
    claims_vat_exemption = models.BooleanField(_("claims the VAT exemption"), default=False)
    claims_income_tax_relief = models.BooleanField(
        _("claims the income-tax relief on technology transfer"), default=False
    )
    # where the deal came from (planning: a plan; demands: a match). SET_NULL: a deal is the legal
    # record and outlives what led to it (the audit log keeps the link); a reference that named no
    # match when the link became a foreign key is kept, as written, in ``source_match_note``.
    source_plan = models.ForeignKey(
        "planning.TransferPlan",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deals",
        verbose_name=_("from plan"),
    )
    source_match = models.ForeignKey(
        "demands.Match",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sourced_deals",
        verbose_name=_("from match"),
    )
    source_match_note = models.CharField(_("from match (as written)"), max_length=80, blank=True)
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
                condition=models.Q(status__in=DealStatusChoices.values),
                name="landing_deal_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(amount_cny__gte=0), name="landing_deal_amount_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["draft", "notice"])
                | models.Q(signed_on__isnull=False),
                name="landing_deal_signed_has_date",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="terminated") | models.Q(terminated_on__isnull=False),
                name="landing_deal_terminated_has_date",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    currency="CNY", amount_foreign__isnull=True, fx_rate__isnull=True
                )
                | (~models.Q(currency="CNY") & models.Q(amount_foreign__gte=0, fx_rate__gt=0)),
                name="landing_deal_currency_consistent",
            ),
            models.CheckConstraint(
                condition=models.Q(royalty_rate__isnull=True)
                | models.Q(royalty_rate__gt=0, royalty_rate__lte=1),
                name="landing_deal_royalty_rate_range",
            ),
            models.CheckConstraint(
                condition=models.Q(equity_percent__isnull=True)
                | models.Q(equity_percent__gt=0, equity_percent__lte=100),
                name="landing_deal_equity_percent_range",
            ),
            models.CheckConstraint(
                condition=models.Q(price_method__in=PriceMethodChoices.values),
                name="landing_deal_price_method_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(contract_kind="")
                | models.Q(contract_kind__in=ContractKindChoices.values),
                name="landing_deal_contract_kind_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(contract_object="")
                | models.Q(contract_object__in=ContractObjectChoices.values),
                name="landing_deal_contract_object_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name_in(get_language())

    def name_in(self, language: str | None) -> str:
        """The deal's title, or, without one, a name made of what it is: the public results' titles,
        the type and the counterparty, in ``language`` (``"zh-hans"``, ``"en"``): e.g. "经心尖二尖瓣夹 ·
        独占许可 · 上海心脉医疗". Never a bare "#15": a confidential result's title is left out (the
        deal's page names it to those who may see it), the type and counterparty are always there."""
        if self.title:
            return self.title
        from django.utils import translation

        english = (language or "").startswith("en")
        results = self.results.all() if self.pk is not None else []
        titles = [bilingual(r.title_zh, r.title_en, language) for r in results if r.is_public]
        with translation.override(language or get_language()):
            kind = str(self.get_deal_type_display())
        counterparty = (
            bilingual(self.counterparty.name_zh, self.counterparty.name_en, language)
            if self.counterparty_id
            else ""
        )
        parts = [("; " if english else "、").join(titles), kind, counterparty]
        return " · ".join(p for p in parts if p)

    @property
    def is_counted(self) -> bool:
        return self.status in COUNTED_STATUSES

    @property
    def received_cny(self) -> Decimal:
        return self.payments.aggregate(t=models.Sum("amount_cny"))["t"] or ZERO


class ContractRegistration(models.Model):
    """The technology-contract registration (技术合同认定登记) of a deal, with its steps (see
    :data:`REGISTRATION_TRANSITIONS`). The technology-related income (技术性收入) is the amount the
    registration office set (技术合同认定规则: the office sets the technology turnover); the tax
    reliefs are computed on it. A deal without this row has not applied."""

    deal = models.OneToOneField(Deal, on_delete=models.CASCADE, related_name="registration")
    status = models.CharField(
        _("registration status"),
        max_length=12,
        choices=RegistrationStatusChoices.choices,
        default=RegistrationStatusChoices.NOT_APPLIED,
    )
    number = models.CharField(_("registration number"), max_length=60, blank=True)
    applied_on = models.DateField(_("applied on"), null=True, blank=True)
    registered_on = models.DateField(_("registered on"), null=True, blank=True)
    office = models.CharField(_("registration office"), max_length=200, blank=True)
    technology_income_cny = models.DecimalField(
        _("technology-related income set by the office (CNY)"),
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
    )
    income_explanation = models.TextField(
        _("why the technology income exceeds the contract amount"), blank=True
    )
    note = models.TextField(_("office's reason (returned or refused)"), blank=True)
    #: the tax date each reminder was last sent for (sent once per date)
    income_tax_reminded_for = models.DateField(null=True, blank=True)
    vat_reminded_for = models.DateField(null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet["ContractRegistration"].as_manager()

    class Meta:
        verbose_name = _("technology-contract registration")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=RegistrationStatusChoices.values),
                name="landing_registration_status_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="registered") | models.Q(registered_on__isnull=False),
                name="landing_registration_registered_has_date",
            ),
            models.CheckConstraint(
                condition=models.Q(technology_income_cny__isnull=True)
                | models.Q(technology_income_cny__gte=0),
                name="landing_registration_income_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.number or self.get_status_display()

    @property
    def is_registered(self) -> bool:
        return self.status == RegistrationStatusChoices.REGISTERED


def registration_document_path(instance: ContractRegistrationDocument, filename: str) -> str:
    # Never the user's file name: an unguessable name in a folder per deal.
    return f"contract-registrations/{instance.registration.deal_id}/{uuid.uuid4().hex}"


class ContractRegistrationDocument(models.Model):
    """A file of the registration: the contract text sent, the office's certificate (登记证明), its
    notice of return or refusal. Checked by content as result attachments are
    (``opentto.core.uploads.check_upload``)."""

    registration = models.ForeignKey(
        ContractRegistration, on_delete=models.CASCADE, related_name="documents"
    )
    file = models.FileField(upload_to=registration_document_path, max_length=300)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded"), default=timezone.now)

    objects = RestrictedQuerySet["ContractRegistrationDocument"].as_manager()

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("registration document")

    def __str__(self) -> str:
        return self.original_name


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
    status = models.CharField(
        _("status"), max_length=12, choices=NoticeStatusChoices.choices, default="running"
    )
    objections = models.TextField(_("objections received"), blank=True)
    withdrawn_reason = models.TextField(_("reason for withdrawal"), blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet["PublicNotice"].as_manager()

    class Meta:
        ordering = ["-starts_on", "-id"]
        verbose_name = _("public notice")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gt=models.F("starts_on")),
                name="landing_notice_ends_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=NoticeStatusChoices.values),
                name="landing_notice_status_valid",
            ),
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
    amount_cny = models.DecimalField(
        _("amount (CNY)"), max_digits=16, decimal_places=2, null=True, blank=True
    )

    objects = RestrictedQuerySet["PaymentScheduleItem"].as_manager()

    class Meta:
        ordering = ["due_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=ScheduleKindChoices.values),
                name="landing_schedule_kind_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(amount_cny__isnull=True) | models.Q(amount_cny__gt=0),
                name="landing_schedule_amount_positive",
            ),
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
    net_sales_cny = models.DecimalField(
        _("net sales reported (CNY)"), max_digits=16, decimal_places=2
    )
    rate = models.DecimalField(_("royalty rate applied"), max_digits=6, decimal_places=5)
    royalty_due_cny = models.DecimalField(_("royalty due (CNY)"), max_digits=16, decimal_places=2)
    minimum_applied = models.BooleanField(_("minimum royalty applied"), default=False)
    flagged_on = models.DateField(_("flagged to the managers on"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet["RoyaltyReport"].as_manager()

    class Meta:
        ordering = ["-period_end", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["deal", "period_start"], name="landing_royalty_period_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")),
                name="landing_royalty_period_order",
            ),
            models.CheckConstraint(
                condition=models.Q(net_sales_cny__gte=0, royalty_due_cny__gte=0),
                name="landing_royalty_amounts_positive",
            ),
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
        PaymentScheduleItem,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="payments",
        verbose_name=_("for schedule item"),
    )
    royalty_report = models.ForeignKey(
        RoyaltyReport,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="payments",
        verbose_name=_("for royalty report"),
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet["Payment"].as_manager()

    class Meta:
        ordering = ["-received_on", "-id"]
        verbose_name = _("payment received")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount_cny__gt=0), name="landing_payment_amount_positive"
            ),
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
    parties = models.ManyToManyField(
        "organisations.Organisation", related_name="agreements", verbose_name=_("parties")
    )
    results = models.ManyToManyField(
        "results.Result", related_name="agreements", blank=True, verbose_name=_("results")
    )
    signed_on = models.DateField(_("signing date"))
    expires_on = models.DateField(_("expires"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet["Agreement"].as_manager()

    class Meta:
        ordering = ["-signed_on", "-id"]
        verbose_name = _("agreement")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=AgreementKindChoices.values),
                name="landing_agreement_kind_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(expires_on__isnull=True)
                | models.Q(expires_on__gte=models.F("signed_on")),
                name="landing_agreement_expires_after_signing",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class CoOwnerShare(models.Model):
    """In a co-owner agreement: each institution's share of the income (the shares sum to 100)."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="shares")
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    share = models.DecimalField(_("share of income (%)"), max_digits=6, decimal_places=3)

    objects = RestrictedQuerySet["CoOwnerShare"].as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "organisation"], name="landing_coowner_share_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(share__gt=0, share__lte=100), name="landing_coowner_share_range"
            ),
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
        "Distribution",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="costs",
        verbose_name=_("deducted in"),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet["ResultCost"].as_manager()

    class Meta:
        ordering = ["incurred_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=CostKindChoices.values), name="landing_cost_kind_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(amount_cny__gt=0), name="landing_cost_amount_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount_cny}"


class DistributionRule(models.Model):
    """An organisation's rule for splitting its net income (its 科技成果转化收益分配办法)."""

    organisation = models.OneToOneField(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="distribution_rule"
    )
    team_share = models.DecimalField(
        _("team's share of net licence/transfer income"), max_digits=5, decimal_places=4
    )
    tto_share = models.DecimalField(
        _("TTO's share"), max_digits=5, decimal_places=4, default=Decimal("0")
    )
    equity_team_share = models.DecimalField(
        _("team's share of equity"), max_digits=5, decimal_places=4, default=Decimal("0.5")
    )
    state_established = models.BooleanField(
        _("state-established university or institute"), default=True
    )
    in_shanghai = models.BooleanField(_("subject to Shanghai's regulation"), default=True)
    legal_source = models.CharField(_("legal source of the rule"), max_length=300)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet["DistributionRule"].as_manager()

    class Meta:
        verbose_name = _("distribution rule")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    team_share__gte=0,
                    team_share__lte=1,
                    tto_share__gte=0,
                    tto_share__lte=1,
                    equity_team_share__gte=0,
                    equity_team_share__lte=1,
                ),
                name="landing_rule_shares_fractions",
            ),
            models.CheckConstraint(
                condition=models.Q(team_share__lte=Decimal(1) - models.F("tto_share")),
                name="landing_rule_shares_sum",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation}: {self.team_share}"

    def warnings(self) -> list[str]:
        from .distribution import check_rule

        out = check_rule(
            "transfer_or_licence",
            self.team_share,
            shanghai=self.in_shanghai,
            state_established=self.state_established,
        )
        out += check_rule(
            "equity",
            self.equity_team_share,
            shanghai=self.in_shanghai,
            state_established=self.state_established,
        )
        return out


class Distribution(models.Model):
    """How one payment was split. Its lines add up exactly to the payment (costs + parts)."""

    payment = models.OneToOneField(Payment, on_delete=models.PROTECT, related_name="distribution")
    costs_cny = models.DecimalField(_("costs deducted (CNY)"), max_digits=16, decimal_places=2)
    net_cny = models.DecimalField(_("net income (CNY)"), max_digits=16, decimal_places=2)
    rules = models.JSONField(_("rules applied"), default=dict)
    warnings = models.JSONField(_("warnings"), default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet["Distribution"].as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(costs_cny__gte=0, net_cny__gte=0),
                name="landing_distribution_amounts_positive",
            ),
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
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    party = models.CharField(_("party"), max_length=12, choices=PartyChoices.choices)
    person = models.ForeignKey(
        "organisations.Person",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="distribution_lines",
    )
    amount_cny = models.DecimalField(_("amount (CNY)"), max_digits=16, decimal_places=2)

    objects = RestrictedQuerySet["DistributionLine"].as_manager()

    class Meta:
        ordering = ["organisation_id", "party", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount_cny__gte=0), name="landing_line_amount_positive"
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(party__in=["person", "team_owner"]) & models.Q(person__isnull=False)
                )
                | (~models.Q(party__in=["person", "team_owner"]) & models.Q(person__isnull=True)),
                name="landing_line_person_iff_person_party",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_party_display()} {self.amount_cny}"


# --- registration flags ---------------------------------------------------------------------------

#: Kinds whose income is exempt from VAT on their own (财税〔2016〕36号, annex 3, art. 1 item (26):
#: technology transfer and development); consulting and services only inside such a contract.
VAT_EXEMPT_KINDS = (
    ContractKindChoices.TRANSFER,
    ContractKindChoices.LICENCE,
    ContractKindChoices.DEV_COMMISSIONED,
    ContractKindChoices.DEV_COOPERATIVE,
)
#: Kinds whose income may be technology-transfer income for the income-tax relief (企业所得税法
#: art. 27(4); implementing regulations art. 90); development, consulting and services only as support
#: bundled with a transfer (总局公告2013年第62号).
INCOME_TAX_KINDS = (ContractKindChoices.TRANSFER, ContractKindChoices.LICENCE)
#: A licence qualifies for the income-tax relief with a term of at least this many years
#: (财税〔2010〕111号: 5 years or more; non-exclusive licences since 财税〔2015〕116号).
LICENCE_MIN_YEARS = 5


def registration_of(deal: Deal) -> ContractRegistration | None:
    """The deal's registration row, or None when it has not applied."""
    try:
        return deal.registration
    except ContractRegistration.DoesNotExist:
        return None


def deal_is_registered(deal: Deal) -> bool:
    registration = registration_of(deal)
    return registration is not None and registration.is_registered


def deal_relief_unregistered(deal: Deal) -> bool:
    """A deal that claims the VAT exemption or the income-tax relief without a registered contract."""
    return (deal.claims_vat_exemption or deal.claims_income_tax_relief) and not deal_is_registered(
        deal
    )


def relief_unregistered_q() -> models.Q:
    """The deals :func:`deal_relief_unregistered` flags, as a filter."""
    return (
        models.Q(claims_vat_exemption=True) | models.Q(claims_income_tax_relief=True)
    ) & ~models.Q(registration__status=RegistrationStatusChoices.REGISTERED)


def _years_later(day: Any, years: int) -> Any:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def deal_registration_flags(deal: Deal) -> list[str]:
    """What is wrong with the deal's classification, registration and the reliefs it claims, as
    translated messages (empty when nothing is)."""
    from django.utils.translation import gettext

    flags: list[str] = []
    registration = registration_of(deal)
    registered = registration is not None and registration.is_registered
    if deal.claims_vat_exemption and not registered:
        flags.append(
            gettext(
                "Claims the VAT exemption but the technology contract is not registered: the exemption is claimed on the "
                "registered contract (Caishui [2016] No. 36, annex 3, art. 1 item (26))."
            )
        )
    if deal.claims_income_tax_relief and not registered:
        flags.append(
            gettext(
                "Claims the income-tax relief on technology transfer but the contract is not registered: the relief is "
                "computed on the technology-related income the registration office sets."
            )
        )
    if (deal.claims_vat_exemption or deal.claims_income_tax_relief) and not deal.contract_kind:
        flags.append(gettext("Claims a tax relief but the technology contract is not classified."))
    kind = deal.contract_kind
    if deal.claims_vat_exemption and kind in (
        ContractKindChoices.CONSULTING,
        ContractKindChoices.SERVICE,
    ):
        flags.append(
            gettext(
                "Consulting and service income is exempt from VAT only inside the same transfer or development contract "
                "and invoice (Caishui [2016] No. 36, annex 3, art. 1 item (26)): a separate consulting or service contract is not."
            )
        )
    if deal.claims_income_tax_relief and kind and kind not in INCOME_TAX_KINDS:
        flags.append(
            gettext(
                "Only technology transfer income (transfer or licence) qualifies for the income-tax relief (Enterprise Income Tax Law "
                "art. 27(4)); development, consulting and service income only as support bundled with a transfer."
            )
        )
    if (
        deal.claims_income_tax_relief
        and kind == ContractKindChoices.LICENCE
        and deal.term_starts_on
        and deal.term_ends_on
        and deal.term_ends_on < _years_later(deal.term_starts_on, LICENCE_MIN_YEARS)
    ):
        flags.append(
            gettext(
                "A licence qualifies for the income-tax relief only with a term of %(years)d years or more (Caishui [2010] No. 111; "
                "Caishui [2015] No. 116): this term is shorter."
            )
            % {"years": LICENCE_MIN_YEARS}
        )
    if registered and registration is not None and registration.technology_income_cny is None:
        flags.append(
            gettext(
                "The registration records no technology-related income: enter the amount the office set."
            )
        )
    if registered and registration is not None and not registration.number:
        flags.append(gettext("The registration records no registration number."))
    return flags

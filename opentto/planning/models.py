"""Operations planning (运营策划) and companion services (陪伴式帮助).

* the **transfer plan** of a result: transfer-mode options with their terms, target enterprises,
  a negotiation log, and a draft → submitted → approved / rejected workflow (``PLAN_TRANSITIONS``);
* the **IP layout** (知识产权布局): patent families, filings per office, the deadlines derived from
  them by ``opentto.planning.deadlines``, confidentiality examinations (保密审查, Patent Law
  art. 19), abandonment decisions and reminders;
* **financing**: valuations, IP pledge loans (质押融资), securitisation pools (知识产权证券化),
  investor deal rooms;
* **overseas channels**, **tasks** and the **service log**.

Writes happen only in ``services.py``; reads in ``selectors.py``.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from opentto.core.i18n import bilingual
from opentto.core.permissions import RestrictedQuerySet

from . import deadlines as engine

# --- transfer plan --------------------------------------------------------------------------


class TransferModeChoices(models.TextChoices):
    LICENCE = "licence", _("Licence")
    ASSIGNMENT = "assignment", _("Assignment")
    EQUITY = "equity", _("Equity contribution")
    SPIN_OFF = "spin_off", _("Spin-off")
    JOINT_DEVELOPMENT = "joint_development", _("Joint development")
    COMMISSIONED_RD = "commissioned_rd", _("Commissioned R&D")


class TransferPlanStatusChoices(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted for approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    SUPERSEDED = "superseded", _("Superseded")


P = TransferPlanStatusChoices
#: (source, target) → verb. ``approved → superseded`` happens only when a newer plan of the same
#: result is approved.
PLAN_TRANSITIONS: dict[tuple[str, str], str] = {
    (P.DRAFT, P.SUBMITTED): "submit",
    (P.SUBMITTED, P.APPROVED): "approve",
    (P.SUBMITTED, P.REJECTED): "reject",
    (P.REJECTED, P.DRAFT): "revise",
    (P.APPROVED, P.SUPERSEDED): "supersede",
}


class TransferPlan(models.Model):
    result = models.ForeignKey("results.Result", on_delete=models.CASCADE, related_name="plans")
    transfer_mode = models.CharField(
        _("recommended transfer mode"), max_length=24, choices=TransferModeChoices.choices, blank=True
    )
    summary_zh = models.TextField(_("summary (Chinese)"), blank=True)
    summary_en = models.TextField(_("summary (English)"), blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=TransferPlanStatusChoices.choices, default=TransferPlanStatusChoices.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    #: Who last changed the plan's content (summary, mode, options): with four-eyes approval
    #: (``OPENTTO_PLAN_FOUR_EYES``) neither the drafter nor this user may approve it.
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)

    objects = RestrictedQuerySet["TransferPlan"].as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        get_latest_by = "created_at"
        verbose_name = _("transfer plan")
        verbose_name_plural = _("transfer plans")
        constraints = [
            models.CheckConstraint(
                condition=Q(transfer_mode="") | Q(transfer_mode__in=TransferModeChoices.values),
                name="planning_transfer_mode_valid",
            ),
            models.CheckConstraint(
                condition=Q(status__in=TransferPlanStatusChoices.values), name="planning_plan_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status=P.DRAFT) | ~Q(summary_zh="", summary_en=""), name="planning_summary_present"
            ),
            models.CheckConstraint(
                condition=~Q(status__in=[P.APPROVED, P.SUPERSEDED]) | Q(approved_at__isnull=False),
                name="planning_plan_approved_has_time",
            ),
            models.UniqueConstraint(
                fields=["result"], condition=Q(status=P.APPROVED), name="planning_one_approved_plan_per_result"
            ),
        ]

    @property
    def summary(self) -> str:
        return bilingual(self.summary_zh, self.summary_en, get_language())

    @property
    def is_editable(self) -> bool:
        return self.status == P.DRAFT

    def __str__(self) -> str:
        mode = self.get_transfer_mode_display() if self.transfer_mode else "—"
        return f"{mode} ({self.get_status_display()})"


class TransferPlanEvent(models.Model):
    """One move of a plan through its workflow."""

    plan = models.ForeignKey(TransferPlan, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=16, choices=TransferPlanStatusChoices.choices, blank=True)
    to_status = models.CharField(max_length=16, choices=TransferPlanStatusChoices.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    note = models.TextField(blank=True)
    occurred_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet["TransferPlanEvent"].as_manager()

    class Meta:
        ordering = ["occurred_at", "id"]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"


class LicenceTypeChoices(models.TextChoices):
    EXCLUSIVE = "exclusive", _("Exclusive licence")
    SOLE = "sole", _("Sole licence")
    NON_EXCLUSIVE = "non_exclusive", _("Non-exclusive licence")


class TransferOption(models.Model):
    """One transfer mode considered in a plan, with the terms that mode needs."""

    plan = models.ForeignKey(TransferPlan, on_delete=models.CASCADE, related_name="options")
    mode = models.CharField(_("transfer mode"), max_length=24, choices=TransferModeChoices.choices)
    # licence
    licence_type = models.CharField(_("licence type"), max_length=16, choices=LicenceTypeChoices.choices, blank=True)
    field_of_use = models.CharField(_("field of use"), max_length=300, blank=True)
    territory = models.CharField(_("territory"), max_length=200, blank=True)
    term_years = models.PositiveSmallIntegerField(_("term (years)"), null=True, blank=True)
    upfront_fee_cny = models.DecimalField(_("upfront fee (CNY)"), max_digits=16, decimal_places=2, null=True, blank=True)
    royalty_rate = models.DecimalField(
        _("running royalty rate"), max_digits=7, decimal_places=6, null=True, blank=True,
        help_text=_("A fraction of net sales, e.g. 0.05 for 5%."),
    )
    minimum_annual_royalty_cny = models.DecimalField(
        _("minimum annual royalty (CNY)"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    #: ``[{"event": str, "amount_cny": "123.00"}]``
    milestones = models.JSONField(_("milestones"), default=list, blank=True)
    # assignment
    price_cny = models.DecimalField(_("price (CNY)"), max_digits=16, decimal_places=2, null=True, blank=True)
    #: ``[{"due": "YYYY-MM-DD", "amount_cny": "123.00"}]`` summing to the price
    payment_schedule = models.JSONField(_("payment schedule"), default=list, blank=True)
    # equity (作价入股)
    valuation_cny = models.DecimalField(_("agreed value of the result (CNY)"), max_digits=16, decimal_places=2, null=True, blank=True)
    equity_share_percent = models.DecimalField(_("share (%)"), max_digits=5, decimal_places=2, null=True, blank=True)
    vesting = models.CharField(_("vesting"), max_length=300, blank=True)
    # spin-off
    company_name = models.CharField(_("company name"), max_length=200, blank=True)
    founders = models.CharField(_("founders"), max_length=300, blank=True)
    registered_capital_cny = models.DecimalField(_("registered capital (CNY)"), max_digits=16, decimal_places=2, null=True, blank=True)
    formation_plan = models.TextField(_("company formation plan"), blank=True)
    # joint development / commissioned R&D
    partner_scope = models.TextField(_("scope of work"), blank=True)
    budget_cny = models.DecimalField(_("budget (CNY)"), max_digits=16, decimal_places=2, null=True, blank=True)
    duration_months = models.PositiveSmallIntegerField(_("duration (months)"), null=True, blank=True)
    ip_ownership = models.CharField(_("ownership of new IP"), max_length=300, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet["TransferOption"].as_manager()

    class Meta:
        ordering = ["id"]
        verbose_name = _("transfer option")
        verbose_name_plural = _("transfer options")
        constraints = [
            models.CheckConstraint(condition=Q(mode__in=TransferModeChoices.values), name="planning_option_mode_valid"),
            models.CheckConstraint(
                condition=Q(royalty_rate__isnull=True) | Q(royalty_rate__gte=0, royalty_rate__lt=1),
                name="planning_option_royalty_fraction",
            ),
            models.CheckConstraint(
                condition=Q(equity_share_percent__isnull=True) | Q(equity_share_percent__gt=0, equity_share_percent__lte=100),
                name="planning_option_share_range",
            ),
            *(
                models.CheckConstraint(condition=Q(**{f"{name}__isnull": True}) | Q(**{f"{name}__gte": 0}), name=f"planning_option_{name}_positive")
                for name in ("upfront_fee_cny", "minimum_annual_royalty_cny", "price_cny", "valuation_cny", "registered_capital_cny", "budget_cny")
            ),
        ]

    def __str__(self) -> str:
        return self.get_mode_display()


class PlanTargetStatusChoices(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    CONTACTED = "contacted", _("Contacted")
    NEGOTIATING = "negotiating", _("Negotiating")
    AGREED = "agreed", _("Agreed")
    DECLINED = "declined", _("Declined")


class PlanTarget(models.Model):
    """An enterprise the plan targets."""

    plan = models.ForeignKey(TransferPlan, on_delete=models.CASCADE, related_name="targets")
    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.PROTECT, related_name="+")
    rationale = models.TextField(_("why this enterprise"), blank=True)
    status = models.CharField(_("status"), max_length=16, choices=PlanTargetStatusChoices.choices, default=PlanTargetStatusChoices.PROPOSED)

    objects = RestrictedQuerySet["PlanTarget"].as_manager()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "organisation"], name="planning_target_unique"),
            models.CheckConstraint(condition=Q(status__in=PlanTargetStatusChoices.values), name="planning_target_status_valid"),
        ]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"


class NegotiationEntry(models.Model):
    plan = models.ForeignKey(TransferPlan, on_delete=models.CASCADE, related_name="negotiations")
    organisation = models.ForeignKey(
        "organisations.Organisation", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    occurred_on = models.DateField(_("date"))
    summary = models.TextField(_("what was discussed"))
    next_step = models.CharField(_("next step"), max_length=300, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet["NegotiationEntry"].as_manager()

    class Meta:
        ordering = ["-occurred_on", "-id"]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"


# --- IP layout -------------------------------------------------------------------------------


class PatentKindChoices(models.TextChoices):
    INVENTION = "invention", _("Invention")
    UTILITY = "utility", _("Utility model")
    DESIGN = "design", _("Design")


class PatentFamily(models.Model):
    """The filings that protect one invention in several offices (知识产权布局)."""

    result = models.ForeignKey("results.Result", on_delete=models.CASCADE, related_name="patent_families")
    title_zh = models.CharField(_("title (Chinese)"), max_length=300, blank=True)
    title_en = models.CharField(_("title (English)"), max_length=300, blank=True)
    kind = models.CharField(_("kind"), max_length=12, choices=PatentKindChoices.choices)
    made_in_china = models.BooleanField(
        _("made in China"), default=True,
        help_text=_("Inventions and utility models made in China need a confidentiality examination before any foreign or PCT filing (Patent Law art. 19)."),
    )
    #: Offices the layout aims at (``["CN", "EP", "US"]``): PCT national phases are computed for these.
    target_offices = models.JSONField(_("target offices"), default=list, blank=True)
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="patent_families",
        verbose_name=_("responsible manager"),
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet["PatentFamily"].as_manager()

    class Meta:
        ordering = ["id"]
        verbose_name = _("patent family")
        verbose_name_plural = _("patent families")
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=PatentKindChoices.values), name="planning_family_kind_valid"),
            models.CheckConstraint(condition=~Q(title_zh="", title_en=""), name="planning_family_title_present"),
        ]

    @property
    def title(self) -> str:
        return bilingual(self.title_zh, self.title_en, get_language())

    @property
    def targets_abroad(self) -> bool:
        return any(office != "CN" for office in self.target_offices) or self.filings.exclude(office="CN").exists()

    @property
    def needs_confidentiality_examination(self) -> bool:
        return self.made_in_china and self.kind in {PatentKindChoices.INVENTION, PatentKindChoices.UTILITY}

    def __str__(self) -> str:
        return self.title


class FilingRouteChoices(models.TextChoices):
    FIRST = "first", _("First filing")
    PARIS = "paris", _("Paris Convention filing claiming priority")
    PCT = "pct", _("PCT international application")
    NATIONAL_PHASE = "national_phase", _("PCT national/regional phase")


class FilingStatusChoices(models.TextChoices):
    PLANNED = "planned", _("Planned")
    FILED = "filed", _("Filed")
    GRANTED = "granted", _("Granted")
    ABANDONED = "abandoned", _("Abandoned")
    LAPSED = "lapsed", _("Lapsed")


#: Offices a filing can be made in: the engine's offices plus WO (the PCT's international bureau).
FILING_OFFICES = ("CN", "WO", "EP", "US", "JP", "KR")


class Filing(models.Model):
    family = models.ForeignKey(PatentFamily, on_delete=models.CASCADE, related_name="filings")
    ip_asset = models.ForeignKey(
        "results.IPAsset", null=True, blank=True, on_delete=models.SET_NULL, related_name="filings",
        verbose_name=_("IP asset"),
    )
    office = models.CharField(_("office"), max_length=4, choices=[(o, o) for o in FILING_OFFICES])
    route = models.CharField(_("route"), max_length=16, choices=FilingRouteChoices.choices)
    receiving_office = models.CharField(_("receiving office (PCT)"), max_length=4, blank=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="national_phases",
        verbose_name=_("PCT application"),
    )
    application_number = models.CharField(_("application number"), max_length=40, blank=True)
    filing_date = models.DateField(_("filing date"), null=True, blank=True)
    priority_date = models.DateField(_("priority date"), null=True, blank=True)
    planned_by = models.DateField(_("file by"), null=True, blank=True)
    grant_date = models.DateField(_("grant date"), null=True, blank=True)
    compensation_days = models.PositiveIntegerField(_("patent-term compensation (days)"), default=0)
    status = models.CharField(_("status"), max_length=12, choices=FilingStatusChoices.choices, default=FilingStatusChoices.PLANNED)
    created_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet["Filing"].as_manager()

    class Meta:
        ordering = ["filing_date", "planned_by", "id"]
        verbose_name = _("filing")
        verbose_name_plural = _("filings")
        constraints = [
            models.CheckConstraint(condition=Q(office__in=FILING_OFFICES), name="planning_filing_office_valid"),
            models.CheckConstraint(condition=Q(route__in=FilingRouteChoices.values), name="planning_filing_route_valid"),
            models.CheckConstraint(condition=Q(status__in=FilingStatusChoices.values), name="planning_filing_status_valid"),
            models.CheckConstraint(
                condition=Q(status=FilingStatusChoices.PLANNED) | Q(filing_date__isnull=False),
                name="planning_filing_filed_has_date",
            ),
            models.CheckConstraint(
                condition=Q(grant_date__isnull=True) | Q(grant_date__gte=F("filing_date")),
                name="planning_filing_grant_after_filing",
            ),
            models.CheckConstraint(
                condition=Q(priority_date__isnull=True) | Q(filing_date__isnull=True) | Q(priority_date__lte=F("filing_date")),
                name="planning_filing_priority_before_filing",
            ),
        ]

    @property
    def is_foreign_or_pct(self) -> bool:
        return self.office != "CN" or self.route == FilingRouteChoices.PCT

    def __str__(self) -> str:
        return f"{self.office} {self.application_number or self.get_status_display()}"


class ConfidentialityOutcomeChoices(models.TextChoices):
    REQUESTED = "requested", _("Requested, pending")
    CLEARED = "cleared", _("Cleared: may be filed abroad")
    REFUSED = "refused", _("Found to need secrecy: no foreign filing")


class ConfidentialityExamination(models.Model):
    """CNIPA's confidentiality examination (保密审查) before a foreign or PCT filing (Patent Law
    art. 19; Implementing Regulations 2023 revision, rules 8–9). Filing the PCT application at
    CNIPA as receiving office counts as the request."""

    family = models.ForeignKey(PatentFamily, on_delete=models.CASCADE, related_name="confidentiality_examinations")
    requested_on = models.DateField(_("requested on"))
    via_pct_at_cnipa = models.BooleanField(_("requested by filing the PCT application at CNIPA"), default=False)
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    outcome = models.CharField(_("outcome"), max_length=12, choices=ConfidentialityOutcomeChoices.choices)
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet["ConfidentialityExamination"].as_manager()

    class Meta:
        ordering = ["-requested_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(outcome__in=ConfidentialityOutcomeChoices.values), name="planning_confidentiality_outcome_valid"),
            models.CheckConstraint(
                condition=Q(outcome=ConfidentialityOutcomeChoices.REQUESTED) | Q(decided_on__isnull=False),
                name="planning_confidentiality_decided_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"


class DeadlineStatusChoices(models.TextChoices):
    OPEN = "open", pgettext_lazy("deadline status", "Open")
    DONE = "done", _("Done")
    WAIVED = "waived", _("Waived (abandoned)")


class FilingDeadline(models.Model):
    """A due date derived by the deadline engine from a filing; refreshed whenever the filing
    changes (``filing_deadlines_refresh``), never typed in by hand."""

    filing = models.ForeignKey(Filing, on_delete=models.CASCADE, related_name="deadlines")
    key = models.CharField(_("deadline"), max_length=32)
    office = models.CharField(_("office"), max_length=4)
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)
    due = models.DateField(_("due"), db_index=True)
    late_until = models.DateField(_("late until"), null=True, blank=True)
    source = models.TextField(_("legal source"))
    note = models.TextField(_("note"), blank=True)
    status = models.CharField(_("status"), max_length=8, choices=DeadlineStatusChoices.choices, default=DeadlineStatusChoices.OPEN)
    done_on = models.DateField(_("done on"), null=True, blank=True)

    objects = RestrictedQuerySet["FilingDeadline"].as_manager()

    class Meta:
        ordering = ["due", "id"]
        constraints = [
            models.UniqueConstraint(fields=["filing", "key", "office", "year"], name="planning_deadline_unique"),
            models.CheckConstraint(condition=Q(status__in=DeadlineStatusChoices.values), name="planning_deadline_status_valid"),
            models.CheckConstraint(condition=Q(late_until__isnull=True) | Q(late_until__gte=F("due")), name="planning_deadline_late_after_due"),
        ]

    @property
    def label(self) -> str:
        return str(DEADLINE_LABELS.get(self.key, self.key))

    @property
    def last_day(self) -> object:
        return self.late_until or self.due

    def __str__(self) -> str:
        return f"{self.label} {self.office} {self.due:%Y-%m-%d}"


DEADLINE_LABELS = {
    "paris_priority": _("Paris priority: last day to file abroad"),
    "pct_filing": _("PCT filing"),
    "national_phase": _("PCT national/regional phase entry"),
    "cn_examination_request": _("Request for substantive examination (CN)"),
    "annuity": _("Annual fee (CN)"),
    "term_end": _("End of term"),
    "us_maintenance": _("Maintenance fee (US)"),
    "ep_renewal": _("Renewal fee (EP)"),
}


class DeadlineReminderStepChoices(models.TextChoices):
    DAYS_60 = "60", _("60 days before")
    DAYS_30 = "30", _("30 days before")
    DAYS_7 = "7", _("7 days before")
    OVERDUE = "overdue", _("Overdue")


#: Days before the due date at which a reminder goes out, latest step first.
REMINDER_STEPS: tuple[tuple[str, int], ...] = (("7", 7), ("30", 30), ("60", 60))


class DeadlineReminder(models.Model):
    """One reminder sent; the unique constraint makes the periodic task idempotent."""

    deadline = models.ForeignKey(FilingDeadline, on_delete=models.CASCADE, related_name="reminders")
    step = models.CharField(max_length=8, choices=DeadlineReminderStepChoices.choices)
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["deadline", "step"], name="planning_reminder_once_per_step")]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"


class AbandonmentDecision(models.Model):
    """The decision to stop a filing (stop paying its fees), with its reason and approver."""

    filing = models.OneToOneField(Filing, on_delete=models.CASCADE, related_name="abandonment")
    decided_on = models.DateField(_("decided on"))
    reason = models.TextField(_("reason"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("approved by"))
    recorded_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet["AbandonmentDecision"].as_manager()

    class Meta:
        constraints = [models.CheckConstraint(condition=~Q(reason=""), name="planning_abandonment_reason_present")]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"


def _calendar_token() -> str:
    return secrets.token_urlsafe(24)


class CalendarFeed(models.Model):
    """A manager's secret ICS feed address."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="planning_calendar")
    token = models.CharField(max_length=64, unique=True, default=_calendar_token)
    created_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet["CalendarFeed"].as_manager()

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"


# --- financing -------------------------------------------------------------------------------


class ValuationMethodChoices(models.TextChoices):
    RELIEF_FROM_ROYALTY = "relief_from_royalty", _("Income approach: relief from royalty")
    COST = "cost", _("Cost approach")
    MARKET = "market", _("Market approach")


class Valuation(models.Model):
    result = models.ForeignKey("results.Result", on_delete=models.CASCADE, related_name="valuations")
    purpose = models.CharField(_("purpose"), max_length=200, blank=True)
    valuation_date = models.DateField(_("valuation date"))
    #: Revenue forecast, one decimal string per year.
    revenues = models.JSONField(_("revenue forecast (CNY per year)"), default=list)
    royalty_rate = models.DecimalField(_("royalty rate"), max_digits=7, decimal_places=6)
    tax_rate = models.DecimalField(_("tax rate"), max_digits=7, decimal_places=6)
    discount_rate = models.DecimalField(_("discount rate"), max_digits=7, decimal_places=6)
    decay = models.DecimalField(_("yearly royalty decay"), max_digits=7, decimal_places=6, default=0)
    remaining_term_years = models.PositiveSmallIntegerField(_("remaining patent term (whole years)"), null=True, blank=True)
    rfr_value_cny = models.DecimalField(_("relief-from-royalty value (CNY)"), max_digits=16, decimal_places=2)
    reproduction_costs = models.JSONField(_("reproduction costs"), default=list, blank=True)
    obsolescence_rates = models.JSONField(_("obsolescence rates"), default=list, blank=True)
    cost_value_cny = models.DecimalField(_("cost-approach value (CNY)"), max_digits=16, decimal_places=2, null=True, blank=True)
    comparable_deal_ids = models.JSONField(_("comparable deals"), default=list, blank=True)
    comparable_values = models.JSONField(default=list, blank=True)
    market_scale = models.DecimalField(_("market scale factor"), max_digits=8, decimal_places=4, default=1)
    market_value_cny = models.DecimalField(_("market-approach value (CNY)"), max_digits=16, decimal_places=2, null=True, blank=True)
    concluded_method = models.CharField(_("method concluded on"), max_length=24, choices=ValuationMethodChoices.choices)
    concluded_value_cny = models.DecimalField(_("concluded value (CNY)"), max_digits=16, decimal_places=2)
    assumptions_zh = models.TextField(_("assumptions (Chinese)"), blank=True)
    assumptions_en = models.TextField(_("assumptions (English)"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet["Valuation"].as_manager()

    class Meta:
        ordering = ["-valuation_date", "-id"]
        verbose_name = _("valuation")
        verbose_name_plural = _("valuations")
        constraints = [
            models.CheckConstraint(condition=Q(royalty_rate__gte=0, royalty_rate__lt=1), name="planning_valuation_royalty_fraction"),
            models.CheckConstraint(condition=Q(tax_rate__gte=0, tax_rate__lt=1), name="planning_valuation_tax_fraction"),
            models.CheckConstraint(condition=Q(discount_rate__gt=-1, discount_rate__lt=1), name="planning_valuation_discount_range"),
            models.CheckConstraint(condition=Q(concluded_value_cny__gte=0), name="planning_valuation_value_positive"),
            models.CheckConstraint(condition=Q(concluded_method__in=ValuationMethodChoices.values), name="planning_valuation_method_valid"),
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
PLEDGE_TRANSITIONS: dict[tuple[str, str], str] = {
    (PledgeLoanStatusChoices.APPLIED, PledgeLoanStatusChoices.REGISTERED): "register",
    (PledgeLoanStatusChoices.APPLIED, PledgeLoanStatusChoices.CANCELLED): "cancel",
    (PledgeLoanStatusChoices.REGISTERED, PledgeLoanStatusChoices.RELEASED): "release",
}


class PledgeLoan(models.Model):
    """An IP pledge loan (知识产权质押融资)."""

    result = models.ForeignKey("results.Result", on_delete=models.CASCADE, related_name="pledge_loans")
    lender = models.ForeignKey("organisations.Organisation", on_delete=models.PROTECT, related_name="+", verbose_name=_("lender"))
    valuation = models.ForeignKey(Valuation, on_delete=models.PROTECT, related_name="pledge_loans", verbose_name=_("valuation used"))
    amount_cny = models.DecimalField(_("loan amount (CNY)"), max_digits=16, decimal_places=2)
    max_ltv = models.DecimalField(
        _("maximum loan-to-value"), max_digits=5, decimal_places=4, default=0.5,
        help_text=_("The lender's ceiling, as a fraction of the valuation (e.g. 0.5)."),
    )
    term_months = models.PositiveSmallIntegerField(_("term (months)"))
    annual_rate = models.DecimalField(_("annual interest rate"), max_digits=6, decimal_places=5)
    registration_number = models.CharField(_("pledge registration number"), max_length=60, blank=True)
    registration_date = models.DateField(_("pledge registration date"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=PledgeLoanStatusChoices.choices, default=PledgeLoanStatusChoices.APPLIED)
    released_on = models.DateField(_("released on"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet["PledgeLoan"].as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("IP pledge loan")
        verbose_name_plural = _("IP pledge loans")
        constraints = [
            models.CheckConstraint(condition=Q(amount_cny__gt=0), name="planning_pledge_amount_positive"),
            models.CheckConstraint(condition=Q(max_ltv__gt=0, max_ltv__lte=1), name="planning_pledge_ltv_range"),
            models.CheckConstraint(condition=Q(annual_rate__gte=0, annual_rate__lt=1), name="planning_pledge_rate_range"),
            models.CheckConstraint(condition=Q(status__in=PledgeLoanStatusChoices.values), name="planning_pledge_status_valid"),
            models.CheckConstraint(
                condition=~Q(status__in=[PledgeLoanStatusChoices.REGISTERED, PledgeLoanStatusChoices.RELEASED])
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
    ip_asset = models.ForeignKey("results.IPAsset", on_delete=models.PROTECT, related_name="pledges")
    is_standing = models.BooleanField(default=True)

    objects = RestrictedQuerySet["PledgedAsset"].as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ip_asset"], condition=Q(is_standing=True), name="planning_ip_asset_pledged_once"),
            models.UniqueConstraint(fields=["loan", "ip_asset"], name="planning_pledged_asset_unique"),
        ]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"


class SecuritisationPool(models.Model):
    """A pool of licensed IP whose expected royalties back a security (知识产权证券化)."""

    name_zh = models.CharField(_("name (Chinese)"), max_length=200, blank=True)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    arranger = models.ForeignKey("organisations.Organisation", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("arranger"))
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet["SecuritisationPool"].as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.CheckConstraint(condition=~Q(name_zh="", name_en=""), name="planning_pool_name_present")]

    @property
    def name(self) -> str:
        return bilingual(self.name_zh, self.name_en, get_language())

    def __str__(self) -> str:
        return self.name


class PoolAsset(models.Model):
    pool = models.ForeignKey(SecuritisationPool, on_delete=models.CASCADE, related_name="assets")
    result = models.ForeignKey("results.Result", on_delete=models.PROTECT, related_name="pool_memberships")
    licensee = models.ForeignKey("organisations.Organisation", on_delete=models.PROTECT, related_name="+", verbose_name=_("licensee"))

    objects = RestrictedQuerySet["PoolAsset"].as_manager()

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["pool", "result", "licensee"], name="planning_pool_asset_unique")]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"


class PoolCashFlow(models.Model):
    asset = models.ForeignKey(PoolAsset, on_delete=models.CASCADE, related_name="cash_flows")
    period = models.CharField(_("period"), max_length=7, help_text=_("YYYY-Qn or YYYY"))
    amount_cny = models.DecimalField(_("expected royalty (CNY)"), max_digits=16, decimal_places=2)

    objects = RestrictedQuerySet["PoolCashFlow"].as_manager()

    class Meta:
        ordering = ["period", "id"]
        constraints = [
            models.UniqueConstraint(fields=["asset", "period"], name="planning_cash_flow_unique"),
            models.CheckConstraint(condition=Q(amount_cny__gte=0), name="planning_cash_flow_positive"),
        ]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"


class DealRoom(models.Model):
    """A result's public summary and chosen documents shared with invited investors."""

    result = models.ForeignKey("results.Result", on_delete=models.CASCADE, related_name="deal_rooms")
    title = models.CharField(_("title"), max_length=200)
    attachments = models.ManyToManyField("results.Attachment", blank=True, related_name="deal_rooms", verbose_name=_("shared documents"))
    investors = models.ManyToManyField(settings.AUTH_USER_MODEL, through="DealRoomInvite", through_fields=("room", "user"), related_name="deal_rooms")
    is_open = models.BooleanField(_("open"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet["DealRoom"].as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title


class DealRoomInvite(models.Model):
    room = models.ForeignKey(DealRoom, on_delete=models.CASCADE, related_name="invites")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    invited_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet["DealRoomInvite"].as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["room", "user"], name="planning_deal_room_invite_unique")]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"


# --- overseas channels and companion services -------------------------------------------------


class OverseasChannelStatusChoices(models.TextChoices):
    EXPLORING = "exploring", _("Exploring")
    IN_TALKS = "in_talks", _("In talks")
    ACTIVE = "active", _("Active")
    CLOSED = "closed", _("Closed")


class OverseasChannel(models.Model):
    result = models.ForeignKey("results.Result", on_delete=models.CASCADE, related_name="overseas_channels")
    country = models.CharField(_("country or region"), max_length=60)
    partner = models.CharField(_("partner"), max_length=200, blank=True)
    filings = models.ManyToManyField(Filing, blank=True, related_name="channels", verbose_name=_("filings needed"))
    status = models.CharField(_("status"), max_length=12, choices=OverseasChannelStatusChoices.choices, default=OverseasChannelStatusChoices.EXPLORING)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet["OverseasChannel"].as_manager()

    class Meta:
        ordering = ["country", "id"]
        constraints = [models.CheckConstraint(condition=Q(status__in=OverseasChannelStatusChoices.values), name="planning_channel_status_valid")]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"


class ServiceKindChoices(models.TextChoices):
    IP_LAYOUT = "ip_layout", _("IP layout")
    TRANSFER_MODE = "transfer_mode", _("Transfer-mode design")
    FINANCING = "financing", _("Financing")
    OVERSEAS = "overseas", _("Overseas channel")
    LEGAL = "legal", _("Legal")
    MARKET_RESEARCH = "market_research", _("Market research")


class ServiceTaskStatusChoices(models.TextChoices):
    OPEN = "open", pgettext_lazy("task status", "Open")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class ServiceTask(models.Model):
    result = models.ForeignKey("results.Result", on_delete=models.CASCADE, related_name="service_tasks")
    title = models.CharField(_("task"), max_length=200)
    kind = models.CharField(_("kind of service"), max_length=20, choices=ServiceKindChoices.choices)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="planning_tasks", verbose_name=_("owner"))
    due_on = models.DateField(_("due"))
    status = models.CharField(_("status"), max_length=12, choices=ServiceTaskStatusChoices.choices, default=ServiceTaskStatusChoices.OPEN)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    objects = RestrictedQuerySet["ServiceTask"].as_manager()

    class Meta:
        ordering = ["due_on", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=ServiceTaskStatusChoices.values), name="planning_task_status_valid"),
            models.CheckConstraint(condition=Q(kind__in=ServiceKindChoices.values), name="planning_task_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"


class ServiceLogEntry(models.Model):
    result = models.ForeignKey("results.Result", on_delete=models.CASCADE, related_name="service_log")
    kind = models.CharField(_("kind of service"), max_length=20, choices=ServiceKindChoices.choices)
    hours = models.DecimalField(_("hours"), max_digits=6, decimal_places=2)
    notes = models.TextField(_("notes"))
    occurred_on = models.DateField(_("date"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="planning_service_log", verbose_name=_("manager"))
    created_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet["ServiceLogEntry"].as_manager()

    class Meta:
        ordering = ["-occurred_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(hours__gt=0, hours__lte=24), name="planning_service_hours_range"),
            models.CheckConstraint(condition=Q(kind__in=ServiceKindChoices.values), name="planning_service_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"


# --- patent fees and their reductions ----------------------------------------------------------


class FeeKindChoices(models.TextChoices):
    APPLICATION = "application", _("Application fee")
    SUBSTANTIVE_EXAMINATION = "substantive_examination", _("Substantive-examination fee")
    RE_EXAMINATION = "re_examination", _("Re-examination fee")
    ANNUITY = "annuity", _("Annual fee")


class FeeSchedule(models.Model):
    """An office's official fee schedule as data, with its source and the date it took effect.
    The newest schedule in effect on a fee's due date prices it (``opentto.planning.fees``)."""

    office = models.CharField(_("office"), max_length=4, default="CN")
    source = models.TextField(_("source"), help_text=_("Where the figures come from: the notice or page, and how sure we are."))
    effective_from = models.DateField(_("in effect from"))
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet["FeeSchedule"].as_manager()

    class Meta:
        ordering = ["office", "-effective_from", "-id"]
        verbose_name = _("fee schedule")
        verbose_name_plural = _("fee schedules")
        constraints = [
            models.UniqueConstraint(fields=["office", "effective_from"], name="planning_fee_schedule_unique"),
            models.CheckConstraint(condition=~Q(source=""), name="planning_fee_schedule_source_present"),
        ]

    def __str__(self) -> str:
        return f"{self.office} {self.effective_from:%Y-%m-%d}"


class FeeScheduleItem(models.Model):
    """One fee of a schedule: for annuities, the patent years ``year_from``–``year_to``."""

    schedule = models.ForeignKey(FeeSchedule, on_delete=models.CASCADE, related_name="items")
    patent_kind = models.CharField(_("kind of patent"), max_length=12, choices=PatentKindChoices.choices)
    fee_kind = models.CharField(_("fee"), max_length=24, choices=FeeKindChoices.choices)
    year_from = models.PositiveSmallIntegerField(_("from year"), null=True, blank=True)
    year_to = models.PositiveSmallIntegerField(_("to year"), null=True, blank=True)
    amount_cny = models.DecimalField(_("amount (CNY)"), max_digits=16, decimal_places=2)
    is_confirmed = models.BooleanField(_("confirmed"), default=True, help_text=_("Untick when the figure is not confirmed against the official schedule."))

    objects = RestrictedQuerySet["FeeScheduleItem"].as_manager()

    class Meta:
        ordering = ["schedule", "patent_kind", "fee_kind", "year_from", "id"]
        verbose_name = _("fee")
        verbose_name_plural = _("fees")
        constraints = [
            models.CheckConstraint(condition=Q(patent_kind__in=PatentKindChoices.values), name="planning_fee_item_kind_valid"),
            models.CheckConstraint(condition=Q(fee_kind__in=FeeKindChoices.values), name="planning_fee_item_fee_valid"),
            models.CheckConstraint(condition=Q(amount_cny__gte=0), name="planning_fee_item_amount_positive"),
            models.CheckConstraint(
                condition=(~Q(fee_kind="annuity") & Q(year_from__isnull=True, year_to__isnull=True))
                | Q(fee_kind="annuity", year_from__gte=1, year_to__gte=F("year_from")),
                name="planning_fee_item_years",
            ),
        ]

    def __str__(self) -> str:
        years = f" {self.year_from}–{self.year_to}" if self.year_from else ""
        return f"{self.get_patent_kind_display()} {self.get_fee_kind_display()}{years}: {self.amount_cny}"


class FeeReductionChoices(models.TextChoices):
    """专利收费减缴办法 (财税〔2016〕78号): the share of the fee that is waived."""

    PERCENT_85 = "85", _("85% (a single qualifying applicant)")
    PERCENT_70 = "70", _("70% (two or more applicants, every one qualifying)")
    NONE = "none", _("No reduction")


class ApplicantGroundChoices(models.TextChoices):
    """Who qualifies for the reduction (财税〔2019〕45号)."""

    INDIVIDUAL = "individual", _("Individual with less than 60,000 yuan of income in the previous year")
    ENTERPRISE = "enterprise", _("Enterprise with less than 1,000,000 yuan of taxable income in the previous year")
    PUBLIC_INSTITUTION = "public_institution", _("Public institution")
    SOCIAL_ORGANISATION = "social_organisation", _("Social organisation")
    NON_PROFIT_RESEARCH = "non_profit_research", _("Non-profit research body")
    NOT_QUALIFYING = "not_qualifying", _("Does not qualify")


class FilingFeeReduction(models.Model):
    """The fee-reduction status of a CN filing: the rate, each applicant's ground, and an open
    licence (开放许可) with its period. The years it covers are computed from the grant date
    (``opentto.planning.deadlines.covered_years``)."""

    filing = models.OneToOneField(Filing, on_delete=models.CASCADE, related_name="fee_reduction")
    reduction = models.CharField(_("fee reduction"), max_length=4, choices=FeeReductionChoices.choices, default=FeeReductionChoices.NONE)
    open_licence_from = models.DateField(_("open licence from"), null=True, blank=True)
    open_licence_until = models.DateField(_("open licence until"), null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet["FilingFeeReduction"].as_manager()

    class Meta:
        verbose_name = _("fee reduction")
        verbose_name_plural = _("fee reductions")
        constraints = [
            models.CheckConstraint(condition=Q(reduction__in=FeeReductionChoices.values), name="planning_fee_reduction_valid"),
            models.CheckConstraint(
                condition=Q(open_licence_until__isnull=True) | Q(open_licence_from__isnull=False, open_licence_until__gte=F("open_licence_from")),
                name="planning_open_licence_period",
            ),
        ]

    @property
    def covered_years(self) -> tuple[int, int] | None:
        """The annual-fee years the reduction covers (the year of grant and the nine after it)."""
        return engine.covered_years(self.filing.filing_date, self.filing.grant_date)

    def __str__(self) -> str:
        return f"{self.filing} {self.get_reduction_display()}"


class FilingApplicant(models.Model):
    """An applicant of a CN filing (one of its result's owners) with its ground for the reduction."""

    reduction = models.ForeignKey(FilingFeeReduction, on_delete=models.CASCADE, related_name="applicants")
    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.PROTECT, related_name="+", verbose_name=_("applicant"))
    ground = models.CharField(_("ground"), max_length=24, choices=ApplicantGroundChoices.choices)

    objects = RestrictedQuerySet["FilingApplicant"].as_manager()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["reduction", "organisation"], name="planning_filing_applicant_unique"),
            models.CheckConstraint(condition=Q(ground__in=ApplicantGroundChoices.values), name="planning_applicant_ground_valid"),
        ]

    @property
    def qualifies(self) -> bool:
        return self.ground != ApplicantGroundChoices.NOT_QUALIFYING

    def __str__(self) -> str:
        return f"{self.organisation} ({self.get_ground_display()})"

"""Patent families and their filings (知识产权布局): the filings per office, the deadlines derived
from them by ``opentto.patents.deadlines``, confidentiality examinations (保密审查, Patent Law
art. 19), abandonment decisions, reminders and the managers' calendar feeds; the official fee
schedules and each filing's fee reduction (``opentto.patents.fees``).

The tables keep their names from when these models lived in ``opentto.planning`` (``db_table``):
the move (``patents/migrations/0001``) changed no row. Writes happen only in ``services.py``; reads
in ``selectors.py``.
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

# --- patent families and filings -------------------------------------------------------------------------------


class PatentKindChoices(models.TextChoices):
    INVENTION = "invention", _("Invention")
    UTILITY = "utility", _("Utility model")
    DESIGN = "design", _("Design")


class PatentFamily(models.Model):
    """The filings that protect one invention in several offices (知识产权布局)."""

    result = models.ForeignKey(
        "results.Result", on_delete=models.CASCADE, related_name="patent_families"
    )
    title_zh = models.CharField(_("title (Chinese)"), max_length=300, blank=True)
    title_en = models.CharField(_("title (English)"), max_length=300, blank=True)
    kind = models.CharField(_("kind"), max_length=12, choices=PatentKindChoices.choices)
    made_in_china = models.BooleanField(
        _("made in China"),
        default=True,
        help_text=_(
            "Inventions and utility models made in China need a confidentiality examination before any foreign or PCT filing (Patent Law art. 19)."
        ),
    )
    #: Offices the layout aims at (``["CN", "EP", "US"]``): PCT national phases are computed for these.
    target_offices = models.JSONField(_("target offices"), default=list, blank=True)
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="patent_families",
        verbose_name=_("responsible manager"),
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet["PatentFamily"].as_manager()

    class Meta:
        db_table = "planning_patentfamily"
        ordering = ["id"]
        verbose_name = _("patent family")
        verbose_name_plural = _("patent families")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=PatentKindChoices.values), name="planning_family_kind_valid"
            ),
            models.CheckConstraint(
                condition=~Q(title_zh="", title_en=""), name="planning_family_title_present"
            ),
        ]

    @property
    def title(self) -> str:
        return bilingual(self.title_zh, self.title_en, get_language())

    @property
    def targets_abroad(self) -> bool:
        return (
            any(office != "CN" for office in self.target_offices)
            or self.filings.exclude(office="CN").exists()
        )

    @property
    def needs_confidentiality_examination(self) -> bool:
        return self.made_in_china and self.kind in {
            PatentKindChoices.INVENTION,
            PatentKindChoices.UTILITY,
        }

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
        "results.IPAsset",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="filings",
        verbose_name=_("IP asset"),
    )
    office = models.CharField(_("office"), max_length=4, choices=[(o, o) for o in FILING_OFFICES])
    route = models.CharField(_("route"), max_length=16, choices=FilingRouteChoices.choices)
    receiving_office = models.CharField(_("receiving office (PCT)"), max_length=4, blank=True)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="national_phases",
        verbose_name=_("PCT application"),
    )
    application_number = models.CharField(_("application number"), max_length=40, blank=True)
    filing_date = models.DateField(_("filing date"), null=True, blank=True)
    priority_date = models.DateField(_("priority date"), null=True, blank=True)
    planned_by = models.DateField(_("file by"), null=True, blank=True)
    grant_date = models.DateField(_("grant date"), null=True, blank=True)
    compensation_days = models.PositiveIntegerField(_("patent-term compensation (days)"), default=0)
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=FilingStatusChoices.choices,
        default=FilingStatusChoices.PLANNED,
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet["Filing"].as_manager()

    class Meta:
        db_table = "planning_filing"
        ordering = ["filing_date", "planned_by", "id"]
        verbose_name = _("filing")
        verbose_name_plural = _("filings")
        constraints = [
            models.CheckConstraint(
                condition=Q(office__in=FILING_OFFICES), name="planning_filing_office_valid"
            ),
            models.CheckConstraint(
                condition=Q(route__in=FilingRouteChoices.values), name="planning_filing_route_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=FilingStatusChoices.values),
                name="planning_filing_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(status=FilingStatusChoices.PLANNED) | Q(filing_date__isnull=False),
                name="planning_filing_filed_has_date",
            ),
            models.CheckConstraint(
                condition=Q(grant_date__isnull=True) | Q(grant_date__gte=F("filing_date")),
                name="planning_filing_grant_after_filing",
            ),
            models.CheckConstraint(
                condition=Q(priority_date__isnull=True)
                | Q(filing_date__isnull=True)
                | Q(priority_date__lte=F("filing_date")),
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

    family = models.ForeignKey(
        PatentFamily, on_delete=models.CASCADE, related_name="confidentiality_examinations"
    )
    requested_on = models.DateField(_("requested on"))
    via_pct_at_cnipa = models.BooleanField(
        _("requested by filing the PCT application at CNIPA"), default=False
    )
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=12, choices=ConfidentialityOutcomeChoices.choices
    )
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet["ConfidentialityExamination"].as_manager()

    class Meta:
        db_table = "planning_confidentialityexamination"
        ordering = ["-requested_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome__in=ConfidentialityOutcomeChoices.values),
                name="planning_confidentiality_outcome_valid",
            ),
            models.CheckConstraint(
                condition=Q(outcome=ConfidentialityOutcomeChoices.REQUESTED)
                | Q(decided_on__isnull=False),
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
    status = models.CharField(
        _("status"),
        max_length=8,
        choices=DeadlineStatusChoices.choices,
        default=DeadlineStatusChoices.OPEN,
    )
    done_on = models.DateField(_("done on"), null=True, blank=True)

    objects = RestrictedQuerySet["FilingDeadline"].as_manager()

    class Meta:
        db_table = "planning_filingdeadline"
        ordering = ["due", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["filing", "key", "office", "year"], name="planning_deadline_unique"
            ),
            models.CheckConstraint(
                condition=Q(status__in=DeadlineStatusChoices.values),
                name="planning_deadline_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(late_until__isnull=True) | Q(late_until__gte=F("due")),
                name="planning_deadline_late_after_due",
            ),
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
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "planning_deadlinereminder"
        constraints = [
            models.UniqueConstraint(
                fields=["deadline", "step"], name="planning_reminder_once_per_step"
            )
        ]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"


class AbandonmentDecision(models.Model):
    """The decision to stop a filing (stop paying its fees), with its reason and approver."""

    filing = models.OneToOneField(Filing, on_delete=models.CASCADE, related_name="abandonment")
    decided_on = models.DateField(_("decided on"))
    reason = models.TextField(_("reason"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("approved by"),
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet["AbandonmentDecision"].as_manager()

    class Meta:
        db_table = "planning_abandonmentdecision"
        constraints = [
            models.CheckConstraint(
                condition=~Q(reason=""), name="planning_abandonment_reason_present"
            )
        ]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"


def _calendar_token() -> str:
    return secrets.token_urlsafe(24)


class CalendarFeed(models.Model):
    """A manager's secret ICS feed address."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="planning_calendar"
    )
    token = models.CharField(max_length=64, unique=True, default=_calendar_token)
    created_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet["CalendarFeed"].as_manager()

    class Meta:
        db_table = "planning_calendarfeed"

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"


class FeeKindChoices(models.TextChoices):
    APPLICATION = "application", _("Application fee")
    SUBSTANTIVE_EXAMINATION = "substantive_examination", _("Substantive-examination fee")
    RE_EXAMINATION = "re_examination", _("Re-examination fee")
    ANNUITY = "annuity", _("Annual fee")


class FeeSchedule(models.Model):
    """An office's official fee schedule as data, with its source and the date it took effect.
    The newest schedule in effect on a fee's due date prices it (``opentto.patents.fees``)."""

    office = models.CharField(_("office"), max_length=4, default="CN")
    source = models.TextField(
        _("source"),
        help_text=_("Where the figures come from: the notice or page, and how sure we are."),
    )
    effective_from = models.DateField(_("in effect from"))
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet["FeeSchedule"].as_manager()

    class Meta:
        db_table = "planning_feeschedule"
        ordering = ["office", "-effective_from", "-id"]
        verbose_name = _("fee schedule")
        verbose_name_plural = _("fee schedules")
        constraints = [
            models.UniqueConstraint(
                fields=["office", "effective_from"], name="planning_fee_schedule_unique"
            ),
            models.CheckConstraint(
                condition=~Q(source=""), name="planning_fee_schedule_source_present"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.office} {self.effective_from:%Y-%m-%d}"


class FeeScheduleItem(models.Model):
    """One fee of a schedule: for annuities, the patent years ``year_from``–``year_to``."""

    schedule = models.ForeignKey(FeeSchedule, on_delete=models.CASCADE, related_name="items")
    patent_kind = models.CharField(
        _("kind of patent"), max_length=12, choices=PatentKindChoices.choices
    )
    fee_kind = models.CharField(_("fee"), max_length=24, choices=FeeKindChoices.choices)
    year_from = models.PositiveSmallIntegerField(_("from year"), null=True, blank=True)
    year_to = models.PositiveSmallIntegerField(_("to year"), null=True, blank=True)
    amount_cny = models.DecimalField(_("amount (CNY)"), max_digits=16, decimal_places=2)
    is_confirmed = models.BooleanField(
        _("confirmed"),
        default=True,
        help_text=_("Untick when the figure is not confirmed against the official schedule."),
    )

    objects = RestrictedQuerySet["FeeScheduleItem"].as_manager()

    class Meta:
        db_table = "planning_feescheduleitem"
        ordering = ["schedule", "patent_kind", "fee_kind", "year_from", "id"]
        verbose_name = _("fee")
        verbose_name_plural = _("fees")
        constraints = [
            models.CheckConstraint(
                condition=Q(patent_kind__in=PatentKindChoices.values),
                name="planning_fee_item_kind_valid",
            ),
            models.CheckConstraint(
                condition=Q(fee_kind__in=FeeKindChoices.values), name="planning_fee_item_fee_valid"
            ),
            models.CheckConstraint(
                condition=Q(amount_cny__gte=0), name="planning_fee_item_amount_positive"
            ),
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

    INDIVIDUAL = (
        "individual",
        _("Individual with less than 60,000 yuan of income in the previous year"),
    )
    ENTERPRISE = (
        "enterprise",
        _("Enterprise with less than 1,000,000 yuan of taxable income in the previous year"),
    )
    PUBLIC_INSTITUTION = "public_institution", _("Public institution")
    SOCIAL_ORGANISATION = "social_organisation", _("Social organisation")
    NON_PROFIT_RESEARCH = "non_profit_research", _("Non-profit research body")
    NOT_QUALIFYING = "not_qualifying", _("Does not qualify")


class FilingFeeReduction(models.Model):
    """The fee-reduction status of a CN filing: the rate, each applicant's ground, and an open
    licence (开放许可) with its period. The years it covers are computed from the grant date
    (``opentto.patents.deadlines.covered_years``)."""

    filing = models.OneToOneField(Filing, on_delete=models.CASCADE, related_name="fee_reduction")
    reduction = models.CharField(
        _("fee reduction"),
        max_length=4,
        choices=FeeReductionChoices.choices,
        default=FeeReductionChoices.NONE,
    )
    open_licence_from = models.DateField(_("open licence from"), null=True, blank=True)
    open_licence_until = models.DateField(_("open licence until"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet["FilingFeeReduction"].as_manager()

    class Meta:
        db_table = "planning_filingfeereduction"
        verbose_name = _("fee reduction")
        verbose_name_plural = _("fee reductions")
        constraints = [
            models.CheckConstraint(
                condition=Q(reduction__in=FeeReductionChoices.values),
                name="planning_fee_reduction_valid",
            ),
            models.CheckConstraint(
                condition=Q(open_licence_until__isnull=True)
                | Q(
                    open_licence_from__isnull=False, open_licence_until__gte=F("open_licence_from")
                ),
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

    reduction = models.ForeignKey(
        FilingFeeReduction, on_delete=models.CASCADE, related_name="applicants"
    )
    organisation = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("applicant"),
    )
    ground = models.CharField(_("ground"), max_length=24, choices=ApplicantGroundChoices.choices)

    objects = RestrictedQuerySet["FilingApplicant"].as_manager()

    class Meta:
        db_table = "planning_filingapplicant"
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["reduction", "organisation"], name="planning_filing_applicant_unique"
            ),
            models.CheckConstraint(
                condition=Q(ground__in=ApplicantGroundChoices.values),
                name="planning_applicant_ground_valid",
            ),
        ]

    @property
    def qualifies(self) -> bool:
        return self.ground != ApplicantGroundChoices.NOT_QUALIFYING

    def __str__(self) -> str:
        return f"{self.organisation} ({self.get_ground_display()})"

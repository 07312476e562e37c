"""Policy subsidies (政策补贴): programmes as data, applications, review, recognition (认定),
approval within the caps and the budget, disbursement in tranches.

Application status (:data:`APPLICATION_TRANSITIONS`)::

    draft → submitted (eligibility checked) → under review → recognised → approved → disbursed
    draft → withdrawn;  submitted → ineligible;  submitted / under review / recognised → rejected

The amount approved can never exceed the programme's cap per project, the eligible share of the
budgeted costs or the year's remaining budget, and the sum approved over all the applications of
one project (:class:`SubsidyProject`, every programme and year) never exceeds its cap: the service
checks it under row locks on the programme-year budget and on the project, and the database refuses
it (check constraints on the application, the budget row and the project row).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from opentto.core.i18n import bilingual
from opentto.core.permissions import RestrictedQuerySet
from opentto.core.transitions import Edge, Transitions

ZERO = Decimal("0.00")


class ProgrammeKindChoices(models.TextChoices):
    INDUSTRIALISATION = (
        "industrialisation",
        _("Industrialisation of results (university–industry cooperation)"),
    )
    IP_PLEDGE_INTEREST = "ip_pledge_interest", _("IP pledge financing interest subsidy")
    SECURITISATION = "securitisation", _("IP securitisation support")


class Programme(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    kind = models.CharField(_("kind"), max_length=24, choices=ProgrammeKindChoices.choices)
    name_zh = models.CharField(_("name (Chinese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    legal_basis_zh = models.CharField(_("legal basis (Chinese)"), max_length=300)
    legal_basis_en = models.CharField(_("legal basis (English)"), max_length=300, blank=True)
    who_may_apply_zh = models.TextField(_("who may apply (Chinese)"), blank=True)
    who_may_apply_en = models.TextField(_("who may apply (English)"), blank=True)
    cap_per_project_cny = models.DecimalField(
        _("cap per project (CNY)"), max_digits=16, decimal_places=2
    )
    eligible_share_cap = models.DecimalField(
        _("cap as a share of eligible expenditure"),
        max_digits=5,
        decimal_places=4,
        null=True,
        blank=True,
    )
    requires_research_partner = models.BooleanField(
        _("a university or institute must take part"), default=True
    )
    requires_enterprise_partner = models.BooleanField(
        _("an enterprise must take part"), default=True
    )
    requires_deal = models.BooleanField(_("a signed deal must be linked"), default=False)
    window_opens = models.DateField(_("applications open"))
    window_closes = models.DateField(_("applications close"))
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet["Programme"].as_manager()

    class Meta:
        ordering = ["-window_opens", "code"]
        verbose_name = _("subsidy programme")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=ProgrammeKindChoices.values),
                name="subsidies_programme_kind_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(cap_per_project_cny__gt=0),
                name="subsidies_programme_cap_positive",
            ),
            models.CheckConstraint(
                condition=models.Q(eligible_share_cap__isnull=True)
                | models.Q(eligible_share_cap__gt=0, eligible_share_cap__lte=1),
                name="subsidies_programme_share_range",
            ),
            models.CheckConstraint(
                condition=models.Q(window_closes__gte=models.F("window_opens")),
                name="subsidies_programme_window_order",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return bilingual(self.name_zh, self.name_en, get_language())

    @property
    def legal_basis(self) -> str:
        return bilingual(self.legal_basis_zh, self.legal_basis_en, get_language())

    @property
    def who_may_apply(self) -> str:
        return bilingual(self.who_may_apply_zh, self.who_may_apply_en, get_language())


class ProgrammeBudget(models.Model):
    """A programme's budget for one year; ``approved_cny`` is the running total of approvals and can
    never exceed ``budget_cny`` (the approval service locks this row)."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="budgets")
    year = models.PositiveSmallIntegerField(_("year"))
    budget_cny = models.DecimalField(_("budget (CNY)"), max_digits=16, decimal_places=2)
    approved_cny = models.DecimalField(
        _("approved so far (CNY)"), max_digits=16, decimal_places=2, default=ZERO
    )

    objects = RestrictedQuerySet["ProgrammeBudget"].as_manager()

    class Meta:
        ordering = ["programme", "-year"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "year"], name="subsidies_budget_unique_year"
            ),
            models.CheckConstraint(
                condition=models.Q(approved_cny__gte=0, budget_cny__gte=0),
                name="subsidies_budget_amounts_positive",
            ),
            models.CheckConstraint(
                condition=models.Q(approved_cny__lte=models.F("budget_cny")),
                name="subsidies_budget_not_exceeded",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.programme} {self.year}"

    @property
    def remaining_cny(self) -> Decimal:
        return self.budget_cny - self.approved_cny


class SubsidyProject(models.Model):
    """A project as the platform sees it: the results it brings to market and the deal it is
    for (when there is one), named by its recognition number (认定编号) once an official
    recognises it. Applications join it at submission (``services.project_for``: same deal, or a
    shared result where the deals do not differ), so the cap per project binds the sum approved
    over all of its applications, in every programme and year (ADR 0010).

    ``approved_cny`` is the running total of approvals; the approval service locks this row and
    the database refuses a total above ``cap_cny`` (the smallest cap per project of the programmes
    applied to). ``legacy_excess_cny`` is what was approved above the cap before the cap was kept
    per project (migration 0004): such a project has nothing left, and the excess is shown."""

    recognition_number = models.CharField(_("recognition number"), max_length=60, blank=True)
    deal = models.OneToOneField(
        "landing.Deal",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="subsidy_project",
        verbose_name=_("deal"),
    )
    results = models.ManyToManyField(
        "results.Result", related_name="subsidy_projects", blank=True, verbose_name=_("results")
    )
    cap_cny = models.DecimalField(_("cap per project (CNY)"), max_digits=16, decimal_places=2)
    approved_cny = models.DecimalField(
        _("approved so far (CNY)"), max_digits=16, decimal_places=2, default=ZERO
    )
    legacy_excess_cny = models.DecimalField(
        _("approved above the cap before it was kept per project (CNY)"),
        max_digits=16,
        decimal_places=2,
        default=ZERO,
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("subsidy project")
        constraints = [
            models.UniqueConstraint(
                fields=["recognition_number"],
                condition=~models.Q(recognition_number=""),
                name="subsidies_project_number_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(cap_cny__gt=0), name="subsidies_project_cap_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(approved_cny__gte=0, legacy_excess_cny__gte=0),
                name="subsidies_project_amounts_positive",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    approved_cny__lte=models.F("cap_cny") + models.F("legacy_excess_cny")
                ),
                name="subsidies_project_cap_not_exceeded",
            ),
        ]

    def __str__(self) -> str:
        """Its recognition number, or its id: a project has no title of its own (the titles are
        its applications', shown only to those who may see them)."""
        return self.recognition_number or gettext("project #%(id)s") % {"id": self.pk}

    @property
    def remaining_cny(self) -> Decimal:
        return max(self.cap_cny - self.approved_cny, ZERO)


class ApplicationStatusChoices(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    INELIGIBLE = "ineligible", _("Ineligible")
    UNDER_REVIEW = "under_review", _("Under expert review")
    RECOGNISED = "recognised", _("Recognised")
    APPROVED = "approved", _("Approved")
    DISBURSED = "disbursed", _("Disbursed")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


S = ApplicationStatusChoices
#: The application's edges (``opentto.core.transitions``): each names the action on the application
#: its service asks (``opentto/subsidies/permissions.py``) and the refusal it gives.
_SUBMIT = _("You may submit only your own organisation's applications.")
_WITHDRAW = _("You may withdraw only your own organisation's applications.")
_REJECT = _("Only officials reject applications.")
APPLICATION_TRANSITIONS = Transitions(
    "subsidy",
    (
        Edge(S.DRAFT, S.SUBMITTED, "submit", "apply", refused=_SUBMIT),
        Edge(S.DRAFT, S.INELIGIBLE, "submit", "apply", refused=_SUBMIT),
        Edge(S.DRAFT, S.WITHDRAWN, "withdraw", "apply", refused=_WITHDRAW),
        Edge(
            S.SUBMITTED,
            S.UNDER_REVIEW,
            "start_review",
            "decide",
            refused=_("Only officials send applications to review."),
        ),
        Edge(S.SUBMITTED, S.REJECTED, "reject", "decide", refused=_REJECT),
        Edge(S.SUBMITTED, S.WITHDRAWN, "withdraw", "apply", refused=_WITHDRAW),
        Edge(
            S.UNDER_REVIEW,
            S.RECOGNISED,
            "recognise",
            "decide",
            refused=_("Only officials recognise projects."),
        ),
        Edge(S.UNDER_REVIEW, S.REJECTED, "reject", "decide", refused=_REJECT),
        Edge(
            S.RECOGNISED,
            S.APPROVED,
            "approve",
            "decide",
            refused=_("Only officials approve subsidies."),
        ),
        Edge(S.RECOGNISED, S.REJECTED, "reject", "decide", refused=_REJECT),
        Edge(
            S.APPROVED,
            S.DISBURSED,
            "disburse",
            "disburse",
            refused=_("Only officials record disbursements."),
        ),
    ),
    labels=S,
    ask_first=True,
    illegal=_("An application in status “%(status)s” cannot move to “%(target)s”."),
)


class Application(models.Model):
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="applications")
    year = models.PositiveSmallIntegerField(_("budget year"))
    applicant = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.PROTECT,
        related_name="subsidy_applications",
        verbose_name=_("applicant"),
    )
    partners = models.ManyToManyField(
        "organisations.Organisation",
        related_name="subsidy_partnerships",
        blank=True,
        verbose_name=_("partner organisations"),
    )
    results = models.ManyToManyField(
        "results.Result", related_name="subsidy_applications", blank=True, verbose_name=_("results")
    )
    deal = models.ForeignKey(
        "landing.Deal",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="subsidy_applications",
        verbose_name=_("deal"),
    )
    # the project it is for: found or made at submission (services.project_for)
    project = models.ForeignKey(
        SubsidyProject,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="applications",
        verbose_name=_("project"),
    )
    project_title_zh = models.CharField(_("project title (Chinese)"), max_length=300, blank=True)
    project_title_en = models.CharField(_("project title (English)"), max_length=300, blank=True)
    description = models.TextField(_("project description"), blank=True)
    requested_cny = models.DecimalField(
        _("amount requested (CNY)"), max_digits=16, decimal_places=2
    )
    eligible_costs_cny = models.DecimalField(
        _("eligible costs (CNY)"), max_digits=16, decimal_places=2, default=ZERO
    )
    # the limits fixed at submission: the approval must respect them (also in the database)
    cap_cny = models.DecimalField(
        _("cap per project (CNY)"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    share_cap_cny = models.DecimalField(
        _("cap by eligible share (CNY)"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    approved_cny = models.DecimalField(
        _("amount approved (CNY)"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    status = models.CharField(
        _("status"), max_length=16, choices=ApplicationStatusChoices.choices, default=S.DRAFT
    )
    eligibility = models.JSONField(_("eligibility check"), default=list, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    recognition_number = models.CharField(_("recognition number"), max_length=60, blank=True)
    recognised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recognised_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(_("reason"), blank=True)
    # Expert review: a round of the evaluation app (purpose ``subsidy_review``) on the first linked
    # result; the step is complete when the round is finalised, or an official records an override.
    review_round = models.OneToOneField(
        "evaluation.ReviewRound",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="subsidy_application",
        verbose_name=_("expert review round"),
    )
    review_override_reason = models.TextField(
        _("reason for recognising without a finalised review"), blank=True
    )
    review_override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    review_override_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet["Application"].as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("subsidy application")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=ApplicationStatusChoices.values),
                name="subsidies_application_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(requested_cny__gt=0),
                name="subsidies_application_requested_positive",
            ),
            models.CheckConstraint(
                condition=models.Q(approved_cny__isnull=True)
                | (
                    models.Q(
                        approved_cny__gt=0,
                        cap_cny__isnull=False,
                        approved_cny__lte=models.F("cap_cny"),
                    )
                    & (
                        models.Q(share_cap_cny__isnull=True)
                        | models.Q(approved_cny__lte=models.F("share_cap_cny"))
                    )
                    & models.Q(approved_cny__lte=models.F("requested_cny"))
                ),
                name="subsidies_application_approved_within_caps",
            ),
            models.CheckConstraint(
                condition=~models.Q(status__in=["approved", "disbursed"])
                | models.Q(approved_cny__isnull=False),
                name="subsidies_application_approved_has_amount",
            ),
            models.CheckConstraint(
                condition=models.Q(review_override_reason="")
                | models.Q(review_override_at__isnull=False),
                name="subsidies_application_override_dated",
            ),
        ]

    def __str__(self) -> str:
        return self.project_title

    @property
    def project_title(self) -> str:
        return bilingual(self.project_title_zh, self.project_title_en, get_language())

    @property
    def review_finalised(self) -> bool:
        return self.review_round is not None and self.review_round.status == "finalised"

    @property
    def review_complete(self) -> bool:
        """The expert-review step is done: its round is finalised, or an override is recorded."""
        return self.review_finalised or bool(self.review_override_reason)

    @property
    def disbursed_cny(self) -> Decimal:
        return (
            self.tranches.filter(status=TrancheStatusChoices.PAID).aggregate(
                t=models.Sum("amount_cny")
            )["t"]
            or ZERO
        )


class CostCategoryChoices(models.TextChoices):
    EQUIPMENT = "equipment", _("Equipment")
    MATERIALS = "materials", _("Materials and testing")
    PERSONNEL = "personnel", _("Personnel")
    LICENCE_FEE = "licence_fee", _("Licence or transfer fee")
    SERVICES = "services", _("Outsourced services")
    OTHER = "other", _("Other")


class BudgetLine(models.Model):
    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="budget_lines"
    )
    category = models.CharField(_("category"), max_length=16, choices=CostCategoryChoices.choices)
    description = models.CharField(_("description"), max_length=300)
    amount_cny = models.DecimalField(_("amount (CNY)"), max_digits=16, decimal_places=2)
    document = models.FileField(
        _("supporting document"), upload_to="subsidies/%Y/", max_length=300, blank=True
    )
    document_name = models.CharField(max_length=255, blank=True)
    document_sha256 = models.CharField(max_length=64, blank=True)

    objects = RestrictedQuerySet["BudgetLine"].as_manager()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount_cny__gt=0), name="subsidies_line_amount_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(category__in=CostCategoryChoices.values),
                name="subsidies_line_category_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.description} {self.amount_cny}"


class RecommendationChoices(models.TextChoices):
    SUPPORT = "support", _("Support")
    SUPPORT_REDUCED = "support_reduced", _("Support with a reduced amount")
    REJECT = "reject", _("Do not support")


class Review(models.Model):
    """An expert's review recorded before subsidy reviews used the evaluation app's rounds. Kept,
    read-only, for the applications reviewed that way (migration 0002 records them as the override
    that completed their review step); new reviews are rounds (``Application.review_round``)."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="reviews")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    score = models.PositiveSmallIntegerField(_("score (0–100)"))
    recommendation = models.CharField(
        _("recommendation"), max_length=16, choices=RecommendationChoices.choices
    )
    recommended_cny = models.DecimalField(
        _("amount recommended (CNY)"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    comments = models.TextField(_("comments"))
    created_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet["Review"].as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "reviewer"], name="subsidies_review_once_per_reviewer"
            ),
            models.CheckConstraint(
                condition=models.Q(score__lte=100), name="subsidies_review_score_range"
            ),
            models.CheckConstraint(
                condition=models.Q(recommendation__in=RecommendationChoices.values),
                name="subsidies_review_recommendation_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reviewer} {self.score}"


class TrancheStatusChoices(models.TextChoices):
    PLANNED = "planned", _("Planned")
    ACCEPTED = "accepted", _("Milestone accepted")
    PAID = "paid", _("Paid")


class Tranche(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="tranches")
    sequence = models.PositiveSmallIntegerField(_("tranche"))
    milestone = models.CharField(_("milestone"), max_length=300)
    amount_cny = models.DecimalField(_("amount (CNY)"), max_digits=16, decimal_places=2)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=TrancheStatusChoices.choices,
        default=TrancheStatusChoices.PLANNED,
    )
    acceptance_note = models.TextField(_("acceptance check"), blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    paid_on = models.DateField(_("paid on"), null=True, blank=True)

    objects = RestrictedQuerySet["Tranche"].as_manager()

    class Meta:
        ordering = ["application", "sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "sequence"], name="subsidies_tranche_sequence_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(amount_cny__gt=0), name="subsidies_tranche_amount_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=TrancheStatusChoices.values),
                name="subsidies_tranche_status_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="paid") | models.Q(paid_on__isnull=False),
                name="subsidies_tranche_paid_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sequence}. {self.milestone}"

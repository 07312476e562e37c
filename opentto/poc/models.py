"""Proof of concept (概念验证): a project that takes a result from the laboratory towards a
prototype or a first customer while the result is in evaluation or planning. Not a pipeline stage:
the result keeps its stage, the funnel shows the projects as a sub-count.

Project status (:data:`POC_TRANSITIONS`)::

    proposed → running → review → concluded (outcome: go / no-go / pivot)
    review → running (the go/no-go round was cancelled);  proposed / running / review → stopped

Money: each source's commitment is one budget line (:class:`PocBudgetLine`); a district
programme's line carries the programme's cap per project and the database refuses a commitment
above it (check constraint), the service checks it under a row lock on the project first (the same
pattern as ``subsidies.SubsidyProject``, ADR 0010). Spending never exceeds what its line committed.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language, gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from opentto.core.i18n import bilingual
from opentto.core.models import TransitionEvent
from opentto.core.permissions import RestrictedQuerySet
from opentto.core.transitions import Edge, Transitions

ZERO = Decimal("0.00")


class PocProgramme(models.Model):
    """A proof-of-concept funding programme a site configures (e.g. a district's programme): its
    policy source and its cap per project are the site's data, not the platform's claim."""

    name_zh = models.CharField(_("name (Chinese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    funder = models.CharField(_("funder"), max_length=200)
    source_zh = models.TextField(_("legal or policy source (Chinese)"))
    source_en = models.TextField(_("legal or policy source (English)"), blank=True)
    cap_per_project_cny = models.DecimalField(
        _("cap per project (CNY)"), max_digits=16, decimal_places=2
    )
    active_from = models.DateField(_("active from"))
    active_until = models.DateField(_("active until"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet["PocProgramme"].as_manager()

    class Meta:
        ordering = ["-active_from", "pk"]
        verbose_name = _("proof-of-concept programme")
        verbose_name_plural = _("proof-of-concept programmes")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(cap_per_project_cny__gt=0), name="poc_programme_cap_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(active_until__isnull=True)
                | models.Q(active_until__gte=models.F("active_from")),
                name="poc_programme_dates_order",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return bilingual(self.name_zh, self.name_en, get_language())

    @property
    def source(self) -> str:
        return bilingual(self.source_zh, self.source_en, get_language())

    def is_active_on(self, day: object) -> bool:
        return self.active_from <= day and (self.active_until is None or day <= self.active_until)  # type: ignore[operator]


class PocStatusChoices(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    RUNNING = "running", _("Running")
    REVIEW = "review", _("Go/no-go review")
    CONCLUDED = "concluded", _("Concluded")
    STOPPED = "stopped", _("Stopped")


class PocOutcomeChoices(models.TextChoices):
    GO = "go", _("Go")
    NO_GO = "no_go", _("No-go")
    PIVOT = "pivot", _("Pivot")


S = PocStatusChoices
#: A project starts only while its result is in one of these pipeline stages (opentto/results/pipeline.py).
START_STAGES = ("evaluation", "planning")


def guard_start(project: PocProject) -> str | None:
    if project.result.stage not in START_STAGES:
        return gettext(
            "A proof of concept runs while its result is in evaluation or planning; this result is in “%(stage)s”."
        ) % {"stage": project.result.get_stage_display()}
    if not project.budget_lines.filter(committed_cny__gt=0).exists():
        return gettext("Commit a budget from at least one source first.")
    if not project.milestones.exists():
        return gettext("Add at least one milestone first.")
    return None


def guard_milestones_done(project: PocProject) -> str | None:
    if project.milestones.filter(done_on__isnull=True).exists():
        return gettext(
            "Every milestone must be done, with its evidence, before the go/no-go review."
        )
    return None


def guard_round_cancelled(project: PocProject) -> str | None:
    if project.review_round is not None and project.review_round.status != "cancelled":
        return gettext(
            "The go/no-go review round is still under way or finalised; only a cancelled round sends the project back to work."
        )
    return None


def guard_round_finalised(project: PocProject) -> str | None:
    if project.review_round is None or project.review_round.status != "finalised":
        return gettext("The project is concluded once its go/no-go review round is finalised.")
    return None


_RUN = _("Only TTO managers run proof-of-concept projects.")
#: Every legal move (``opentto.core.transitions``): the verb (also the service ``project_<verb>``
#: and the audit entry ``poc.<verb>``), the action on the project (``manage``) and the guard.
POC_TRANSITIONS = Transitions(
    "poc",
    (
        Edge(S.PROPOSED, S.RUNNING, "start", "manage", guard_start, refused=_RUN),
        Edge(
            S.RUNNING,
            S.REVIEW,
            "open_review",
            "manage",
            guard_milestones_done,
            refused=_("Only TTO managers open the go/no-go review."),
        ),
        Edge(S.REVIEW, S.RUNNING, "resume", "manage", guard_round_cancelled, refused=_RUN),
        Edge(S.REVIEW, S.CONCLUDED, "conclude", "manage", guard_round_finalised, refused=_RUN),
        Edge(S.PROPOSED, S.STOPPED, "stop", "manage", refused=_RUN),
        Edge(S.RUNNING, S.STOPPED, "stop", "manage", refused=_RUN),
        Edge(S.REVIEW, S.STOPPED, "stop", "manage", refused=_RUN),
    ),
    labels=S,
    ask_first=True,
    default_action="manage",
    illegal=_("A proof-of-concept project cannot go from “%(source)s” to “%(target)s”."),
)
#: Under way: counted as running in the figures, and as "in proof of concept" in the funnel.
UNDER_WAY = (S.RUNNING, S.REVIEW)
#: The go/no-go round's recommendation (evaluation's decision choices) → the project's outcome.
ROUND_OUTCOME = {
    "proceed": PocOutcomeChoices.GO,
    "decline": PocOutcomeChoices.NO_GO,
    "improve": PocOutcomeChoices.PIVOT,
}


class PocProject(models.Model):
    result = models.ForeignKey(
        "results.Result",
        on_delete=models.PROTECT,
        related_name="poc_projects",
        verbose_name=_("result"),
    )
    title_zh = models.CharField(_("title (Chinese)"), max_length=300, blank=True)
    title_en = models.CharField(_("title (English)"), max_length=300, blank=True)
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("lead"),
    )
    status = models.CharField(
        _("status"), max_length=12, choices=PocStatusChoices.choices, default=S.PROPOSED
    )
    outcome = models.CharField(
        _("outcome"), max_length=8, choices=PocOutcomeChoices.choices, blank=True
    )
    review_round = models.OneToOneField(
        "evaluation.ReviewRound",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="poc_project",
        verbose_name=_("go/no-go review round"),
    )
    stop_reason = models.TextField(_("reason for stopping"), blank=True)
    committed_cny = models.DecimalField(
        _("committed (CNY)"), max_digits=16, decimal_places=2, default=ZERO
    )
    spent_cny = models.DecimalField(_("spent (CNY)"), max_digits=16, decimal_places=2, default=ZERO)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet["PocProject"].as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("proof-of-concept project")
        verbose_name_plural = _("proof-of-concept projects")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=PocStatusChoices.values),
                name="poc_project_status_valid",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(status="concluded") & models.Q(outcome__in=PocOutcomeChoices.values)
                )
                | (~models.Q(status="concluded") & models.Q(outcome="")),
                name="poc_project_outcome_iff_concluded",
            ),
            models.CheckConstraint(
                condition=~models.Q(title_zh="", title_en=""), name="poc_project_title_present"
            ),
            models.CheckConstraint(
                condition=models.Q(
                    spent_cny__gte=0, committed_cny__gte=0, spent_cny__lte=models.F("committed_cny")
                ),
                name="poc_project_spent_within_committed",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def title(self) -> str:
        return bilingual(self.title_zh, self.title_en, get_language())

    @property
    def remaining_cny(self) -> Decimal:
        return self.committed_cny - self.spent_cny


class PocSourceChoices(models.TextChoices):
    INSTITUTION = "institution", _("Institution")
    DISTRICT_PROGRAMME = "district_programme", _("District programme")
    ENTERPRISE = "enterprise", _("Enterprise")
    OTHER = "other", _("Other")


class PocBudgetLine(models.Model):
    """One source's commitment to a project: a running total (``committed_cny``) raised by each
    :class:`PocCommitment`, and what was spent from it. A district programme's line carries the
    cap per project (``cap_cny``, the programme's when first committed, lowered with it but never
    below what is committed) and the database refuses a total above it."""

    project = models.ForeignKey(PocProject, on_delete=models.CASCADE, related_name="budget_lines")
    source = models.CharField(
        pgettext_lazy("money", "source"), max_length=20, choices=PocSourceChoices.choices
    )
    programme = models.ForeignKey(
        PocProgramme,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="budget_lines",
        verbose_name=_("programme"),
    )
    cap_cny = models.DecimalField(
        _("cap per project (CNY)"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    committed_cny = models.DecimalField(
        _("committed (CNY)"), max_digits=16, decimal_places=2, default=ZERO
    )
    spent_cny = models.DecimalField(_("spent (CNY)"), max_digits=16, decimal_places=2, default=ZERO)

    objects = RestrictedQuerySet["PocBudgetLine"].as_manager()

    class Meta:
        ordering = ["project", "source", "id"]
        verbose_name = _("proof-of-concept budget line")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(source__in=PocSourceChoices.values), name="poc_line_source_valid"
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(source="district_programme")
                    & models.Q(programme__isnull=False, cap_cny__isnull=False)
                )
                | (
                    ~models.Q(source="district_programme")
                    & models.Q(programme__isnull=True, cap_cny__isnull=True)
                ),
                name="poc_line_programme_iff_district",
            ),
            models.CheckConstraint(
                condition=models.Q(cap_cny__isnull=True)
                | models.Q(committed_cny__lte=models.F("cap_cny")),
                name="poc_line_cap_not_exceeded",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    spent_cny__gte=0, committed_cny__gte=0, spent_cny__lte=models.F("committed_cny")
                ),
                name="poc_line_spent_within_committed",
            ),
            models.UniqueConstraint(
                fields=["project", "source"],
                condition=models.Q(programme__isnull=True),
                name="poc_line_one_per_source",
            ),
            models.UniqueConstraint(
                fields=["project", "programme"],
                condition=models.Q(programme__isnull=False),
                name="poc_line_one_per_programme",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source_label} {self.committed_cny}"

    @property
    def source_label(self) -> str:
        return str(self.programme) if self.programme_id is not None else self.get_source_display()

    @property
    def remaining_cny(self) -> Decimal:
        return self.committed_cny - self.spent_cny

    @property
    def cap_remaining_cny(self) -> Decimal | None:
        return None if self.cap_cny is None else max(self.cap_cny - self.committed_cny, ZERO)


class PocCommitment(models.Model):
    """One commitment added to a budget line (the line keeps the total): the dated record the
    figures count per year."""

    line = models.ForeignKey(PocBudgetLine, on_delete=models.CASCADE, related_name="commitments")
    amount_cny = models.DecimalField(_("amount (CNY)"), max_digits=16, decimal_places=2)
    note = models.CharField(_("note"), max_length=300, blank=True)
    committed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    committed_at = models.DateTimeField(_("committed"), default=timezone.now)

    objects = RestrictedQuerySet["PocCommitment"].as_manager()

    class Meta:
        ordering = ["committed_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount_cny__gt=0), name="poc_commitment_amount_positive"
            )
        ]

    def __str__(self) -> str:
        return f"{self.amount_cny}"


class PocSpending(models.Model):
    line = models.ForeignKey(PocBudgetLine, on_delete=models.CASCADE, related_name="spendings")
    amount_cny = models.DecimalField(_("amount (CNY)"), max_digits=16, decimal_places=2)
    spent_on = models.DateField(_("spent on"))
    description = models.CharField(_("description"), max_length=300)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet["PocSpending"].as_manager()

    class Meta:
        ordering = ["spent_on", "id"]
        verbose_name = _("proof-of-concept spending")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount_cny__gt=0), name="poc_spending_amount_positive"
            )
        ]

    def __str__(self) -> str:
        return f"{self.spent_on} {self.amount_cny}"


class PocMilestone(models.Model):
    project = models.ForeignKey(PocProject, on_delete=models.CASCADE, related_name="milestones")
    title_zh = models.CharField(_("title (Chinese)"), max_length=300, blank=True)
    title_en = models.CharField(_("title (English)"), max_length=300, blank=True)
    due_on = models.DateField(_("due"))
    done_on = models.DateField(_("done"), null=True, blank=True)
    note = models.TextField(_("what was shown"), blank=True)

    objects = RestrictedQuerySet["PocMilestone"].as_manager()

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("proof-of-concept milestone")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(title_zh="", title_en=""), name="poc_milestone_title_present"
            ),
            models.CheckConstraint(
                condition=models.Q(done_on__isnull=True) | ~models.Q(note=""),
                name="poc_milestone_done_has_note",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def title(self) -> str:
        return bilingual(self.title_zh, self.title_en, get_language())


def evidence_path(instance: PocEvidence, filename: str) -> str:
    return f"poc-evidence/{instance.milestone.project_id}/{timezone.now():%Y%m%d%H%M%S}-{filename}"


class PocEvidence(models.Model):
    """A file that shows a milestone was reached (checked by content: ``opentto.core.uploads``)."""

    milestone = models.ForeignKey(PocMilestone, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(upload_to=evidence_path, max_length=300)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded"), default=timezone.now)

    objects = RestrictedQuerySet["PocEvidence"].as_manager()

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("proof-of-concept evidence")

    def __str__(self) -> str:
        return self.original_name


class PocEvent(TransitionEvent):
    """The project's history: each transition (from, to) with its actor and note."""

    subject_field = "project"

    project = models.ForeignKey(PocProject, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["occurred_at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status}→{self.to_status}"

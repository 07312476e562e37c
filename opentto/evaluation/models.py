"""Evaluation (转化评价): versioned rubrics after the national standards, review rounds in which
invited reviewers score a result, and the outcome that moves the pipeline.

- ``Rubric`` / ``RubricCriterion``: bilingual, versioned data. A revision is a new version; the
  criteria of a version are never edited, so a finished round always reads the rubric it used.
- ``ReviewRound``: one evaluation of a result with a rubric and a purpose; its state machine is
  ``ROUND_TRANSITIONS`` (open → consensus ⇄ open → scored → finalised; cancelled from any live state).
- ``ReviewAssignment``: a reviewer's place in a round (declaration of conflicts, scores, submission).
- ``EvaluationSummary``: the outcome the pipeline reads (``opentto.results.pipeline``). A finalised
  round writes one linked to it; a summary without a round is a manager's override, whose summary
  is the written reason.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from opentto.core.i18n import bilingual
from opentto.core.models import TransitionEvent
from opentto.core.permissions import RestrictedQuerySet
from opentto.core.transitions import Edge, Transitions


class EvaluationDecisionChoices(models.TextChoices):
    PROCEED = "proceed", _("Proceed to planning")
    IMPROVE = "improve", _("Improve and resubmit")
    DECLINE = "decline", _("Decline")


class TransferModeChoices(models.TextChoices):
    """The transfer modes an evaluation may recommend (the glossary's 转化模式; same values as planning's)."""

    LICENCE = "licence", _("Licence")
    ASSIGNMENT = "assignment", _("Assignment")
    EQUITY = "equity", _("Equity contribution")
    SPIN_OFF = "spin_off", _("Spin-off")
    JOINT_DEVELOPMENT = "joint_development", _("Joint development")


class RubricKindChoices(models.TextChoices):
    SCORED = "scored", _("Scored criteria")
    READINESS = "readiness", _("Technology readiness level")


class ReviewPurposeChoices(models.TextChoices):
    TRANSFER = "transfer", _("Transfer evaluation")
    PRE_FILING = "pre_filing", _("Pre-filing assessment (is it worth patenting?)")
    PLEDGE = "pledge", _("IP pledge financing")
    PORTFOLIO = "portfolio", _("Portfolio review (keep paying for the patent?)")
    SUBSIDY_REVIEW = "subsidy_review", _("Subsidy project review")
    POC_GATE = "poc_gate", _("Proof-of-concept go/no-go review")


#: A purpose without weights of its own in a criterion uses the weights of another purpose
#: (subsidy project review and a proof-of-concept gate weigh criteria like a transfer evaluation),
#: then the default weight.
PURPOSE_WEIGHT_FALLBACK: dict[str, str] = {
    ReviewPurposeChoices.SUBSIDY_REVIEW: ReviewPurposeChoices.TRANSFER,
    ReviewPurposeChoices.POC_GATE: ReviewPurposeChoices.TRANSFER,
}


class ReviewRoundStatusChoices(models.TextChoices):
    OPEN = "open", _("Reviewers scoring")
    CONSENSUS = "consensus", _("Consensus needed")
    SCORED = "scored", _("Scored, awaiting the outcome")
    FINALISED = "finalised", _("Finalised")
    CANCELLED = "cancelled", _("Cancelled")


#: Every legal move of a round (``opentto.core.transitions``). A manager's moves ask ``manage`` on
#: the round; the moves a reviewer's submission makes (the last review in) are taken by
#: ``review_submit``, which asked ``review`` on the reviewer's assignment (``action=None``).
ROUND_TRANSITIONS = Transitions(
    "evaluation.round",
    (
        Edge(
            "open",
            "consensus",
            "consensus",
            None,
            label="review_submit (reviewers disagree beyond the threshold)",
        ),
        Edge(
            "open",
            "scored",
            "scored",
            None,
            label="review_submit (last review in, no disagreement)",
        ),
        Edge("consensus", "open", "reopened", "manage", label="round_reopen_criteria"),
        Edge("scored", "open", "reopened", "manage", label="round_reopen_criteria"),
        Edge("consensus", "scored", "spread_accepted", "manage", label="round_accept_spread"),
        Edge("scored", "finalised", "finalised", "manage", label="round_finalise"),
        Edge("open", "cancelled", "cancelled", "manage", label="round_cancel"),
        Edge("consensus", "cancelled", "cancelled", "manage", label="round_cancel"),
        Edge("scored", "cancelled", "cancelled", "manage", label="round_cancel"),
    ),
    labels=ReviewRoundStatusChoices,
    raw_target=True,
    illegal=_("A review round cannot go from “%(source)s” to “%(target)s”."),
)
LIVE_ROUND_STATUSES = ("open", "consensus", "scored")


class ReviewAssignmentStatusChoices(models.TextChoices):
    INVITED = "invited", _("Invited: declaration pending")
    ACCEPTED = "accepted", _("Scoring")
    SUBMITTED = "submitted", _("Submitted")
    CONFLICT = "conflict", _("Withdrawn: conflict of interest")
    REMOVED = "removed", _("Removed by the manager")


class ReviewReminderKindChoices(models.TextChoices):
    DUE_SOON = "due_soon", _("Deadline approaching")
    OVERDUE = "overdue", _("Overdue")


class Rubric(models.Model):
    key = models.SlugField(_("key"), max_length=40)
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    title_zh = models.CharField(_("title (Chinese)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200)
    standard = models.CharField(_("standard"), max_length=80)
    description_zh = models.TextField(_("description (Chinese)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    kind = models.CharField(
        _("kind"),
        max_length=16,
        choices=RubricKindChoices.choices,
        default=RubricKindChoices.SCORED,
    )
    scale_min = models.PositiveSmallIntegerField(_("lowest score"), default=1)
    scale_max = models.PositiveSmallIntegerField(_("highest score"), default=5)
    is_active = models.BooleanField(_("active"), default=True)
    is_builtin = models.BooleanField(_("built in"), default=False)
    revision_note = models.TextField(_("what changed"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    objects = RestrictedQuerySet["Rubric"].as_manager()

    class Meta:
        ordering = ["key", "-version"]
        verbose_name = _("rubric")
        verbose_name_plural = _("rubrics")
        constraints = [
            models.UniqueConstraint(
                fields=["key", "version"], name="evaluation_rubric_key_version_unique"
            ),
            models.UniqueConstraint(
                fields=["key"],
                condition=models.Q(is_active=True),
                name="evaluation_rubric_one_active_version",
            ),
            models.CheckConstraint(
                condition=models.Q(scale_min__lt=models.F("scale_max")),
                name="evaluation_rubric_scale_order",
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=RubricKindChoices.values),
                name="evaluation_rubric_kind_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(version__gte=1), name="evaluation_rubric_version_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"

    @property
    def title(self) -> str:
        return bilingual(self.title_zh, self.title_en, get_language())

    @property
    def description(self) -> str:
        return bilingual(self.description_zh, self.description_en, get_language())

    @property
    def is_readiness(self) -> bool:
        return self.kind == RubricKindChoices.READINESS


class RubricCriterion(models.Model):
    rubric = models.ForeignKey(Rubric, on_delete=models.CASCADE, related_name="criteria")
    key = models.SlugField(_("key"), max_length=40)
    position = models.PositiveSmallIntegerField(default=0)
    group_key = models.SlugField(_("dimension"), max_length=40)
    group_zh = models.CharField(_("dimension (Chinese)"), max_length=100)
    group_en = models.CharField(_("dimension (English)"), max_length=100)
    title_zh = models.CharField(_("title (Chinese)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200)
    description_zh = models.TextField(_("guidance (Chinese)"), blank=True)
    description_en = models.TextField(_("guidance (English)"), blank=True)
    clause = models.CharField(_("place in the standard"), max_length=300)
    weight = models.DecimalField(_("default weight"), max_digits=6, decimal_places=3)
    #: Weight per purpose of the evaluation (``ReviewPurposeChoices``); a missing purpose uses ``weight``; 0 leaves it out.
    purpose_weights = models.JSONField(_("weights by purpose"), default=dict, blank=True)
    #: Result kinds the criterion applies to (``ResultKindChoices``); empty: all kinds.
    kinds = models.JSONField(_("result kinds"), default=list, blank=True)
    #: For a readiness rubric: the levels, each ``{"level", "title_zh", "title_en", "gb_zh", "gb_en", "nasa_en"}``.
    levels = models.JSONField(_("levels"), default=list, blank=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")
        constraints = [
            models.UniqueConstraint(
                fields=["rubric", "key"], name="evaluation_criterion_key_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(weight__gte=0), name="evaluation_criterion_weight_not_negative"
            ),
            models.CheckConstraint(
                condition=~models.Q(clause=""), name="evaluation_criterion_clause_present"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def title(self) -> str:
        return bilingual(self.title_zh, self.title_en, get_language())

    @property
    def group(self) -> str:
        return bilingual(self.group_zh, self.group_en, get_language())

    @property
    def description(self) -> str:
        return bilingual(self.description_zh, self.description_en, get_language())

    def weight_for(self, purpose: str, result_kind: str) -> Decimal:
        """The weight this criterion carries for ``purpose`` on a result of ``result_kind`` (0: not used)."""
        if self.kinds and result_kind not in self.kinds:
            return Decimal("0")
        return self.purpose_weight(purpose)

    def purpose_weight(self, purpose: str) -> Decimal:
        """The weight for ``purpose`` whatever the result's kind: its own, else the fallback
        purpose's (``PURPOSE_WEIGHT_FALLBACK``), else the default weight."""
        weights = self.purpose_weights if isinstance(self.purpose_weights, dict) else {}
        raw = weights.get(purpose)
        if raw is None and purpose in PURPOSE_WEIGHT_FALLBACK:
            raw = weights.get(PURPOSE_WEIGHT_FALLBACK[purpose])
        return Decimal(str(raw)) if raw is not None else self.weight


class ReviewRound(models.Model):
    result = models.ForeignKey(
        "results.Result", on_delete=models.CASCADE, related_name="review_rounds"
    )
    rubric = models.ForeignKey(
        Rubric, on_delete=models.PROTECT, related_name="rounds", verbose_name=_("rubric")
    )
    purpose = models.CharField(_("purpose"), max_length=16, choices=ReviewPurposeChoices.choices)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=ReviewRoundStatusChoices.choices,
        default=ReviewRoundStatusChoices.OPEN,
    )
    is_blind = models.BooleanField(
        _("blind"), default=False, help_text=_("Reviewers do not see each other's scores.")
    )
    deadline = models.DateField(_("deadline"))
    spread_threshold = models.DecimalField(
        _("disagreement threshold"),
        max_digits=4,
        decimal_places=2,
        default=Decimal("2.00"),
        help_text=_(
            "When the highest and lowest score of a criterion differ by this much or more, the round goes to consensus."
        ),
    )
    min_reviews = models.PositiveSmallIntegerField(
        _("reviews required"),
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(9)],
        help_text=_(
            "The round settles once this many reviews are in and every invited reviewer has submitted."
        ),
    )
    #: The criteria in use and their weights, fixed when the round opens: ``{criterion key: "0.150"}``.
    weights = models.JSONField(default=dict)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    opened_at = models.DateTimeField(_("opened"), default=timezone.now)
    consensus_note = models.TextField(_("consensus note"), blank=True)
    recommendation = models.CharField(
        _("recommendation"), max_length=16, choices=EvaluationDecisionChoices.choices, blank=True
    )
    transfer_modes = models.JSONField(_("recommended transfer modes"), default=list, blank=True)
    strengths_zh = models.TextField(_("strengths (Chinese)"), blank=True)
    strengths_en = models.TextField(_("strengths (English)"), blank=True)
    risks_zh = models.TextField(_("risks (Chinese)"), blank=True)
    risks_en = models.TextField(_("risks (English)"), blank=True)
    conditions_zh = models.TextField(_("conditions (Chinese)"), blank=True)
    conditions_en = models.TextField(_("conditions (English)"), blank=True)
    trl_assessed = models.PositiveSmallIntegerField(
        _("assessed TRL"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(9)],
    )
    overall_score = models.DecimalField(
        _("overall score (0–100)"), max_digits=5, decimal_places=1, null=True, blank=True
    )
    finalised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    finalised_at = models.DateTimeField(_("finalised"), null=True, blank=True)
    cancel_reason = models.TextField(_("reason for cancelling"), blank=True)
    report_file = models.FileField(upload_to="evaluation-reports/%Y/", max_length=300, blank=True)
    report_sha256 = models.CharField(max_length=64, blank=True)

    objects = RestrictedQuerySet["ReviewRound"].as_manager()

    class Meta:
        ordering = ["-opened_at", "-id"]
        verbose_name = _("review round")
        verbose_name_plural = _("review rounds")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=ReviewRoundStatusChoices.values),
                name="evaluation_round_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(purpose__in=ReviewPurposeChoices.values),
                name="evaluation_round_purpose_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(recommendation="")
                | models.Q(recommendation__in=EvaluationDecisionChoices.values),
                name="evaluation_round_recommendation_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="finalised")
                | (~models.Q(recommendation="") & models.Q(finalised_at__isnull=False)),
                name="evaluation_round_finalised_has_outcome",
            ),
            models.CheckConstraint(
                condition=models.Q(spread_threshold__gt=0),
                name="evaluation_round_threshold_positive",
            ),
            models.CheckConstraint(
                condition=models.Q(min_reviews__gte=1, min_reviews__lte=9),
                name="evaluation_round_min_reviews_1_9",
            ),
            models.CheckConstraint(
                condition=models.Q(overall_score__isnull=True)
                | models.Q(overall_score__gte=0, overall_score__lte=100),
                name="evaluation_round_score_0_100",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rubric} · {self.result}"

    @property
    def strengths(self) -> str:
        return bilingual(self.strengths_zh, self.strengths_en, get_language())

    @property
    def risks(self) -> str:
        return bilingual(self.risks_zh, self.risks_en, get_language())

    @property
    def conditions(self) -> str:
        return bilingual(self.conditions_zh, self.conditions_en, get_language())

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_ROUND_STATUSES


class ReviewAssignment(models.Model):
    review_round = models.ForeignKey(
        ReviewRound, on_delete=models.CASCADE, related_name="assignments"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="review_assignments"
    )
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=ReviewAssignmentStatusChoices.choices,
        default=ReviewAssignmentStatusChoices.INVITED,
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    invited_at = models.DateTimeField(_("invited"), default=timezone.now)
    declared_at = models.DateTimeField(_("declared no conflict"), null=True, blank=True)
    conflict_statement = models.TextField(_("conflict of interest"), blank=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)

    objects = RestrictedQuerySet["ReviewAssignment"].as_manager()

    class Meta:
        ordering = ["invited_at", "id"]
        verbose_name = _("review assignment")
        verbose_name_plural = _("review assignments")
        constraints = [
            models.UniqueConstraint(
                fields=["review_round", "reviewer"], name="evaluation_assignment_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=ReviewAssignmentStatusChoices.values),
                name="evaluation_assignment_status_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="submitted")
                | models.Q(submitted_at__isnull=False, declared_at__isnull=False),
                name="evaluation_assignment_submitted_declared",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reviewer} · {self.review_round_id}"

    @property
    def is_active(self) -> bool:
        return self.status in {"invited", "accepted", "submitted"}

    @property
    def has_declared_no_conflict(self) -> bool:
        return self.declared_at is not None and self.status in {"accepted", "submitted"}


class CriterionScore(models.Model):
    assignment = models.ForeignKey(
        ReviewAssignment, on_delete=models.CASCADE, related_name="scores"
    )
    criterion = models.ForeignKey(RubricCriterion, on_delete=models.PROTECT, related_name="+")
    score = models.PositiveSmallIntegerField(_("score"), null=True, blank=True)
    justification = models.TextField(_("justification"), blank=True)
    needs_rescore = models.BooleanField(_("reopened for re-scoring"), default=False)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    objects = RestrictedQuerySet["CriterionScore"].as_manager()

    class Meta:
        ordering = ["criterion__position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "criterion"], name="evaluation_score_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(score__isnull=True) | models.Q(score__gte=1, score__lte=9),
                name="evaluation_score_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.criterion.key}={self.score}"


def evidence_path(instance: ScoreEvidence, filename: str) -> str:
    return f"evaluation-evidence/{instance.score.assignment.review_round_id}/{timezone.now():%Y%m%d%H%M%S}-{filename}"


class ScoreEvidence(models.Model):
    score = models.ForeignKey(CriterionScore, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(upload_to=evidence_path, max_length=300)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded"), default=timezone.now)

    objects = RestrictedQuerySet["ScoreEvidence"].as_manager()

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")

    def __str__(self) -> str:
        return self.original_name


class ReviewerConflict(models.Model):
    """A conflict of interest a reviewer declared: with one result, or with an organisation."""

    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="declared_conflicts"
    )
    result = models.ForeignKey(
        "results.Result", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    organisation = models.ForeignKey(
        "organisations.Organisation",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    statement = models.TextField(_("statement"))
    declared_at = models.DateTimeField(_("declared"), default=timezone.now)

    class Meta:
        ordering = ["-declared_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(result__isnull=False) | models.Q(organisation__isnull=False),
                name="evaluation_conflict_has_object",
            ),
        ]

    def __str__(self) -> str:
        return self.statement[:60]


class ReviewReminder(models.Model):
    """One reminder of one kind sent for one assignment: the periodic task sends each only once."""

    assignment = models.ForeignKey(
        ReviewAssignment, on_delete=models.CASCADE, related_name="reminders"
    )
    kind = models.CharField(max_length=16, choices=ReviewReminderKindChoices.choices)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["assignment", "kind"], name="evaluation_reminder_once"),
            models.CheckConstraint(
                condition=models.Q(kind__in=ReviewReminderKindChoices.values),
                name="evaluation_reminder_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} · {self.assignment_id}"


class ReviewRoundEvent(TransitionEvent):
    """The round's history: opened, reviewer assigned, submitted, consensus, reopened, finalised…
    (a ``kind`` and a ``payload`` rather than a from/to: most entries are not status changes)."""

    subject_field, source_field, target_field, note_field = "review_round", "", "kind", ""

    review_round = models.ForeignKey(ReviewRound, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=40)
    payload = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["occurred_at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} · {self.review_round_id}"


class EvaluationSummary(models.Model):
    """The outcome the pipeline reads. With ``review_round``: written by finalising that round.
    Without: a manager's recorded outcome (override), whose summary is the written reason."""

    result = models.ForeignKey(
        "results.Result", on_delete=models.CASCADE, related_name="evaluations"
    )
    review_round = models.OneToOneField(
        ReviewRound, null=True, blank=True, on_delete=models.SET_NULL, related_name="summary"
    )
    decision = models.CharField(
        _("decision"), max_length=16, choices=EvaluationDecisionChoices.choices
    )
    summary_zh = models.TextField(_("summary (Chinese)"), blank=True)
    summary_en = models.TextField(_("summary (English)"), blank=True)
    trl_assessed = models.PositiveSmallIntegerField(
        _("assessed TRL"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(9)],
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided"), default=timezone.now)

    objects = RestrictedQuerySet["EvaluationSummary"].as_manager()

    class Meta:
        ordering = ["-decided_at", "-id"]
        get_latest_by = "decided_at"
        verbose_name = _("evaluation")
        verbose_name_plural = _("evaluations")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(decision__in=EvaluationDecisionChoices.values),
                name="evaluation_decision_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(summary_zh="", summary_en=""), name="evaluation_summary_present"
            ),
        ]

    @property
    def summary(self) -> str:
        return bilingual(self.summary_zh, self.summary_en, get_language())

    @property
    def is_override(self) -> bool:
        return self.review_round_id is None

    def __str__(self) -> str:
        return f"{self.get_decision_display()} ({self.decided_at:%Y-%m-%d})"


ROUND_EVENT_LABELS = {
    "opened": _("Round opened"),
    "assigned": _("Reviewer invited"),
    "removed": _("Reviewer removed"),
    "no_conflict_declared": _("Reviewer declared no conflict"),
    "conflict_declared": _("Reviewer declared a conflict and left"),
    "submitted": _("Review submitted"),
    "consensus": _("Reviewers disagree: consensus needed"),
    "scored": _("All reviews in"),
    "reopened": _("Criteria reopened for re-scoring"),
    "spread_accepted": _("Spread accepted"),
    "finalised": _("Outcome recorded"),
    "cancelled": _("Round cancelled"),
    "deadline_changed": _("Deadline changed"),
}

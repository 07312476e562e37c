"""Demands (需求), the matches made from them, relevance feedback and targeted R&D projects (定向研发).

Two state machines, each an explicit table beside its choices (``DEMAND_TRANSITIONS``,
``MATCH_TRANSITIONS``); the only way a status changes is the services in
``opentto.demands.services``, which lock the row and record an event.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from opentto.core.i18n import bilingual
from opentto.core.models import TransitionEvent
from opentto.core.permissions import RestrictedQuerySet
from opentto.core.transitions import Edge, Transitions
from opentto.organisations.models import Organisation, Person
from opentto.results.models import Result, ResultFieldChoices


class DemandStatusChoices(models.TextChoices):
    DRAFT = "draft", _("Draft")
    OPEN = "open", pgettext_lazy("demand status", "Open")  # open for submissions, 征集中
    MATCHED = "matched", _("Matched")
    NEGOTIATING = "negotiating", _("In negotiation")
    CLOSED_MET = "closed_met", _("Closed: met")
    CLOSED_NOT_MET = "closed_not_met", _("Closed: not met")
    WITHDRAWN = "withdrawn", _("Withdrawn")


#: Demands in these statuses are live: matched against results and shown as "who needs this?".
LIVE_DEMAND_STATUSES = (
    DemandStatusChoices.OPEN,
    DemandStatusChoices.MATCHED,
    DemandStatusChoices.NEGOTIATING,
)
CLOSED_DEMAND_STATUSES = (
    DemandStatusChoices.CLOSED_MET,
    DemandStatusChoices.CLOSED_NOT_MET,
    DemandStatusChoices.WITHDRAWN,
)

#: draft → open → matched → in negotiation → closed (met / not met / withdrawn): each edge asks
#: ``change`` on the demand (``opentto.core.transitions``); a match made moves it as the system.
#: Closing a demand as not met needs a reason.
_DEMAND_EDGES = {
    DemandStatusChoices.DRAFT: (DemandStatusChoices.OPEN, DemandStatusChoices.WITHDRAWN),
    DemandStatusChoices.OPEN: (
        DemandStatusChoices.MATCHED,
        DemandStatusChoices.CLOSED_NOT_MET,
        DemandStatusChoices.WITHDRAWN,
    ),
    DemandStatusChoices.MATCHED: (
        DemandStatusChoices.NEGOTIATING,
        DemandStatusChoices.OPEN,
        DemandStatusChoices.CLOSED_NOT_MET,
        DemandStatusChoices.WITHDRAWN,
    ),
    DemandStatusChoices.NEGOTIATING: (
        DemandStatusChoices.CLOSED_MET,
        DemandStatusChoices.MATCHED,
        DemandStatusChoices.CLOSED_NOT_MET,
        DemandStatusChoices.WITHDRAWN,
    ),
}
DEMAND_TRANSITIONS = Transitions(
    "demand",
    tuple(
        Edge(
            source,
            target,
            "transition",
            "change",
            reason_required=target == DemandStatusChoices.CLOSED_NOT_MET,
        )
        for source, targets in _DEMAND_EDGES.items()
        for target in targets
    ),
    labels=DemandStatusChoices,
    ask_first=True,
    refused=_("You may not change this demand."),
    default_action="change",
    illegal=_("A demand cannot move from “%(from)s” to “%(to)s”."),
    reason_field="reason",
    reason_missing=_("Give the reason."),
)


class DemandCooperationChoices(models.TextChoices):
    LICENCE = "licence", _("Licence")
    PURCHASE = "purchase", _("Purchase (assignment)")
    CO_DEVELOPMENT = "co_development", _("Co-development")
    COMMISSIONED_RD = "commissioned_rd", _("Commissioned R&D")
    CONSULTING = "consulting", _("Consulting")


class DemandQuerySet(RestrictedQuerySet["Demand"]):
    pass


class Demand(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="demands", verbose_name=_("enterprise")
    )
    title_zh = models.CharField(_("title (Chinese)"), max_length=300, blank=True)
    title_en = models.CharField(_("title (English)"), max_length=300, blank=True)
    problem_zh = models.TextField(_("technical problem (Chinese)"), blank=True)
    problem_en = models.TextField(_("technical problem (English)"), blank=True)
    field = models.CharField(
        _("field"), max_length=24, choices=ResultFieldChoices.choices, blank=True
    )
    cooperation = models.JSONField(_("wanted cooperation"), default=list, blank=True)
    budget_min_cny = models.DecimalField(
        _("budget from (yuan)"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    budget_max_cny = models.DecimalField(
        _("budget up to (yuan)"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    is_public = models.BooleanField(
        _("public"),
        default=False,
        help_text=_(
            "Public: every signed-in user can read it. Confidential: only your organisation and the TTO managers."
        ),
    )
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=DemandStatusChoices.choices,
        default=DemandStatusChoices.DRAFT,
    )
    status_changed_at = models.DateTimeField(_("status changed"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = DemandQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("demand")
        verbose_name_plural = _("demands")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=DemandStatusChoices.values),
                name="demands_status_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(title_zh="", title_en=""), name="demands_title_present"
            ),
            models.CheckConstraint(
                condition=models.Q(budget_min_cny__isnull=True) | models.Q(budget_min_cny__gte=0),
                name="demands_budget_min_non_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(budget_min_cny__isnull=True)
                | models.Q(budget_max_cny__isnull=True)
                | models.Q(budget_max_cny__gte=models.F("budget_min_cny")),
                name="demands_budget_range_ordered",
            ),
        ]
        indexes = [models.Index(fields=["status"])]

    def __str__(self) -> str:
        return self.title

    @property
    def title(self) -> str:
        return bilingual(self.title_zh, self.title_en, get_language())

    @property
    def problem(self) -> str:
        return bilingual(self.problem_zh, self.problem_en, get_language())

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_DEMAND_STATUSES

    def cooperation_labels(self) -> list[str]:
        labels = dict(DemandCooperationChoices.choices)
        return [str(labels.get(c, c)) for c in self.cooperation]

    def can_move_to(self, target: str) -> bool:
        return target in DEMAND_TRANSITIONS.get(self.status, ())

    def match_text(self) -> str:
        """The text matched against results: title and problem in both languages."""
        return "\n".join(
            t for t in (self.title_zh, self.title_en, self.problem_zh, self.problem_en) if t.strip()
        )


class DemandEventQuerySet(RestrictedQuerySet["DemandEvent"]):
    pass


class DemandEvent(TransitionEvent):
    """One status change of a demand (its timeline)."""

    subject_field, note_field = "demand", "reason"

    demand = models.ForeignKey(Demand, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=16, choices=DemandStatusChoices.choices, blank=True)
    to_status = models.CharField(max_length=16, choices=DemandStatusChoices.choices)
    reason = models.TextField(_("reason"), blank=True)

    objects = DemandEventQuerySet.as_manager()

    class Meta:
        ordering = ["occurred_at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status or '—'} → {self.to_status}"


class MatchStatusChoices(models.TextChoices):
    SUGGESTED = "suggested", _("Suggested")
    CONTACTED = "contacted", _("Contacted")
    NDA = "nda", _("NDA signed")
    NEGOTIATING = "negotiating", _("Negotiating")
    DEAL = "deal", _("Deal")
    DECLINED = "declined", _("Declined")


#: suggested → contacted → NDA → negotiating → deal / declined (declined from any open state).
#: Contacted and declined ask ``change`` on the match, NDA and negotiating ``negotiate`` (the TTO),
#: a deal ``make_deal`` (only through ``match_deal_create``); declining needs a reason.
_CHANGE = _("You may not change this match.")
_NEGOTIATE = _("The TTO records NDAs and negotiations.")


def _match_edge(source: str, target: str) -> Edge:
    if target in (MatchStatusChoices.NDA, MatchStatusChoices.NEGOTIATING):
        return Edge(source, target, "transition", "negotiate", refused=_NEGOTIATE)
    if target == MatchStatusChoices.DEAL:
        return Edge(
            source, target, "deal", "make_deal", refused=_("Only TTO managers create deals.")
        )
    return Edge(
        source,
        target,
        "transition",
        "change",
        refused=_CHANGE,
        reason_required=target == MatchStatusChoices.DECLINED,
    )


MATCH_TRANSITIONS = Transitions(
    "match",
    (
        _match_edge(MatchStatusChoices.SUGGESTED, MatchStatusChoices.CONTACTED),
        _match_edge(MatchStatusChoices.SUGGESTED, MatchStatusChoices.DECLINED),
        _match_edge(MatchStatusChoices.CONTACTED, MatchStatusChoices.NDA),
        _match_edge(MatchStatusChoices.CONTACTED, MatchStatusChoices.NEGOTIATING),
        _match_edge(MatchStatusChoices.CONTACTED, MatchStatusChoices.DECLINED),
        _match_edge(MatchStatusChoices.NDA, MatchStatusChoices.NEGOTIATING),
        _match_edge(MatchStatusChoices.NDA, MatchStatusChoices.DECLINED),
        _match_edge(MatchStatusChoices.NEGOTIATING, MatchStatusChoices.DEAL),
        _match_edge(MatchStatusChoices.NEGOTIATING, MatchStatusChoices.DECLINED),
    ),
    labels=MatchStatusChoices,
    ask_first=True,
    refused=_CHANGE,
    default_action="change",
    illegal=_("A match cannot move from “%(from)s” to “%(to)s”."),
    reason_field="note",
    reason_missing=_("Give the reason."),
)


class MatchSourceChoices(models.TextChoices):
    ENGINE = "engine", _("Matching")
    INTEREST = "interest", _("Expressed interest (showcase)")
    MANAGER = "manager", _("TTO manager")


class MatchQuerySet(RestrictedQuerySet["Match"]):
    pass


class Match(models.Model):
    """An enterprise and a result brought together, for a demand or from the showcase."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="matches", verbose_name=_("enterprise")
    )
    demand = models.ForeignKey(
        Demand, null=True, blank=True, on_delete=models.CASCADE, related_name="matches"
    )
    result = models.ForeignKey(Result, on_delete=models.CASCADE, related_name="matches")
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=MatchStatusChoices.choices,
        default=MatchStatusChoices.SUGGESTED,
    )
    source = models.CharField(
        _("source"),
        max_length=16,
        choices=MatchSourceChoices.choices,
        default=MatchSourceChoices.ENGINE,
    )
    score = models.FloatField(_("score"), null=True, blank=True)
    message = models.TextField(_("message"), blank=True)
    deal = models.ForeignKey(
        "landing.Deal",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="matches",
        verbose_name=_("deal"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    status_changed_at = models.DateTimeField(_("status changed"), default=timezone.now)

    objects = MatchQuerySet.as_manager()

    class Meta:
        ordering = ["-status_changed_at", "-id"]
        verbose_name = _("match")
        verbose_name_plural = _("matches")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=MatchStatusChoices.values),
                name="demands_match_status_valid",
            ),
            models.UniqueConstraint(
                fields=["demand", "result"],
                condition=models.Q(demand__isnull=False),
                name="demands_match_unique_per_demand",
            ),
            models.UniqueConstraint(
                fields=["organisation", "result"],
                condition=models.Q(demand__isnull=True),
                name="demands_match_unique_interest",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} × {self.result}"

    def can_move_to(self, target: str) -> bool:
        return target in MATCH_TRANSITIONS.get(self.status, ())


class MatchEventQuerySet(RestrictedQuerySet["MatchEvent"]):
    pass


class MatchEvent(TransitionEvent):
    subject_field = "match"

    match = models.ForeignKey(Match, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=16, choices=MatchStatusChoices.choices, blank=True)
    to_status = models.CharField(max_length=16, choices=MatchStatusChoices.choices)
    note = models.TextField(_("note"), blank=True)

    objects = MatchEventQuerySet.as_manager()

    class Meta:
        ordering = ["occurred_at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status or '—'} → {self.to_status}"


class FeedbackVerdictChoices(models.TextChoices):
    SHORTLISTED = "shortlisted", _("Shortlisted")
    NOT_RELEVANT = "not_relevant", _("Not relevant")


class MatchFeedbackQuerySet(RestrictedQuerySet["MatchFeedback"]):
    pass


class MatchFeedback(models.Model):
    """A user's judgement of one suggested result for one demand: the platform's own relevance data."""

    demand = models.ForeignKey(Demand, on_delete=models.CASCADE, related_name="feedback")
    result = models.ForeignKey(Result, on_delete=models.CASCADE, related_name="demand_feedback")
    verdict = models.CharField(max_length=16, choices=FeedbackVerdictChoices.choices)
    rank = models.PositiveIntegerField(null=True, blank=True)
    score = models.FloatField(null=True, blank=True)
    mode = models.CharField(max_length=8, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = MatchFeedbackQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["demand", "result"], name="demands_feedback_unique"),
            models.CheckConstraint(
                condition=models.Q(verdict__in=FeedbackVerdictChoices.values),
                name="demands_feedback_verdict_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.verdict}: {self.result_id} for {self.demand_id}"


class JudgementKindChoices(models.TextChoices):
    """Where a judgement comes from: a user's explicit mark or what they did with the result."""

    EXPLICIT = "explicit", _("Marked by a user")
    CONTACT = "contact", _("Owners contacted")
    NDA = "nda", _("NDA requested")
    DEAL = "deal", _("Deal made")
    SIGNED = "signed", _("Deal signed")
    MANUAL = "manual", _("Added by a TTO manager")


class JudgementLabelChoices(models.TextChoices):
    RELEVANT = "relevant", _("Relevant")
    NOT_RELEVANT = "not_relevant", _("Not relevant")


class JudgementReasonChoices(models.TextChoices):
    OFF_TOPIC = "off_topic", _("Off-topic")
    WRONG_FIELD = "wrong_field", _("Wrong field")
    TRL_TOO_EARLY = "trl_too_early", _("Too early (TRL)")
    ALREADY_KNOWN = "already_known", _("Already known")
    OTHER = "other", pgettext_lazy("judgement reason", "Other")


class MatchJudgementQuerySet(RestrictedQuerySet["MatchJudgement"]):
    pass


class MatchJudgement(models.Model):
    """One signal about one result for one demand, as a labelled pair for learning to rank
    (``opentto.demands.ranking``): every mark, contact, NDA, deal and manager's addition is a row;
    nothing is overwritten."""

    demand = models.ForeignKey(Demand, on_delete=models.CASCADE, related_name="judgements")
    result = models.ForeignKey(Result, on_delete=models.CASCADE, related_name="demand_judgements")
    kind = models.CharField(_("signal"), max_length=16, choices=JudgementKindChoices.choices)
    label = models.CharField(_("judgement"), max_length=16, choices=JudgementLabelChoices.choices)
    reason = models.CharField(
        _("reason"), max_length=16, choices=JudgementReasonChoices.choices, blank=True
    )
    rank = models.PositiveIntegerField(null=True, blank=True)
    score = models.FloatField(null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = MatchJudgementQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=JudgementKindChoices.values),
                name="demands_judgement_kind_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(label__in=JudgementLabelChoices.values),
                name="demands_judgement_label_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(reason="")
                | models.Q(reason__in=JudgementReasonChoices.values, label="not_relevant"),
                name="demands_judgement_reason_valid",
            ),
        ]
        indexes = [models.Index(fields=["demand", "result"])]

    def __str__(self) -> str:
        return f"{self.kind}/{self.label}: {self.result_id} for {self.demand_id}"


class RankerVersionQuerySet(RestrictedQuerySet["RankerVersion"]):
    pass


class RankerVersion(models.Model):
    """A trained ranker (``opentto.matching.ranker``), kept whether it replaced the current one or
    not: ``active`` marks the one the matches page uses (none: today's fusion)."""

    version = models.PositiveIntegerField(unique=True)
    trained_at = models.DateTimeField(default=timezone.now)
    judgements = models.PositiveIntegerField()
    held_out_before = models.FloatField()
    held_out_after = models.FloatField()
    margin = models.FloatField()
    active = models.BooleanField(default=False)
    model = models.JSONField(default=dict)

    objects = RankerVersionQuerySet.as_manager()

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["active"], condition=models.Q(active=True), name="demands_one_active_ranker"
            ),
        ]

    def __str__(self) -> str:
        return f"ranker v{self.version}"


class ProjectStatusChoices(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    CONTRACTED = "contracted", _("Contracted")
    IN_PROGRESS = "in_progress", _("In progress")
    COMPLETED = "completed", _("Completed")
    TERMINATED = "terminated", _("Terminated")


#: A targeted R&D project's steps: each asks ``change`` on the project (the TTO).
PROJECT_TRANSITIONS = Transitions(
    "project",
    (
        Edge(
            ProjectStatusChoices.PROPOSED, ProjectStatusChoices.CONTRACTED, "transition", "change"
        ),
        Edge(
            ProjectStatusChoices.PROPOSED, ProjectStatusChoices.TERMINATED, "transition", "change"
        ),
        Edge(
            ProjectStatusChoices.CONTRACTED,
            ProjectStatusChoices.IN_PROGRESS,
            "transition",
            "change",
        ),
        Edge(
            ProjectStatusChoices.CONTRACTED, ProjectStatusChoices.TERMINATED, "transition", "change"
        ),
        Edge(
            ProjectStatusChoices.IN_PROGRESS, ProjectStatusChoices.COMPLETED, "transition", "change"
        ),
        Edge(
            ProjectStatusChoices.IN_PROGRESS,
            ProjectStatusChoices.TERMINATED,
            "transition",
            "change",
        ),
    ),
    labels=ProjectStatusChoices,
    ask_first=True,
    refused=_("The TTO tracks targeted R&D projects."),
    default_action="change",
    illegal=_("A project cannot move from “%(from)s” to “%(to)s”."),
)


class TargetedProjectQuerySet(RestrictedQuerySet["TargetedProject"]):
    pass


class TargetedProject(models.Model):
    """Targeted R&D (定向研发): research commissioned against a demand from a chosen team."""

    demand = models.ForeignKey(Demand, on_delete=models.PROTECT, related_name="projects")
    research_organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="targeted_projects",
        verbose_name=_("research organisation"),
    )
    lead = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="led_projects", verbose_name=_("team lead")
    )
    members = models.ManyToManyField(
        Person, blank=True, related_name="targeted_projects", verbose_name=_("team members")
    )
    title_zh = models.CharField(_("title (Chinese)"), max_length=300, blank=True)
    title_en = models.CharField(_("title (English)"), max_length=300, blank=True)
    scope_zh = models.TextField(_("scope (Chinese)"), blank=True)
    scope_en = models.TextField(_("scope (English)"), blank=True)
    budget_cny = models.DecimalField(_("budget (yuan)"), max_digits=16, decimal_places=2)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=ProjectStatusChoices.choices,
        default=ProjectStatusChoices.PROPOSED,
    )
    starts_on = models.DateField(_("starts"), null=True, blank=True)
    ends_on = models.DateField(_("ends"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    status_changed_at = models.DateTimeField(default=timezone.now)

    objects = TargetedProjectQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("targeted R&D project")
        verbose_name_plural = _("targeted R&D projects")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=ProjectStatusChoices.values),
                name="demands_project_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(budget_cny__gte=0), name="demands_project_budget_non_negative"
            ),
            models.CheckConstraint(
                condition=~models.Q(title_zh="", title_en=""), name="demands_project_title_present"
            ),
            models.CheckConstraint(
                condition=models.Q(starts_on__isnull=True)
                | models.Q(ends_on__isnull=True)
                | models.Q(ends_on__gte=models.F("starts_on")),
                name="demands_project_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def title(self) -> str:
        return bilingual(self.title_zh, self.title_en, get_language())

    @property
    def scope(self) -> str:
        return bilingual(self.scope_zh, self.scope_en, get_language())

    @property
    def milestones_total(self) -> Decimal:
        return sum((m.amount_cny for m in self.milestones.all()), Decimal("0.00"))

    @property
    def milestones_done(self) -> int:
        """Milestones recorded as done (reads the prefetched milestones when there are)."""
        return sum(1 for m in self.milestones.all() if m.done_on is not None)


class ProjectMilestoneQuerySet(RestrictedQuerySet["ProjectMilestone"]):
    pass


class ProjectMilestone(models.Model):
    project = models.ForeignKey(
        TargetedProject, on_delete=models.CASCADE, related_name="milestones"
    )
    title_zh = models.CharField(_("milestone (Chinese)"), max_length=300, blank=True)
    title_en = models.CharField(_("milestone (English)"), max_length=300, blank=True)
    due_on = models.DateField(_("due"))
    amount_cny = models.DecimalField(
        _("payment (yuan)"), max_digits=16, decimal_places=2, default=Decimal("0.00")
    )
    done_on = models.DateField(_("done"), null=True, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    objects = ProjectMilestoneQuerySet.as_manager()

    class Meta:
        ordering = ["position", "due_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount_cny__gte=0), name="demands_milestone_amount_non_negative"
            ),
            models.CheckConstraint(
                condition=~models.Q(title_zh="", title_en=""),
                name="demands_milestone_title_present",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def title(self) -> str:
        return bilingual(self.title_zh, self.title_en, get_language())

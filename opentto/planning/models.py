"""Operations planning (运营策划) and companion services (陪伴式帮助).

* the **transfer plan** of a result: transfer-mode options with their terms, target enterprises,
  a negotiation log, and a draft → submitted → approved / rejected workflow (``PLAN_TRANSITIONS``);
* investor **deal rooms** (a result's summary and chosen documents shared with invited investors);
* **overseas channels** (with the filings they need), **tasks** and the **service log**.

The IP layout (patent families, filings, deadlines, fees) lives in ``opentto.patents``; valuations,
pledge loans and securitisation pools in ``opentto.financing`` (docs/planning.md).

Writes happen only in ``services.py``; reads in ``selectors.py``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from opentto.core.i18n import bilingual
from opentto.core.models import TransitionEvent
from opentto.core.permissions import RestrictedQuerySet
from opentto.core.transitions import Edge, Transitions

# the calendar feeds moved to opentto.patents; planning/migrations/0002 still names the default here
from opentto.patents.models import _calendar_token  # noqa: F401

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
#: The plan's edges (``opentto.core.transitions``): each names the action on the plan its service
#: asks (``opentto/planning/permissions.py``). ``approved → superseded`` is a system move: it happens
#: only when a newer plan of the same result is approved. Rejecting needs a written reason.
PLAN_TRANSITIONS = Transitions(
    "plan",
    (
        Edge(P.DRAFT, P.SUBMITTED, "submit", "change"),
        Edge(P.SUBMITTED, P.APPROVED, "approve", "decide"),
        Edge(P.SUBMITTED, P.REJECTED, "reject", "decide", reason_required=True),
        Edge(P.REJECTED, P.DRAFT, "revise", "change"),
        Edge(P.APPROVED, P.SUPERSEDED, "supersede", None),
    ),
    labels=P,
    ask_first=True,
    default_action="change",
    illegal=_("A plan cannot move from “%(source)s” to “%(target)s”."),
    refused=_("Only TTO managers do operations planning."),
    reason_missing=_("Give the reason for rejecting the plan."),
)


class TransferPlan(models.Model):
    result = models.ForeignKey("results.Result", on_delete=models.CASCADE, related_name="plans")
    transfer_mode = models.CharField(
        _("recommended transfer mode"),
        max_length=24,
        choices=TransferModeChoices.choices,
        blank=True,
    )
    summary_zh = models.TextField(_("summary (Chinese)"), blank=True)
    summary_en = models.TextField(_("summary (English)"), blank=True)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=TransferPlanStatusChoices.choices,
        default=TransferPlanStatusChoices.DRAFT,
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
                condition=Q(status__in=TransferPlanStatusChoices.values),
                name="planning_plan_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(status=P.DRAFT) | ~Q(summary_zh="", summary_en=""),
                name="planning_summary_present",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=[P.APPROVED, P.SUPERSEDED]) | Q(approved_at__isnull=False),
                name="planning_plan_approved_has_time",
            ),
            models.UniqueConstraint(
                fields=["result"],
                condition=Q(status=P.APPROVED),
                name="planning_one_approved_plan_per_result",
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


class TransferPlanEvent(TransitionEvent):
    """One move of a plan through its workflow (the shape of ``core.models.TransitionEvent``)."""

    subject_field = "plan"

    plan = models.ForeignKey(TransferPlan, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(
        max_length=16, choices=TransferPlanStatusChoices.choices, blank=True
    )
    to_status = models.CharField(max_length=16, choices=TransferPlanStatusChoices.choices)
    # its own column, as it was (not ``blank``)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(blank=True)

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
    licence_type = models.CharField(
        _("licence type"), max_length=16, choices=LicenceTypeChoices.choices, blank=True
    )
    field_of_use = models.CharField(_("field of use"), max_length=300, blank=True)
    territory = models.CharField(_("territory"), max_length=200, blank=True)
    term_years = models.PositiveSmallIntegerField(_("term (years)"), null=True, blank=True)
    upfront_fee_cny = models.DecimalField(
        _("upfront fee (CNY)"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    royalty_rate = models.DecimalField(
        _("running royalty rate"),
        max_digits=7,
        decimal_places=6,
        null=True,
        blank=True,
        help_text=_("A fraction of net sales, e.g. 0.05 for 5%."),
    )
    minimum_annual_royalty_cny = models.DecimalField(
        _("minimum annual royalty (CNY)"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    #: ``[{"event": str, "amount_cny": "123.00"}]``
    milestones = models.JSONField(_("milestones"), default=list, blank=True)
    # assignment
    price_cny = models.DecimalField(
        _("price (CNY)"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    #: ``[{"due": "YYYY-MM-DD", "amount_cny": "123.00"}]`` summing to the price
    payment_schedule = models.JSONField(_("payment schedule"), default=list, blank=True)
    # equity (作价入股)
    valuation_cny = models.DecimalField(
        _("agreed value of the result (CNY)"),
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
    )
    equity_share_percent = models.DecimalField(
        _("share (%)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    vesting = models.CharField(_("vesting"), max_length=300, blank=True)
    # spin-off
    company_name = models.CharField(_("company name"), max_length=200, blank=True)
    founders = models.CharField(_("founders"), max_length=300, blank=True)
    registered_capital_cny = models.DecimalField(
        _("registered capital (CNY)"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    formation_plan = models.TextField(_("company formation plan"), blank=True)
    # joint development / commissioned R&D
    partner_scope = models.TextField(_("scope of work"), blank=True)
    budget_cny = models.DecimalField(
        _("budget (CNY)"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    duration_months = models.PositiveSmallIntegerField(
        _("duration (months)"), null=True, blank=True
    )
    ip_ownership = models.CharField(_("ownership of new IP"), max_length=300, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet["TransferOption"].as_manager()

    class Meta:
        ordering = ["id"]
        verbose_name = _("transfer option")
        verbose_name_plural = _("transfer options")
        constraints = [
            models.CheckConstraint(
                condition=Q(mode__in=TransferModeChoices.values), name="planning_option_mode_valid"
            ),
            models.CheckConstraint(
                condition=Q(royalty_rate__isnull=True) | Q(royalty_rate__gte=0, royalty_rate__lt=1),
                name="planning_option_royalty_fraction",
            ),
            models.CheckConstraint(
                condition=Q(equity_share_percent__isnull=True)
                | Q(equity_share_percent__gt=0, equity_share_percent__lte=100),
                name="planning_option_share_range",
            ),
            *(
                models.CheckConstraint(
                    condition=Q(**{f"{name}__isnull": True}) | Q(**{f"{name}__gte": 0}),
                    name=f"planning_option_{name}_positive",
                )
                for name in (
                    "upfront_fee_cny",
                    "minimum_annual_royalty_cny",
                    "price_cny",
                    "valuation_cny",
                    "registered_capital_cny",
                    "budget_cny",
                )
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
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    rationale = models.TextField(_("why this enterprise"), blank=True)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=PlanTargetStatusChoices.choices,
        default=PlanTargetStatusChoices.PROPOSED,
    )

    objects = RestrictedQuerySet["PlanTarget"].as_manager()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "organisation"], name="planning_target_unique"),
            models.CheckConstraint(
                condition=Q(status__in=PlanTargetStatusChoices.values),
                name="planning_target_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"


class NegotiationEntry(models.Model):
    plan = models.ForeignKey(TransferPlan, on_delete=models.CASCADE, related_name="negotiations")
    organisation = models.ForeignKey(
        "organisations.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    occurred_on = models.DateField(_("date"))
    summary = models.TextField(_("what was discussed"))
    next_step = models.CharField(_("next step"), max_length=300, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet["NegotiationEntry"].as_manager()

    class Meta:
        ordering = ["-occurred_on", "-id"]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"


class DealRoom(models.Model):
    """A result's public summary and chosen documents shared with invited investors."""

    result = models.ForeignKey(
        "results.Result", on_delete=models.CASCADE, related_name="deal_rooms"
    )
    title = models.CharField(_("title"), max_length=200)
    attachments = models.ManyToManyField(
        "results.Attachment",
        blank=True,
        related_name="deal_rooms",
        verbose_name=_("shared documents"),
    )
    investors = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="DealRoomInvite",
        through_fields=("room", "user"),
        related_name="deal_rooms",
    )
    is_open = models.BooleanField(_("open"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet["DealRoom"].as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title


class DealRoomInvite(models.Model):
    room = models.ForeignKey(DealRoom, on_delete=models.CASCADE, related_name="invites")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    invited_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet["DealRoomInvite"].as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["room", "user"], name="planning_deal_room_invite_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"


# --- overseas channels and companion services -------------------------------------------------


class OverseasChannelStatusChoices(models.TextChoices):
    EXPLORING = "exploring", _("Exploring")
    IN_TALKS = "in_talks", _("In talks")
    ACTIVE = "active", _("Active")
    CLOSED = "closed", _("Closed")


class OverseasChannel(models.Model):
    result = models.ForeignKey(
        "results.Result", on_delete=models.CASCADE, related_name="overseas_channels"
    )
    country = models.CharField(_("country or region"), max_length=60)
    partner = models.CharField(_("partner"), max_length=200, blank=True)
    filings = models.ManyToManyField(
        "patents.Filing", blank=True, related_name="channels", verbose_name=_("filings needed")
    )
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=OverseasChannelStatusChoices.choices,
        default=OverseasChannelStatusChoices.EXPLORING,
    )
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet["OverseasChannel"].as_manager()

    class Meta:
        ordering = ["country", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=OverseasChannelStatusChoices.values),
                name="planning_channel_status_valid",
            )
        ]

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


_T = ServiceTaskStatusChoices
#: A task's edges (``opentto.core.transitions``): whoever may change the task takes any of them
#: (the audit action is ``task.status`` for every move).
TASK_TRANSITIONS = Transitions(
    "task",
    (
        Edge(_T.OPEN, _T.IN_PROGRESS, "start", "change"),
        Edge(_T.OPEN, _T.DONE, "done", "change"),
        Edge(_T.OPEN, _T.CANCELLED, "cancel", "change"),
        Edge(_T.IN_PROGRESS, _T.DONE, "done", "change"),
        Edge(_T.IN_PROGRESS, _T.CANCELLED, "cancel", "change"),
        Edge(_T.IN_PROGRESS, _T.OPEN, "reopen", "change"),
    ),
    labels=_T,
    ask_first=True,
    default_action="change",
    illegal=_("A task cannot move from “%(source)s” to “%(target)s”."),
    refused=_("Only TTO managers do operations planning."),
)


class ServiceTask(models.Model):
    result = models.ForeignKey(
        "results.Result", on_delete=models.CASCADE, related_name="service_tasks"
    )
    title = models.CharField(_("task"), max_length=200)
    kind = models.CharField(_("kind of service"), max_length=20, choices=ServiceKindChoices.choices)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="planning_tasks",
        verbose_name=_("owner"),
    )
    due_on = models.DateField(_("due"))
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=ServiceTaskStatusChoices.choices,
        default=ServiceTaskStatusChoices.OPEN,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    objects = RestrictedQuerySet["ServiceTask"].as_manager()

    class Meta:
        ordering = ["due_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ServiceTaskStatusChoices.values),
                name="planning_task_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=ServiceKindChoices.values), name="planning_task_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"


class ServiceLogEntry(models.Model):
    result = models.ForeignKey(
        "results.Result", on_delete=models.CASCADE, related_name="service_log"
    )
    kind = models.CharField(_("kind of service"), max_length=20, choices=ServiceKindChoices.choices)
    hours = models.DecimalField(_("hours"), max_digits=6, decimal_places=2)
    notes = models.TextField(_("notes"))
    occurred_on = models.DateField(_("date"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="planning_service_log",
        verbose_name=_("manager"),
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet["ServiceLogEntry"].as_manager()

    class Meta:
        ordering = ["-occurred_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(hours__gt=0, hours__lte=24), name="planning_service_hours_range"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=ServiceKindChoices.values), name="planning_service_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"


# --- patent fees and their reductions ----------------------------------------------------------

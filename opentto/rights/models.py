"""Ownership or long-term use rights for researchers (赋权).

赋予科研人员职务科技成果所有权或长期使用权试点实施方案 (国科发区〔2020〕128号; STANDARDS.md "Contracts,
tax and rights", *fairly sure; pilot rules differ by institution*): a pilot institution may give the
team that made a job-related result a share of its ownership, or a right to use it for at least 10
years, by agreement and after a public notice. Once the team owns a share, no statutory reward is
paid again on that share.

A **pilot institution** records the programme an organisation is a pilot of (the national pilot or a
local programme), its legal basis and its dates. A **rights application** (赋权申请) follows
:data:`TRANSITIONS`::

    draft → submitted → granted → notice (公示) → agreed (agreement recorded) → in effect
                      ↘ refused   ↘ refused (an objection upheld)
    draft / submitted / granted / notice → withdrawn

When an ownership grant takes effect, the result's **ownership shares** change: the rows valid until
then are closed and new rows start (the history is kept). A right of use changes no ownership; it is
recorded on the application with its term.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from opentto.core.i18n import bilingual
from opentto.core.models import TransitionEvent
from opentto.core.permissions import RestrictedQuerySet
from opentto.core.transitions import Edge, Transitions

#: The national plan's minimum term of a right of use, in years (国科发区〔2020〕128号).
USE_MIN_YEARS = 10
#: The national plan's citation.
NATIONAL_CITATION = (
    "赋予科研人员职务科技成果所有权或长期使用权试点实施方案（国科发区〔2020〕128号）"
)


class PilotProgrammeChoices(models.TextChoices):
    NATIONAL = "national", _("National pilot")
    LOCAL = "local", _("Local programme")


class PilotInstitutionQuerySet(RestrictedQuerySet["PilotInstitution"]):
    def covering(self, day: dt.date) -> PilotInstitutionQuerySet:
        return self.filter(starts_on__lte=day, ends_on__gte=day)


class PilotInstitution(models.Model):
    """An organisation named in a 赋权 pilot programme, for the programme's dates."""

    organisation = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.PROTECT,
        related_name="rights_pilots",
        verbose_name=_("institution"),
    )
    programme = models.CharField(
        _("programme"), max_length=12, choices=PilotProgrammeChoices.choices
    )
    programme_name = models.CharField(_("programme name"), max_length=300)
    legal_basis = models.TextField(_("legal basis"))
    citation = models.CharField(_("citation"), max_length=300)
    starts_on = models.DateField(_("pilot starts"))
    ends_on = models.DateField(_("pilot ends"))
    notice_min_days = models.PositiveSmallIntegerField(
        _("minimum notice period (days)"),
        default=15,
        help_text=_("As the institution's rule says."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = PilotInstitutionQuerySet.as_manager()

    class Meta:
        ordering = ["-ends_on", "id"]
        verbose_name = _("pilot institution")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(programme__in=PilotProgrammeChoices.values),
                name="rights_pilot_programme_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")),
                name="rights_pilot_ends_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(notice_min_days__gte=1), name="rights_pilot_notice_days_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} · {self.programme_name}"

    def covers(self, day: dt.date) -> bool:
        return self.starts_on <= day <= self.ends_on


class RightsKindChoices(models.TextChoices):
    OWNERSHIP = "ownership", _("Share of ownership")
    USE = "use", _("Long-term right of use")


class RightsStatusChoices(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    GRANTED = "granted", _("Granted")
    REFUSED = "refused", _("Refused")
    NOTICE = "notice", _("Public notice running")
    AGREED = "agreed", _("Agreement recorded")
    IN_EFFECT = "in_effect", _("In effect")
    WITHDRAWN = "withdrawn", _("Withdrawn")


S = RightsStatusChoices
#: Status changes allowed for an application (``opentto.core.transitions``); each has its service
#: in ``opentto.rights.services`` and names the action on the application that service asks.
TRANSITIONS = Transitions(
    "rights",
    (
        Edge(S.DRAFT, S.SUBMITTED, "submit", "submit"),
        Edge(S.DRAFT, S.WITHDRAWN, "withdraw", "withdraw"),
        Edge(S.SUBMITTED, S.GRANTED, "grant", "decide"),
        Edge(S.SUBMITTED, S.REFUSED, "refuse", "decide"),
        Edge(S.SUBMITTED, S.WITHDRAWN, "withdraw", "withdraw"),
        Edge(S.GRANTED, S.NOTICE, "notice_start", "notice"),
        Edge(S.GRANTED, S.WITHDRAWN, "withdraw", "withdraw"),
        Edge(S.NOTICE, S.AGREED, "agree", "agree"),
        Edge(S.NOTICE, S.REFUSED, "refuse", "decide"),
        Edge(S.NOTICE, S.WITHDRAWN, "withdraw", "withdraw"),
        Edge(S.AGREED, S.IN_EFFECT, "in_effect", "bring_into_effect"),
    ),
    labels=S,
    ask_first=True,
    refused=_("You may not do this with this application."),
    illegal=_("An application that is “%(status)s” cannot become “%(target)s”."),
)
#: The statuses in which the team may still withdraw.
WITHDRAWABLE = (S.DRAFT, S.SUBMITTED, S.GRANTED, S.NOTICE)


def agreement_path(instance: RightsApplication, filename: str) -> str:
    # Never the user's file name: an unguessable name, served only by a permission-checked view.
    return f"rights/{uuid.uuid4().hex}"


class RightsApplicationQuerySet(RestrictedQuerySet["RightsApplication"]):
    pass


class RightsApplication(models.Model):
    """A team's application for a share of ownership of, or a long-term right to use, a result."""

    result = models.ForeignKey(
        "results.Result",
        on_delete=models.PROTECT,
        related_name="rights_applications",
        verbose_name=_("result"),
    )
    pilot = models.ForeignKey(
        PilotInstitution,
        on_delete=models.PROTECT,
        related_name="applications",
        verbose_name=_("pilot institution"),
    )
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=RightsStatusChoices.choices,
        default=RightsStatusChoices.DRAFT,
    )
    # what the team asks for
    requested_kind = models.CharField(
        _("requested kind"), max_length=12, choices=RightsKindChoices.choices
    )
    requested_share = models.DecimalField(
        _("requested share of ownership (%)"), max_digits=7, decimal_places=3, null=True, blank=True
    )
    requested_term_years = models.PositiveSmallIntegerField(
        _("requested term (years)"), null=True, blank=True
    )
    requested_exclusive = models.BooleanField(_("exclusive use requested"), default=False)
    statement = models.TextField(_("the team's statement"), blank=True)
    # the institution's decision
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    granted_kind = models.CharField(
        _("granted kind"), max_length=12, choices=RightsKindChoices.choices, blank=True
    )
    granted_share = models.DecimalField(
        _("team's share of ownership (%)"), max_digits=7, decimal_places=3, null=True, blank=True
    )
    granted_term_years = models.PositiveSmallIntegerField(
        _("term of use (years)"), null=True, blank=True
    )
    granted_exclusive = models.BooleanField(_("exclusive use"), default=False)
    conditions = models.TextField(_("conditions"), blank=True)
    refusal_reasons = models.TextField(_("reasons for refusal"), blank=True)
    # the public notice (公示)
    notice_starts_on = models.DateField(_("notice starts"), null=True, blank=True)
    notice_ends_on = models.DateField(_("notice ends"), null=True, blank=True)
    notice_text_zh = models.TextField(_("notice text (Chinese)"), blank=True)
    notice_text_en = models.TextField(_("notice text (English)"), blank=True)
    objections = models.TextField(_("objections received"), blank=True)
    # the agreement
    agreement_signed_on = models.DateField(_("agreement signed on"), null=True, blank=True)
    agreement_reference = models.CharField(_("agreement reference"), max_length=120, blank=True)
    agreement_file = models.FileField(upload_to=agreement_path, max_length=300, blank=True)
    agreement_file_name = models.CharField(_("file name"), max_length=255, blank=True)
    agreement_file_type = models.CharField(max_length=100, blank=True)
    agreement_file_sha256 = models.CharField(max_length=64, blank=True)
    # in effect
    effective_on = models.DateField(_("in effect from"), null=True, blank=True)
    use_ends_on = models.DateField(_("right of use ends"), null=True, blank=True)
    withdrawn_reason = models.TextField(_("reason for withdrawal"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    objects = RightsApplicationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("rights application")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=RightsStatusChoices.values),
                name="rights_application_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(requested_kind__in=RightsKindChoices.values),
                name="rights_application_kind_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(granted_share__isnull=True)
                | models.Q(granted_share__gt=0, granted_share__lte=100),
                name="rights_application_share_range",
            ),
            models.CheckConstraint(
                condition=models.Q(granted_term_years__isnull=True)
                | models.Q(granted_term_years__gte=USE_MIN_YEARS),
                name="rights_application_use_term_minimum",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.result} · {self.get_requested_kind_display()}"

    def can(self, target: str) -> bool:
        """The guard: whether the table allows moving from the current status to ``target``."""
        return (self.status, target) in TRANSITIONS

    @property
    def notice_text(self) -> str:
        return bilingual(self.notice_text_zh, self.notice_text_en, get_language())

    def notice_running_on(self, day: dt.date) -> bool:
        return (
            self.status == RightsStatusChoices.NOTICE
            and self.notice_starts_on is not None
            and self.notice_ends_on is not None
            and self.notice_starts_on <= day <= self.notice_ends_on
        )


class RightsTeamMember(models.Model):
    """A member of the applying team and their part of what the team receives (the parts sum to 100)."""

    application = models.ForeignKey(
        RightsApplication, on_delete=models.CASCADE, related_name="team"
    )
    person = models.ForeignKey(
        "organisations.Person",
        on_delete=models.PROTECT,
        related_name="rights_teams",
        verbose_name=_("person"),
    )
    split = models.DecimalField(_("part within the team (%)"), max_digits=7, decimal_places=3)
    position = models.PositiveSmallIntegerField(default=0)

    objects = RestrictedQuerySet["RightsTeamMember"].as_manager()

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "person"], name="rights_team_member_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(split__gt=0, split__lte=100), name="rights_team_split_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} {self.split}%"


class RightsEvent(TransitionEvent):
    """One step of an application: the status it left and reached, who, when and why."""

    subject_field = "application"

    application = models.ForeignKey(
        RightsApplication, on_delete=models.CASCADE, related_name="events"
    )
    from_status = models.CharField(max_length=12, choices=RightsStatusChoices.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=RightsStatusChoices.choices)
    note = models.TextField(blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["occurred_at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status} → {self.to_status}"


class HolderKindChoices(models.TextChoices):
    ORGANISATION = "organisation", _("Organisation")
    TEAM = "team", _("Research team")


class OwnershipShareQuerySet(RestrictedQuerySet["OwnershipShare"]):
    def valid_on(self, day: dt.date) -> OwnershipShareQuerySet:
        return self.filter(valid_from__lte=day).filter(
            models.Q(valid_to__isnull=True) | models.Q(valid_to__gt=day)
        )


class OwnershipShare(models.Model):
    """A holder's share of a result's ownership from ``valid_from`` (inclusive) until ``valid_to``
    (exclusive; empty: still valid). The holder is an organisation or a team (the members of the
    application that gave it the share, with their split). Rows exist only for results on which a
    赋权 has taken effect: the rows before it (the owners as they were) and after it."""

    result = models.ForeignKey(
        "results.Result", on_delete=models.CASCADE, related_name="ownership_shares"
    )
    holder_kind = models.CharField(_("holder"), max_length=12, choices=HolderKindChoices.choices)
    organisation = models.ForeignKey(
        "organisations.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The owner organisation; for a team, the institution that gave it the share."),
    )
    team = models.ForeignKey(
        RightsApplication,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="team_shares",
    )
    share = models.DecimalField(_("share of ownership (%)"), max_digits=10, decimal_places=6)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid until"), null=True, blank=True)
    source = models.ForeignKey(
        RightsApplication,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ownership_changes",
        verbose_name=_("source"),
    )
    basis = models.CharField(_("basis"), max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = OwnershipShareQuerySet.as_manager()

    class Meta:
        ordering = ["result_id", "valid_from", "holder_kind", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(holder_kind__in=HolderKindChoices.values),
                name="rights_share_holder_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(share__gt=0, share__lte=100), name="rights_share_range"
            ),
            models.CheckConstraint(
                condition=models.Q(organisation__isnull=False), name="rights_share_has_organisation"
            ),
            models.CheckConstraint(
                condition=(models.Q(holder_kind="team") & models.Q(team__isnull=False))
                | (models.Q(holder_kind="organisation") & models.Q(team__isnull=True)),
                name="rights_share_team_iff_team_holder",
            ),
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True)
                | models.Q(valid_to__gte=models.F("valid_from")),
                name="rights_share_valid_to_after_from",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.holder_kind} {self.share}%"

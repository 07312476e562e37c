"""Research results (成果) with their owners, inventors, IP assets, funding and attachments, and
the pipeline stage they are in. Stage changes happen only through ``opentto.results.pipeline``."""

from __future__ import annotations

import uuid
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
from opentto.organisations.models import Organisation, Person


class ResultStageChoices(models.TextChoices):
    ONBOARDING = "onboarding", _("Onboarding")
    EVALUATION = "evaluation", _("Evaluation")
    PLANNING = "planning", _("Planning")
    LANDING = "landing", _("Landing")
    LANDED = "landed", _("Landed")
    ON_HOLD = "on_hold", _("On hold")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    DECLINED = "declined", _("Declined")


#: The four steps and their end, in order (the funnel); side states follow.
PIPELINE_STAGES = (
    ResultStageChoices.ONBOARDING,
    ResultStageChoices.EVALUATION,
    ResultStageChoices.PLANNING,
    ResultStageChoices.LANDING,
    ResultStageChoices.LANDED,
)
SIDE_STAGES = (
    ResultStageChoices.ON_HOLD,
    ResultStageChoices.WITHDRAWN,
    ResultStageChoices.DECLINED,
)
#: Results in these stages are no longer incubated.
NOT_INCUBATED_STAGES = (ResultStageChoices.WITHDRAWN, ResultStageChoices.DECLINED)


class ResultKindChoices(models.TextChoices):
    INVENTION_PATENT = "invention_patent", _("Invention patent")
    UTILITY_MODEL = "utility_model", _("Utility model")
    DESIGN = "design", _("Design")
    SOFTWARE_COPYRIGHT = "software_copyright", _("Software copyright")
    KNOW_HOW = "know_how", _("Know-how")
    PROTOTYPE = "prototype", _("Prototype")
    DRUG = "drug", _("Drug")
    MEDICAL_DEVICE = "medical_device", _("Medical device")
    NEW_MATERIAL = "new_material", _("New material")
    OTHER = "other", _("Other")


class ResultFieldChoices(models.TextChoices):
    AI = "ai", _("Artificial intelligence")
    IC = "ic", _("Integrated circuits")
    BIOMEDICINE = "biomedicine", _("Biomedicine")
    MEDICAL_DEVICES = "medical_devices", _("Medical devices")
    NEW_MATERIALS = "new_materials", _("New materials")
    GREEN_ENERGY = "green_energy", _("Green energy")
    OTHER = "other", _("Other")


class ResultQuerySet(RestrictedQuerySet["Result"]):
    """Results: ``Result.objects.restrict(user, action)`` (opentto/results/permissions.py)."""


class Result(models.Model):
    title_zh = models.CharField(_("title (Chinese)"), max_length=300, blank=True)
    title_en = models.CharField(_("title (English)"), max_length=300, blank=True)
    abstract_zh = models.TextField(_("abstract (Chinese)"), blank=True)
    abstract_en = models.TextField(_("abstract (English)"), blank=True)
    advantages_zh = models.TextField(_("advantages (Chinese)"), blank=True)
    advantages_en = models.TextField(_("advantages (English)"), blank=True)
    applications_zh = models.TextField(_("applications (Chinese)"), blank=True)
    applications_en = models.TextField(_("applications (English)"), blank=True)
    details_zh = models.TextField(_("confidential details (Chinese)"), blank=True)
    details_en = models.TextField(_("confidential details (English)"), blank=True)
    kind = models.CharField(_("kind"), max_length=24, choices=ResultKindChoices.choices)
    field = models.CharField(_("field"), max_length=24, choices=ResultFieldChoices.choices)
    trl = models.PositiveSmallIntegerField(
        _("technology readiness level (TRL)"),
        validators=[MinValueValidator(1), MaxValueValidator(9)],
    )
    keywords_zh = models.JSONField(_("keywords (Chinese)"), default=list, blank=True)
    keywords_en = models.JSONField(_("keywords (English)"), default=list, blank=True)
    is_public = models.BooleanField(
        _("public"),
        default=False,
        help_text=_(
            "Public: the summary is shown to everyone. Confidential: the whole result is hidden."
        ),
    )
    stage = models.CharField(
        _("stage"),
        max_length=16,
        choices=ResultStageChoices.choices,
        default=ResultStageChoices.ONBOARDING,
    )
    stage_before_hold = models.CharField(
        max_length=16, choices=ResultStageChoices.choices, blank=True
    )
    stage_changed_at = models.DateTimeField(_("stage changed"), default=timezone.now)
    owners = models.ManyToManyField(
        Organisation, through="ResultOwner", related_name="results", verbose_name=_("owners")
    )
    inventors = models.ManyToManyField(
        Person, through="ResultInventor", related_name="results", verbose_name=_("inventors")
    )
    onboarded_at = models.DateTimeField(_("onboarded"), default=timezone.now, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ResultQuerySet.as_manager()

    class Meta:
        ordering = ["-onboarded_at", "-id"]
        verbose_name = _("result")
        verbose_name_plural = _("results")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(stage__in=ResultStageChoices.values), name="results_stage_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(trl__gte=1, trl__lte=9), name="results_trl_1_9"
            ),
            models.CheckConstraint(
                condition=~models.Q(title_zh="", title_en=""), name="results_title_present"
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=ResultKindChoices.values), name="results_kind_valid"
            ),
        ]
        indexes = [models.Index(fields=["stage"]), models.Index(fields=["field"])]

    def __str__(self) -> str:
        return self.title

    @property
    def title(self) -> str:
        return bilingual(self.title_zh, self.title_en, get_language())

    @property
    def abstract(self) -> str:
        return bilingual(self.abstract_zh, self.abstract_en, get_language())

    @property
    def advantages(self) -> str:
        return bilingual(self.advantages_zh, self.advantages_en, get_language())

    @property
    def applications(self) -> str:
        return bilingual(self.applications_zh, self.applications_en, get_language())

    @property
    def details(self) -> str:
        return bilingual(self.details_zh, self.details_en, get_language())

    @property
    def keywords(self) -> list[str]:
        lang = get_language() or ""
        return (
            (self.keywords_en or self.keywords_zh)
            if lang.startswith("en")
            else (self.keywords_zh or self.keywords_en)
        )


class ResultOwner(models.Model):
    result = models.ForeignKey(Result, on_delete=models.CASCADE, related_name="ownerships")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="ownerships"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["result", "organisation"], name="results_owner_unique")
        ]

    def __str__(self) -> str:
        return f"{self.organisation} owns {self.result}"


class ResultInventorQuerySet(RestrictedQuerySet["ResultInventor"]):
    """``ResultInventor.objects.restrict(user, action)``: never more than its result (opentto/results/permissions.py)."""


class ResultInventor(models.Model):
    result = models.ForeignKey(Result, on_delete=models.CASCADE, related_name="inventorships")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="inventorships")
    share = models.DecimalField(
        _("contribution share (%)"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("100"))],
    )
    position = models.PositiveSmallIntegerField(default=0)

    objects = ResultInventorQuerySet.as_manager()

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["result", "person"], name="results_inventor_unique"),
            models.CheckConstraint(
                condition=models.Q(share__gt=0, share__lte=100), name="results_inventor_share_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} ({self.share}%)"


class IPAssetKindChoices(models.TextChoices):
    INVENTION = "invention", _("Invention patent")
    UTILITY = "utility", _("Utility model")
    DESIGN = "design", _("Design patent")
    PCT = "pct", _("PCT application")
    SOFTWARE_COPYRIGHT = "software_copyright", _("Software copyright")
    OTHER = "other", _("Other")


class IPAssetStatusChoices(models.TextChoices):
    FILED = "filed", _("Filed")
    PUBLISHED = "published", _("Published")
    UNDER_EXAMINATION = "under_examination", _("Under examination")
    GRANTED = "granted", _("Granted")
    LAPSED = "lapsed", _("Lapsed")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class IPAssetQuerySet(RestrictedQuerySet["IPAsset"]):
    """``IPAsset.objects.restrict(user, action)``: never more than its result (opentto/results/permissions.py)."""


class IPAsset(models.Model):
    result = models.ForeignKey(Result, on_delete=models.CASCADE, related_name="ip_assets")
    jurisdiction = models.CharField(_("jurisdiction"), max_length=4, default="CN")
    ip_kind = models.CharField(_("kind"), max_length=24, choices=IPAssetKindChoices.choices)
    application_number = models.CharField(_("application number"), max_length=40)
    filing_date = models.DateField(_("filing date"), null=True, blank=True)
    publication_number = models.CharField(_("publication number"), max_length=40, blank=True)
    grant_number = models.CharField(_("grant number"), max_length=40, blank=True)
    grant_date = models.DateField(_("grant date"), null=True, blank=True)
    status = models.CharField(
        _("status"),
        max_length=24,
        choices=IPAssetStatusChoices.choices,
        default=IPAssetStatusChoices.FILED,
    )
    # Its number is registered with another result that whoever entered it may not see: stored
    # as entered, held for the TTO (opentto.clashes), and outside the number's uniqueness.
    is_held = models.BooleanField(_("held for the TTO"), default=False, editable=False)

    objects = IPAssetQuerySet.as_manager()

    class Meta:
        ordering = ["filing_date", "id"]
        verbose_name = _("IP asset")
        verbose_name_plural = _("IP assets")
        constraints = [
            models.UniqueConstraint(
                fields=["jurisdiction", "application_number"],
                condition=models.Q(is_held=False),
                name="results_ipasset_number_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(grant_date__isnull=True)
                | models.Q(filing_date__isnull=True)
                | models.Q(grant_date__gte=models.F("filing_date")),
                name="results_ipasset_grant_after_filing",
            ),
        ]

    def __str__(self) -> str:
        return self.application_number


class FundingQuerySet(RestrictedQuerySet["Funding"]):
    """``Funding.objects.restrict(user, action)``: never more than its result (opentto/results/permissions.py)."""


class Funding(models.Model):
    result = models.ForeignKey(Result, on_delete=models.CASCADE, related_name="fundings")
    programme = models.CharField(_("programme"), max_length=200)
    grant_number = models.CharField(_("grant number"), max_length=100, blank=True)
    funder = models.CharField(_("funder"), max_length=200, blank=True)
    government_funded = models.BooleanField(
        _("government funded"),
        default=False,
        help_text=_("Government-funded results carry reporting duties."),
    )

    objects = FundingQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        verbose_name = _("funding")
        verbose_name_plural = _("funding")

    def __str__(self) -> str:
        return self.programme


def attachment_path(instance: Attachment, filename: str) -> str:
    # Never the user's file name: an unguessable name in a folder per result.
    return f"attachments/{instance.result_id}/{uuid.uuid4().hex}"


class AttachmentQuerySet(RestrictedQuerySet["Attachment"]):
    """``Attachment.objects.restrict(user, action)``: never more than its result (opentto/results/permissions.py)."""


class Attachment(models.Model):
    result = models.ForeignKey(Result, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=300)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded"), default=timezone.now)

    objects = AttachmentQuerySet.as_manager()

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.original_name


class StageTransitionQuerySet(RestrictedQuerySet["StageTransition"]):
    """``StageTransition.objects.restrict(user, action)``: never more than its result (opentto/results/permissions.py)."""


class StageTransition(TransitionEvent):
    """One move of a result through the pipeline: the result page's timeline."""

    subject_field, source_field, target_field, note_field = (
        "result",
        "from_stage",
        "to_stage",
        "reason",
    )

    result = models.ForeignKey(Result, on_delete=models.CASCADE, related_name="transitions")
    from_stage = models.CharField(
        _("from"), max_length=16, choices=ResultStageChoices.choices, blank=True
    )
    to_stage = models.CharField(_("to"), max_length=16, choices=ResultStageChoices.choices)
    reason = models.TextField(_("reason"), blank=True)
    occurred_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)

    objects = StageTransitionQuerySet.as_manager()

    class Meta:
        ordering = ["occurred_at", "id"]
        verbose_name = _("stage transition")
        verbose_name_plural = _("stage transitions")

    def __str__(self) -> str:
        return f"{self.from_stage or '—'} → {self.to_stage}"

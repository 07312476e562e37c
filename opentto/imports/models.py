"""Import jobs: one uploaded file (CSV, xlsx or patent XML), its column mapping, and the outcome.

A job runs in one database transaction: either every accepted row is stored or none is. A dry run
runs the very same code and rolls back at the end, so it reports exactly what a real run would.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opentto.core.permissions import RestrictedQuerySet


class ImportKindChoices(models.TextChoices):
    RESULTS = "results", _("Results")
    PATENTS = "patents", _("Patent bibliographic records")
    ORGANISATIONS = "organisations", _("Organisations")
    PEOPLE = "people", _("People")


class ImportStatusChoices(models.TextChoices):
    PENDING = "pending", _("Waiting")
    RUNNING = "running", _("Running")
    CHECKED = "checked", _("Dry run finished")
    DONE = "done", _("Imported")
    REFUSED = "refused", _("Refused: nothing imported")
    FAILED = "failed", _("Failed: nothing imported")
    INTERRUPTED = "interrupted", _("Interrupted: nothing imported")


#: A running job whose process cannot be checked (it ran on another machine) and whose heartbeat
#: is older than this was interrupted (its transaction rolled back).
STALE_AFTER = timedelta(minutes=3)
FINISHED_STATUSES = frozenset(
    {
        ImportStatusChoices.CHECKED,
        ImportStatusChoices.DONE,
        ImportStatusChoices.REFUSED,
        ImportStatusChoices.FAILED,
        ImportStatusChoices.INTERRUPTED,
    }
)


def import_file_path(instance: ImportJob, filename: str) -> str:
    return f"imports/{timezone.now():%Y/%m}/{instance.token}"


class ImportJob(models.Model):
    token = models.CharField(max_length=32, unique=True)
    kind = models.CharField(_("what"), max_length=16, choices=ImportKindChoices.choices)
    file = models.FileField(upload_to=import_file_path, max_length=300)
    original_name = models.CharField(_("file name"), max_length=255)
    file_format = models.CharField(_("format"), max_length=8)
    mapping = models.JSONField(_("column mapping"), default=dict, blank=True)
    options = models.JSONField(default=dict, blank=True)
    dry_run = models.BooleanField(_("dry run"), default=True)
    language = models.CharField(max_length=8, default="zh-hans")
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=ImportStatusChoices.choices,
        default=ImportStatusChoices.PENDING,
    )
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    #: ``[{"row": 7, "column": "application_number", "message": "…"}]`` in the job's language.
    errors = models.JSONField(default=list, blank=True)
    message = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    #: The process that runs it (``opentto.core.processes.process_identity``), to tell a killed run.
    worker = models.CharField(max_length=200, blank=True, default="")

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=ImportKindChoices.values), name="imports_job_kind_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=ImportStatusChoices.values),
                name="imports_job_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(processed_rows__lte=models.F("total_rows")),
                name="imports_job_progress_bounded",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.original_name}"

    @property
    def percent(self) -> int:
        return (
            int(100 * self.processed_rows / self.total_rows)
            if self.total_rows
            else (100 if self.is_finished else 0)
        )

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED_STATUSES

    @property
    def is_interrupted(self) -> bool:
        """Marked interrupted, or still "running" while its process is gone (killed, or the machine
        restarted) or — when that process cannot be checked from here — silent for too long. The
        database rolled its work back. ``import_jobs_mark_interrupted`` records it."""
        if self.status == ImportStatusChoices.INTERRUPTED:
            return True
        if self.status != ImportStatusChoices.RUNNING:
            return False
        from opentto.core.processes import process_state

        state = process_state(self.worker) if self.worker else "unknown"
        if state != "unknown":
            return state == "gone"
        beat = self.heartbeat_at or self.started_at or self.created_at
        return timezone.now() - beat > STALE_AFTER

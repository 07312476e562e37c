"""Base models shared by every app: the append-only, hash-chained audit log and the grants that
turn roles into permissions."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    """One change to a record, or one view of a confidential one. Never updated or deleted.

    Each row carries the hash of the row before it (``prev_hash``) and its own (``hash``, over its
    content and ``prev_hash``), so a changed, removed or inserted row breaks the chain that
    ``opentto audit verify`` walks."""

    occurred_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    action = models.CharField(_("action"), max_length=64, db_index=True)
    object_type = models.CharField(_("object type"), max_length=64, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    payload = models.JSONField(_("details"), default=dict, blank=True)
    remote_addr = models.GenericIPAddressField(_("from"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=200, blank=True, default="")
    prev_hash = models.CharField(_("previous entry's hash"), max_length=64, blank=True, default="")
    hash = models.CharField(_("hash"), max_length=64, blank=True, default="")

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")

    def __str__(self) -> str:
        return (
            f"{self.occurred_at:%Y-%m-%d %H:%M} {self.action} {self.object_type}#{self.object_id}"
        )

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            raise RuntimeError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise RuntimeError("audit events are append-only")


class GrantRoleChoices(models.TextChoices):
    ANONYMOUS = "anonymous", _("Anonymous visitor")
    ADMIN = "admin", _("Platform admin")
    MANAGER = "manager", _("TTO manager")
    INVENTOR = "inventor", _("Researcher / inventor")
    ENTERPRISE = "enterprise", _("Enterprise user")
    REVIEWER = "reviewer", _("Reviewer")
    OFFICIAL = "official", _("District official")
    INVESTOR = "investor", _("Investor / bank")


class Grant(models.Model):
    """A role may perform ``actions`` on rows of ``object_type`` that match ``constraint`` (a named
    SQL condition registered in ``opentto.core.permissions``). Grants add up; nothing else is
    allowed."""

    role = models.CharField(_("role"), max_length=16, choices=GrantRoleChoices.choices)
    object_type = models.CharField(
        _("object type"), max_length=64, help_text=_("app_label.modelname, e.g. results.result")
    )
    actions = models.JSONField(_("actions"), default=list)
    constraint = models.CharField(_("constraint"), max_length=64, default="all")
    enabled = models.BooleanField(_("enabled"), default=True)
    is_default = models.BooleanField(_("installed by default"), default=False, editable=False)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["object_type", "role", "constraint"]
        verbose_name = _("grant")
        verbose_name_plural = _("grants")
        constraints = [
            models.UniqueConstraint(
                fields=["role", "object_type", "constraint"], name="core_grant_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=GrantRoleChoices.values), name="core_grant_role_valid"
            ),
        ]
        indexes = [models.Index(fields=["role", "enabled"])]

    def __str__(self) -> str:
        return f"{self.role}: {', '.join(self.actions)} on {self.object_type} ({self.constraint})"


class IdempotencyKey(models.Model):
    """A single-use key of one write (a form's hidden key, an API caller's ``Idempotency-Key``):
    claimed in the same transaction as the write, it records what the first request produced, so
    a repeat answers with that outcome instead of writing again (``opentto.core.idempotency``;
    docs/adr/0007-idempotent-money-writes.md). Unique per actor: a concurrent repeat waits on the
    unique index until the first commits."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("actor"),
    )
    key = models.CharField(_("key"), max_length=255)
    scope = models.CharField(_("what it was used for"), max_length=300)
    fingerprint = models.CharField(_("fingerprint of the request"), max_length=64)
    object_type = models.CharField(_("object type"), max_length=64, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    status = models.CharField(_("status"), max_length=32, blank=True)
    response_status = models.PositiveSmallIntegerField(_("response status"), null=True, blank=True)
    # the API's answer as JSON text (a text column keeps the keys in their order; jsonb would not)
    response_body = models.TextField(_("response (JSON)"), blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [
            models.UniqueConstraint(
                fields=["actor", "key"], name="core_idempotency_key_unique_per_actor"
            )
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.scope})"


class TransitionEvent(models.Model):
    """The shape every state machine's history shares (abstract: each app keeps its own table):
    who (``actor``, kept as ``NULL`` when the user is deleted) and when (``occurred_at``), read in
    order. A subclass adds the foreign key to its subject (named by ``subject_field``) and what
    moved: most have ``from_status``/``to_status`` (``source_field``/``target_field`` name them)
    and a ``note`` (``note_field``); a subclass overrides a field to keep its own column's length,
    choices or index. :meth:`record` writes one row for :func:`opentto.core.transitions.transition`."""

    subject_field: str = ""
    source_field: str = "from_status"
    target_field: str = "to_status"
    note_field: str = "note"

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    occurred_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True
        ordering = ["occurred_at", "id"]

    @classmethod
    def record(
        cls,
        subject: models.Model,
        *,
        source: str,
        target: str,
        actor: Any,
        note: str = "",
        **extra: Any,
    ) -> TransitionEvent:
        values: dict[str, Any] = {
            cls.subject_field: subject,
            cls.source_field: source,
            cls.target_field: target,
            **extra,
        }
        if note and cls.note_field:
            values[cls.note_field] = note
        values["actor"] = (
            actor if actor is not None and getattr(actor, "is_authenticated", False) else None
        )
        return cls._default_manager.create(**values)

    @property
    def source(self) -> str:
        return str(getattr(self, self.source_field, ""))

    @property
    def target(self) -> str:
        return str(getattr(self, self.target_field, ""))

"""Access to a result's confidential details under a non-disclosure agreement (NDA).

An enterprise user asks (:class:`AccessRequest`: accepting the platform's NDA text, or uploading a
signed NDA); a TTO manager approves it with an expiry, which creates an :class:`AccessGrant`.
``opentto/access/permissions.py`` lets the grant's user view the result and its details while the
grant is live (not expired, not revoked), and says who sees which requests and grants."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opentto.core.permissions import RestrictedQuerySet
from opentto.core.transitions import Edge, Transitions

#: The click-through agreement shown with each request (its version is recorded).
NDA_VERSION = "2026-11"


class AccessRequestStatusChoices(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class NdaKindChoices(models.TextChoices):
    CLICK_THROUGH = "click_through", _("Accepted the platform's NDA")
    SIGNED_UPLOAD = "signed_upload", _("Uploaded a signed NDA")


#: Status changes allowed for a request (``opentto.core.transitions``); each has its service in
#: ``opentto.access.services`` and names the action on the request it asks.
ACCESS_REQUEST_TRANSITIONS = Transitions(
    "access",
    (
        Edge(
            AccessRequestStatusChoices.PENDING,
            AccessRequestStatusChoices.APPROVED,
            "approve",
            "decide",
            refused="only the TTO approves access",
        ),
        Edge(
            AccessRequestStatusChoices.PENDING,
            AccessRequestStatusChoices.REJECTED,
            "reject",
            "decide",
            refused="only the TTO rejects access",
        ),
        Edge(
            AccessRequestStatusChoices.PENDING,
            AccessRequestStatusChoices.WITHDRAWN,
            "withdraw",
            "withdraw",
            refused="only the requester withdraws a request",
        ),
    ),
    labels=AccessRequestStatusChoices,
    ask_first=True,
    error_field="__all__",
    illegal=_("This request has already been decided."),
)


def nda_path(instance: AccessRequest, filename: str) -> str:
    # Never the user's file name: an unguessable name, served only by a permission-checked view.
    return f"nda/{uuid.uuid4().hex}"


class AccessRequestQuerySet(RestrictedQuerySet["AccessRequest"]):
    """``AccessRequest.objects.restrict(user, action)`` (opentto/access/permissions.py)."""


class AccessRequest(models.Model):
    result = models.ForeignKey(
        "results.Result",
        on_delete=models.CASCADE,
        related_name="access_requests",
        verbose_name=_("result"),
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="access_requests",
        verbose_name=_("requested by"),
    )
    organisation = models.ForeignKey(
        "organisations.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("organisation"),
    )
    purpose = models.TextField(_("purpose"), max_length=2000)
    nda_kind = models.CharField(_("NDA"), max_length=16, choices=NdaKindChoices.choices)
    nda_version = models.CharField(_("NDA version"), max_length=16, blank=True)
    nda_file = models.FileField(upload_to=nda_path, max_length=300, blank=True)
    nda_file_name = models.CharField(_("file name"), max_length=255, blank=True)
    nda_file_type = models.CharField(max_length=100, blank=True)
    nda_file_sha256 = models.CharField(max_length=64, blank=True)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=AccessRequestStatusChoices.choices,
        default=AccessRequestStatusChoices.PENDING,
    )
    requested_at = models.DateTimeField(_("requested"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_note = models.TextField(_("note"), blank=True)

    objects = AccessRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("access request")
        verbose_name_plural = _("access requests")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=AccessRequestStatusChoices.values),
                name="access_request_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(nda_kind__in=NdaKindChoices.values),
                name="access_request_nda_kind_valid",
            ),
            models.UniqueConstraint(
                fields=["result", "requester"],
                condition=models.Q(status="pending"),
                name="access_request_one_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.requester} → {self.result} ({self.status})"


class AccessGrantQuerySet(RestrictedQuerySet["AccessGrant"]):
    def live(self) -> AccessGrantQuerySet:
        return self.filter(revoked_at__isnull=True, expires_at__gt=timezone.now())


class AccessGrant(models.Model):
    """A user may read a result's confidential details until ``expires_at`` (unless revoked)."""

    result = models.ForeignKey(
        "results.Result",
        on_delete=models.CASCADE,
        related_name="access_grants",
        verbose_name=_("result"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="access_grants",
        verbose_name=_("user"),
    )
    request = models.OneToOneField(
        AccessRequest, null=True, blank=True, on_delete=models.PROTECT, related_name="grant"
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("granted by"),
    )
    granted_at = models.DateTimeField(_("granted"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = AccessGrantQuerySet.as_manager()

    class Meta:
        ordering = ["-granted_at", "-id"]
        verbose_name = _("access grant")
        verbose_name_plural = _("access grants")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("granted_at")),
                name="access_grant_expires_after_granted",
            ),
        ]
        indexes = [models.Index(fields=["user", "expires_at"])]

    def __str__(self) -> str:
        return f"{self.user} → {self.result} until {self.expires_at:%Y-%m-%d}"

    @property
    def is_live(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()

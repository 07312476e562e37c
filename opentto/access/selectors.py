"""Reads for access under NDA and the access log. Each takes the user and returns only what that
user may see (``opentto/access/permissions.py``)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from opentto.core.models import AuditEvent
from opentto.core.permissions import allows, permitted, restrict
from opentto.results.models import Result

from .models import (
    AccessGrant,
    AccessGrantQuerySet,
    AccessRequest,
    AccessRequestQuerySet,
    AccessRequestStatusChoices,
)

#: Actions shown in "who looked at this result".
ACCESS_LOG_ACTIONS = ("result.view_details", "attachment.download")


def access_requests_visible(user: Any) -> AccessRequestQuerySet:
    """The TTO every request; a requester their own (while they may see its result)."""
    return AccessRequest.objects.restrict(user, "view")


def access_requests_decidable(user: Any) -> AccessRequestQuerySet:
    return AccessRequest.objects.restrict(user, "decide")


def access_requests_withdrawable(user: Any) -> AccessRequestQuerySet:
    return AccessRequest.objects.restrict(user, "withdraw")


def access_grants_visible(user: Any) -> AccessGrantQuerySet:
    return AccessGrant.objects.restrict(user, "view")


def access_grants_revocable(user: Any) -> AccessGrantQuerySet:
    return AccessGrant.objects.restrict(user, "revoke")


def nda_files_downloadable(user: Any) -> AccessRequestQuerySet:
    """Requests whose signed NDA ``user`` may download: the TTO's and the requester's."""
    return access_requests_visible(user).exclude(nda_file="")


def audit_events_visible(user: Any) -> QuerySet[AuditEvent]:
    return restrict(AuditEvent.objects.all(), user, "view")


def result_access_log(user: Any, result: Result, limit: int = 20) -> list[AuditEvent]:
    """Who read ``result``'s confidential details or downloaded its attachments, newest first,
    as far as ``user`` may read the audit entries about it."""
    attachment_ids = [str(pk) for pk in result.attachments.values_list("pk", flat=True)]
    condition = Q(
        action="result.view_details", object_type="results.result", object_id=str(result.pk)
    )
    if attachment_ids:
        condition |= Q(
            action="attachment.download",
            object_type="results.attachment",
            object_id__in=attachment_ids,
        )
    return list(
        audit_events_visible(user).filter(condition).select_related("actor").order_by("-id")[:limit]
    )


def result_security_panel_data(user: Any, result: Result) -> dict[str, Any]:
    """The result page's security panel: *who looked at this result* (for those who may read its
    access log) and asking for access under an NDA (for those who may ask)."""
    data: dict[str, Any] = {"result": result, "show_log": False, "can_request": False}
    if user is None or not user.is_authenticated:
        return data
    if allows(user, result, "view_access_log"):
        data["show_log"] = True
        data["log"] = result_access_log(user, result)
        data["grants"] = (
            access_grants_visible(user).live().filter(result=result).select_related("user")
        )
    if permitted(user, Result, "request_access"):  # someone who asks for access under NDA
        data["my_grant"] = (
            access_grants_visible(user)
            .live()
            .filter(result=result, user=user)
            .order_by("-expires_at")
            .first()
        )
        data["my_pending"] = (
            access_requests_visible(user)
            .filter(result=result, requester=user, status=AccessRequestStatusChoices.PENDING)
            .first()
        )
        data["can_request"] = (
            data["my_grant"] is None
            and data["my_pending"] is None
            and allows(user, result, "request_access")
        )
    return data

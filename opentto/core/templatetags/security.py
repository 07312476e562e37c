"""The result page's security panel: who looked at the result (for its owners and the TTO) and
asking for access under an NDA (for enterprise users and investors)."""

from __future__ import annotations

from typing import Any

from django import template
from django.db.models import Q

from opentto.accounts.models import UserRoleChoices
from opentto.core.models import AuditEvent
from opentto.core.permissions import is_platform_staff, user_role

register = template.Library()

#: Actions shown in "who looked at this result".
ACCESS_ACTIONS = ("result.view_details", "attachment.download")


def result_access_log(result: Any, limit: int = 20) -> list[AuditEvent]:
    attachment_ids = [str(pk) for pk in result.attachments.values_list("pk", flat=True)]
    condition = Q(action="result.view_details", object_type="results.result", object_id=str(result.pk))
    if attachment_ids:
        condition |= Q(action="attachment.download", object_type="results.attachment", object_id__in=attachment_ids)
    return list(AuditEvent.objects.filter(condition).select_related("actor").order_by("-id")[:limit])


def sees_access_log(user: Any, result: Any) -> bool:
    """The TTO, and staff and inventors of an organisation that owns the result."""
    if is_platform_staff(user):
        return True
    org = getattr(user, "organisation_id", None)
    return user_role(user) == UserRoleChoices.INVENTOR and org is not None and result.ownerships.filter(organisation_id=org).exists()


@register.inclusion_tag("core/partials/security_panel.html", takes_context=True)
def result_security_panel(context: dict[str, Any], result: Any) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    data: dict[str, Any] = {"result": result, "show_log": False, "can_request": False}
    if user is None or not user.is_authenticated:
        return data
    from opentto.access.models import AccessGrant, AccessRequest, AccessRequestStatusChoices
    from opentto.access.services import REQUESTER_ROLES

    if sees_access_log(user, result):
        data["show_log"] = True
        data["log"] = result_access_log(result)
        data["grants"] = AccessGrant.objects.live().filter(result=result).select_related("user")
        data["staff"] = is_platform_staff(user)
    if user_role(user) in REQUESTER_ROLES:
        data["my_grant"] = AccessGrant.objects.live().filter(result=result, user=user).order_by("-expires_at").first()
        data["my_pending"] = AccessRequest.objects.filter(result=result, requester=user, status=AccessRequestStatusChoices.PENDING).first()
        data["can_request"] = data["my_grant"] is None and data["my_pending"] is None
    return data

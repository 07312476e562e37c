"""Writes for NDA access: request, approve (with an expiry), reject, withdraw, revoke; and the
personal data of people (PIPL): set, reveal, consent, export, erase."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from opentto.accounts.models import User
from opentto.core.audit import audit_record
from opentto.core.permissions import allows, permitted, users_permitted
from opentto.core.transitions import transition
from opentto.core.uploads import check_upload
from opentto.results.models import Result

from .models import (
    ACCESS_REQUEST_TRANSITIONS,
    NDA_VERSION,
    AccessGrant,
    AccessRequest,
    AccessRequestStatusChoices,
    NdaKindChoices,
)

MAX_ACCESS_DAYS = 365


def access_request_create(
    *,
    result: Result,
    purpose: str,
    nda_kind: str,
    actor: User,
    accept_nda: bool = False,
    nda_file: UploadedFile | None = None,
    request: Any = None,
) -> AccessRequest:
    """Ask for ``result``'s confidential details under an NDA: the actor needs the
    ``request_access`` action on it (enterprise users and investors, on results they see but whose
    details they may not read)."""
    if not permitted(actor, Result, "request_access"):
        raise PermissionError("only enterprise users and investors ask for access under an NDA")
    if not allows(actor, result, "view"):
        raise PermissionError("the result is not visible to this user")
    errors: dict[str, list[str]] = {}
    purpose = (purpose or "").strip()
    if not purpose:
        errors["purpose"] = [_("Say what you need the confidential details for.")]
    elif len(purpose) > 2000:
        errors["purpose"] = [_("Keep the purpose under 2,000 characters.")]
    checked = None
    if nda_kind == NdaKindChoices.CLICK_THROUGH:
        if not accept_nda:
            errors["accept_nda"] = [_("Accept the non-disclosure agreement to ask for access.")]
    elif nda_kind == NdaKindChoices.SIGNED_UPLOAD:
        if nda_file is None:
            errors["nda_file"] = [_("Upload the signed NDA (PDF or image).")]
        else:
            try:
                checked = check_upload(nda_file)
            except ValidationError as exc:
                errors["nda_file"] = exc.messages
    else:
        errors["nda_kind"] = [_("Choose how you agree to the NDA.")]
    if allows(actor, result, "view_details"):
        errors.setdefault("__all__", []).append(
            _("You can already read this result's confidential details.")
        )
    if AccessRequest.objects.filter(
        result=result, requester=actor, status=AccessRequestStatusChoices.PENDING
    ).exists():
        errors.setdefault("__all__", []).append(
            _("You have already asked for access to this result; the TTO will decide soon.")
        )
    if errors:
        raise ValidationError(errors)
    if not allows(actor, result, "request_access"):
        raise PermissionError("this user may not ask for access to this result")
    try:
        with transaction.atomic():
            item = AccessRequest(
                result=result,
                requester=actor,
                organisation_id=actor.organisation_id,
                purpose=purpose,
                nda_kind=nda_kind,
                nda_version=NDA_VERSION if nda_kind == NdaKindChoices.CLICK_THROUGH else "",
            )
            if checked is not None:
                item.nda_file_name, item.nda_file_type, item.nda_file_sha256 = (
                    checked.safe_name,
                    checked.content_type,
                    checked.sha256,
                )
                item.nda_file.save("nda", checked.file, save=False)
            item.save()
            audit_record(
                actor=actor,
                action="access.request",
                obj=item,
                payload={"result": result.pk, "nda_kind": nda_kind},
                request=request,
            )
    except IntegrityError as exc:  # a second request raced the first
        raise ValidationError(
            {
                "__all__": [
                    _("You have already asked for access to this result; the TTO will decide soon.")
                ]
            }
        ) from exc
    _notify_staff(item)
    return item


def _notify_staff(item: AccessRequest) -> None:
    try:
        from opentto.notifications.services import notification_send
    except ImportError:  # pragma: no cover
        return
    # Those who may decide this request (the TTO).
    deciders = [u for u in users_permitted(AccessRequest, "decide") if allows(u, item, "decide")]
    if deciders:
        notification_send(
            recipients=deciders,
            kind="access.request",
            title_zh=f"NDA 访问申请：{item.result.title_zh or item.result.title_en}",
            title_en=f"NDA access request: {item.result.title_en or item.result.title_zh}",
            body_zh=f"{item.requester.get_username()} 申请查看保密详情。",
            body_en=f"{item.requester.get_username()} asks to read the confidential details.",
            url="/account/access/",
        )


def _transition(item: AccessRequest, target: str) -> None:
    """The table's edge (the service asked the edge's action already)."""
    ACCESS_REQUEST_TRANSITIONS.check_edge(item, target)


def access_request_approve(
    *,
    access_request: AccessRequest,
    expires_on: Any,
    actor: User,
    note: str = "",
    request: Any = None,
) -> AccessGrant:
    if not allows(actor, access_request, "decide"):
        raise PermissionError("only the TTO approves access")
    today = timezone.localdate()
    if expires_on is None:
        raise ValidationError({"expires_on": [_("Give the date the access ends.")]})
    if expires_on <= today:
        raise ValidationError({"expires_on": [_("The access must end after today.")]})
    if expires_on > today + timedelta(days=MAX_ACCESS_DAYS):
        raise ValidationError(
            {"expires_on": [_("Access is granted for at most a year; ask again to extend it.")]}
        )
    with transaction.atomic():
        item = AccessRequest.objects.select_for_update().get(pk=access_request.pk)
        _transition(item, AccessRequestStatusChoices.APPROVED)
        now = timezone.now()
        expires_at = timezone.make_aware(datetime.combine(expires_on, time(23, 59, 59)))
        item.status, item.decided_by, item.decided_at, item.decision_note = (
            AccessRequestStatusChoices.APPROVED,
            actor,
            now,
            note.strip(),
        )
        item.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        grant = AccessGrant.objects.create(
            result=item.result,
            user=item.requester,
            request=item,
            granted_by=actor,
            granted_at=now,
            expires_at=expires_at,
        )
        audit_record(
            actor=actor,
            action="access.approve",
            obj=item,
            payload={
                "grant": grant.pk,
                "expires_at": expires_at,
                "user": item.requester_id,
                "result": item.result_id,
            },
            request=request,
        )
    access_request.status = item.status
    return grant


def access_request_reject(
    *, access_request: AccessRequest, note: str, actor: User, request: Any = None
) -> AccessRequest:
    if not allows(actor, access_request, "decide"):
        raise PermissionError("only the TTO rejects access")
    if not (note or "").strip():
        raise ValidationError({"note": [_("Give the reason; the requester sees it.")]})
    with transaction.atomic():
        item = AccessRequest.objects.select_for_update().get(pk=access_request.pk)
        _transition(item, AccessRequestStatusChoices.REJECTED)
        item.status, item.decided_by, item.decided_at, item.decision_note = (
            AccessRequestStatusChoices.REJECTED,
            actor,
            timezone.now(),
            note.strip(),
        )
        item.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        audit_record(
            actor=actor,
            action="access.reject",
            obj=item,
            payload={"note": item.decision_note},
            request=request,
        )
    return item


def access_request_withdraw(*, access_request: AccessRequest, actor: User) -> AccessRequest:
    return transition(
        obj=access_request,
        target=AccessRequestStatusChoices.WITHDRAWN,
        actor=actor,
        table=ACCESS_REQUEST_TRANSITIONS,
        fields={"decided_at": timezone.now()},
        audit_payload={},
    )


def access_grant_revoke(*, grant: AccessGrant, actor: User, request: Any = None) -> AccessGrant:
    if not allows(actor, grant, "revoke"):
        raise PermissionError("only the TTO revokes access")
    with transaction.atomic():
        locked = AccessGrant.objects.select_for_update().get(pk=grant.pk)
        if locked.revoked_at is not None:
            raise ValidationError({"__all__": [_("This access has already been revoked.")]})
        locked.revoked_at, locked.revoked_by = timezone.now(), actor
        locked.save(update_fields=["revoked_at", "revoked_by"])
        audit_record(
            actor=actor,
            action="access.revoke",
            obj=locked,
            payload={"user": locked.user_id, "result": locked.result_id},
            request=request,
        )
    return locked

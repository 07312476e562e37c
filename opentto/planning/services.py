"""Writes for planning. Here: approving a transfer plan with its chosen mode."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from opentto.accounts.models import User
from opentto.core.audit import audit_record
from opentto.core.permissions import is_platform_staff
from opentto.results.models import Result, ResultStageChoices

from .models import TransferModeChoices, TransferPlan


def plan_approve(
    *, result: Result, transfer_mode: str, summary_zh: str = "", summary_en: str = "", actor: User,
    approved_at: datetime | None = None,
) -> TransferPlan:
    if not is_platform_staff(actor):
        raise PermissionError(_("Only TTO managers approve transfer plans."))
    errors: dict[str, list[str]] = {}
    if transfer_mode not in TransferModeChoices.values:
        errors["transfer_mode"] = [_("Choose the transfer mode.")]
    if not summary_zh.strip() and not summary_en.strip():
        errors["summary_zh"] = [_("Write the summary in Chinese, in English, or both.")]
    if result.stage != ResultStageChoices.PLANNING:
        errors.setdefault("transfer_mode", []).append(_("The result is not in planning."))
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = Result.objects.select_for_update().get(pk=result.pk)
        plan = TransferPlan.objects.create(
            result=locked, transfer_mode=transfer_mode, summary_zh=summary_zh.strip(),
            summary_en=summary_en.strip(), approved_by=actor, approved_at=approved_at or timezone.now(),
        )
        audit_record(actor=actor, action="plan.approve", obj=plan, payload={"result": locked.pk, "mode": transfer_mode})
    return plan

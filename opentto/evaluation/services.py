"""Writes for evaluations. Here: recording an evaluation summary with its decision."""

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

from .models import EvaluationDecisionChoices, EvaluationSummary


def evaluation_record(
    *,
    result: Result,
    decision: str,
    summary_zh: str = "",
    summary_en: str = "",
    trl_assessed: int | None = None,
    actor: User,
    decided_at: datetime | None = None,
) -> EvaluationSummary:
    """Record the outcome of a result's evaluation; the manager's decision then moves the pipeline."""
    if not is_platform_staff(actor):
        raise PermissionError(_("Only TTO managers record evaluations."))
    errors: dict[str, list[str]] = {}
    if decision not in EvaluationDecisionChoices.values:
        errors["decision"] = [_("Choose a decision.")]
    if not summary_zh.strip() and not summary_en.strip():
        errors["summary_zh"] = [_("Write the summary in Chinese, in English, or both.")]
    if trl_assessed is not None and not 1 <= trl_assessed <= 9:
        errors["trl_assessed"] = [_("The TRL is a whole number from 1 to 9.")]
    if result.stage != ResultStageChoices.EVALUATION:
        errors.setdefault("decision", []).append(_("The result is not in evaluation."))
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = Result.objects.select_for_update().get(pk=result.pk)
        evaluation = EvaluationSummary.objects.create(
            result=locked, decision=decision, summary_zh=summary_zh.strip(), summary_en=summary_en.strip(),
            trl_assessed=trl_assessed, decided_by=actor, decided_at=decided_at or timezone.now(),
        )
        if trl_assessed is not None and trl_assessed != locked.trl:
            locked.trl = trl_assessed
            locked.save(update_fields=["trl", "updated_at"])
        audit_record(actor=actor, action="evaluation.record", obj=evaluation, payload={"result": locked.pk, "decision": decision})
    return evaluation

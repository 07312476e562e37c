"""The rule behind the pipeline's ``evaluation → …`` guards (``opentto.results.pipeline``).

A result leaves evaluation on the latest recorded outcome (``EvaluationSummary``). That outcome is
either written by finalising a review round, or is a manager's override recorded with a written
reason (``evaluation_record``, audited as ``evaluation.record`` with ``override: true``). A review
round still under way that was opened after the latest outcome blocks the move until it is
finalised or cancelled, so an old decision cannot short-cut a new review.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from opentto.results.models import Result


def evaluation_outcome_problem(result: Result, decision: str) -> str | None:
    from .models import LIVE_ROUND_STATUSES, EvaluationSummary

    latest = EvaluationSummary.objects.filter(result_id=result.pk).select_related("review_round").order_by("-decided_at", "-id").first()
    if latest is None:
        return _("Finalise an evaluation round first, or record the outcome as a manager's override with a written reason.")
    if latest.review_round is not None and latest.review_round.status != "finalised":
        return _("The evaluation round behind the latest outcome is not finalised.")
    if latest.review_round is None and not (latest.summary_zh.strip() or latest.summary_en.strip()):
        return _("A manager's override needs a written reason.")
    if result.review_rounds.filter(status__in=LIVE_ROUND_STATUSES, opened_at__gt=latest.decided_at).exists():
        return _("A review round is still under way; finalise or cancel it first.")
    if latest.decision != decision:
        return _("The latest evaluation's decision is “%(decision)s”.") % {"decision": latest.get_decision_display()}
    return None

"""The rule behind the pipeline's ``evaluation → …`` guards (``opentto.results.pipeline``).

A result leaves evaluation on the latest recorded outcome (``EvaluationSummary``). That outcome is
either written by finalising a review round, or is a manager's override recorded with a written
reason (``evaluation_record``, audited as ``evaluation.record`` with ``override: true``). A review
round still under way that was opened after the latest outcome blocks the move until it is
finalised or cancelled, so an old decision cannot short-cut a new review.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from opentto.results.models import Result


#: Within :func:`outcome_memo`, the latest outcome and the "round under way" check are read once
#: per result, however many of the guards ask (the result page asks for all three moves).
_MEMO: ContextVar[dict[int, Any] | None] = ContextVar("evaluation_outcome_memo", default=None)


@contextmanager
def outcome_memo() -> Iterator[None]:
    token = _MEMO.set({})
    try:
        yield
    finally:
        _MEMO.reset(token)


def _outcome_state(result: Result) -> tuple[Any, bool]:
    from .models import LIVE_ROUND_STATUSES, EvaluationSummary

    memo = _MEMO.get()
    if memo is not None and result.pk in memo:
        return memo[result.pk]
    latest = (
        EvaluationSummary.objects.filter(result_id=result.pk)
        .select_related("review_round")
        .order_by("-decided_at", "-id")
        .first()
    )
    under_way = (
        latest is not None
        and result.review_rounds.filter(
            status__in=LIVE_ROUND_STATUSES, opened_at__gt=latest.decided_at
        ).exists()
    )
    if memo is not None:
        memo[result.pk] = (latest, under_way)
    return latest, under_way


def evaluation_outcome_problem(result: Result, decision: str) -> str | None:
    latest, under_way = _outcome_state(result)
    if latest is None:
        return _(
            "Finalise an evaluation round first, or record the outcome as a manager's override with a written reason."
        )
    if latest.review_round is not None and latest.review_round.status != "finalised":
        return _("The evaluation round behind the latest outcome is not finalised.")
    if latest.review_round is None and not (latest.summary_zh.strip() or latest.summary_en.strip()):
        return _("A manager's override needs a written reason.")
    if under_way:
        return _("A review round is still under way; finalise or cancel it first.")
    if latest.decision != decision:
        return _("The latest evaluation's decision is “%(decision)s”.") % {
            "decision": latest.get_decision_display()
        }
    return None

"""The four-step pipeline as an explicit state machine.

``onboarding → evaluation → planning → landing → landed`` with side states ``on_hold``,
``withdrawn`` and ``declined``. ``TRANSITIONS`` (an ``opentto.core.transitions`` table) lists every legal move, the action on the result
that a user needs to take it (``opentto/results/permissions.py`` grants them: the TTO every edge,
an owning inventor ``submit`` and ``withdraw``) and its guard. ``result_transition`` is the one
service that moves a result, through ``opentto.core.transitions.transition``: it locks the row,
checks the move, ``allows(actor, result, action)`` and the guard, sets the stage, records a
``StageTransition`` and an audit event.
``landing → landed`` and ``landed → landing`` are performed only by signing and terminating a deal
(``opentto.landing.services``), never by hand.
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from opentto.accounts.models import User
from opentto.core.cache import figures_changed
from opentto.core.transitions import Edge, Guard, TransitionError, Transitions, transition

from .hooks import evaluation_outcome_problem, outcome_memo
from .models import Result, ResultStageChoices, StageTransition

S = ResultStageChoices
ACTIVE_STAGES = (S.ONBOARDING, S.EVALUATION, S.PLANNING, S.LANDING)


def guard_proceed(result: Result) -> str | None:
    """A finalised evaluation round whose outcome is "proceed", or a manager's override with a
    written, audited reason (the rule of ``opentto.evaluation.guards``, registered in ``hooks``)."""
    return evaluation_outcome_problem(result, "proceed")


def guard_improve(result: Result) -> str | None:
    return evaluation_outcome_problem(result, "improve")


def guard_decline(result: Result) -> str | None:
    return evaluation_outcome_problem(result, "decline")


def guard_plan_approved(result: Result) -> str | None:
    # A draft, submitted or rejected plan is not enough: a manager must have approved one
    # (opentto.planning: draft → submitted → approved).
    if not result.plans.filter(status="approved").exists():
        if result.plans.filter(status="submitted").exists():
            return _("The transfer plan is submitted but not yet approved by a manager.")
        return _("An approved transfer plan is required before landing.")
    return None


def guard_has_counted_deal(result: Result) -> str | None:
    if not result.deals.counted().exists():
        return _("A result is landed only when a deal covering it is signed.")
    return None


def guard_no_counted_deal(result: Result) -> str | None:
    if result.deals.counted().exists():
        return _("A signed deal still covers this result.")
    return None


def guard_resume(result: Result, target: str) -> str | None:
    if result.stage_before_hold != target:
        return _("An on-hold result resumes at the stage it left.")
    return None


def _edge(
    source: str,
    target: str,
    verb: str,
    label: Promise,
    guard: Guard | None = None,
    reason_required: bool = False,
    *,
    by_user: bool = True,
) -> Edge:
    """An edge of the pipeline: ``verb`` is also the action on ``results.result`` a user needs to
    take it; ``by_user=False``: taken only by a deal's signing or termination (``system=True``)."""
    return Edge(source, target, verb, verb if by_user else None, guard, label, reason_required)


#: The pipeline's edges (``opentto.core.transitions``): an edge named by its verb, which is the
#: action on the result a user needs; a resumed result goes back to the stage it left.
TRANSITIONS = Transitions(
    "result",
    (
        _edge(S.ONBOARDING, S.EVALUATION, "submit", gettext_lazy("Submit for evaluation")),
        _edge(
            S.EVALUATION, S.PLANNING, "proceed", gettext_lazy("Proceed to planning"), guard_proceed
        ),
        _edge(
            S.EVALUATION,
            S.ONBOARDING,
            "return",
            gettext_lazy("Return for improvement"),
            guard_improve,
            True,
        ),
        _edge(S.EVALUATION, S.DECLINED, "decline", gettext_lazy("Decline"), guard_decline, True),
        _edge(S.PLANNING, S.LANDING, "land", gettext_lazy("Move to landing"), guard_plan_approved),
        _edge(
            S.LANDING,
            S.LANDED,
            "mark_landed",
            gettext_lazy("Landed (by a signed deal)"),
            guard_has_counted_deal,
            by_user=False,
        ),
        _edge(
            S.LANDED,
            S.LANDING,
            "reopen_landing",
            gettext_lazy("Back to landing (deal terminated)"),
            guard_no_counted_deal,
            by_user=False,
        ),
        *(
            _edge(stage, S.ON_HOLD, "hold", gettext_lazy("Put on hold"), None, True)
            for stage in ACTIVE_STAGES
        ),
        *(
            _edge(S.ON_HOLD, stage, "resume", gettext_lazy("Resume"), guard_resume)
            for stage in ACTIVE_STAGES
        ),
        *(
            _edge(stage, S.WITHDRAWN, "withdraw", gettext_lazy("Withdraw"), None, True)
            for stage in (*ACTIVE_STAGES, S.ON_HOLD)
        ),
    ),
    field="stage",
    error_field="stage",
    labels=S,
    illegal=gettext_lazy("A result cannot move from “%(source)s” to “%(target)s”."),
    refused=gettext_lazy("You may not take this step."),
    refusal_error=TransitionError,
    system_refused=gettext_lazy("This step happens only when a deal is signed or terminated."),
)
#: An edge is a :class:`~opentto.core.transitions.Edge` (``verb``, ``label``, ``reason_required``, ``by_user``).
Transition = Edge
TRANSITIONS_BY_EDGE: dict[tuple[str, str], Edge] = TRANSITIONS.by_edge


def transition_problem(
    result: Result, target: str, actor: User | None, *, system: bool = False
) -> str | None:
    """Why ``result`` cannot move to ``target`` now (``None`` when it can)."""
    problem = TRANSITIONS.problem(result, target, actor, system=system)
    return problem.message if problem is not None else None


def available_transitions(result: Result, actor: User | None) -> list[Transition]:
    """The moves ``actor`` may make on ``result`` now, for the result page's buttons (the
    evaluation outcome behind several guards is read once)."""
    with outcome_memo():
        return [
            t
            for t in TRANSITIONS
            if t.source == result.stage and transition_problem(result, t.target, actor) is None
        ]


def result_transition(
    *,
    result: Result,
    target: str,
    actor: User | None,
    reason: str = "",
    occurred_at: datetime | None = None,
    system: bool = False,
) -> Result:
    """Move ``result`` to ``target``; raises ``TransitionError`` (nothing changes) when not allowed."""
    when = occurred_at or timezone.now()
    reason = reason.strip()

    def record(row: Result, source: str, edge: Edge) -> None:
        StageTransition.record(
            row, source=source, target=target, actor=actor, note=reason, occurred_at=when
        )
        figures_changed()

    transition(
        obj=result,
        target=target,
        actor=actor,
        table=TRANSITIONS,
        system=system,
        reason=reason,
        fields=lambda row: {
            "stage_before_hold": row.stage if target == S.ON_HOLD else "",
            "stage_changed_at": when,
        },
        event=record,
        audit_action="result.transition",
        audit_payload=lambda row, source: {"from": source, "to": target, "reason": reason},
    )
    result.refresh_from_db()
    return result

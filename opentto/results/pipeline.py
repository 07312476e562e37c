"""The four-step pipeline as an explicit state machine.

``onboarding → evaluation → planning → landing → landed`` with side states ``on_hold``,
``withdrawn`` and ``declined``. ``TRANSITIONS`` lists every legal move, the action on the result
that a user needs to take it (``opentto/results/permissions.py`` grants them: the TTO every edge,
an owning inventor ``submit`` and ``withdraw``) and its guard. ``result_transition`` is the one
service that moves a result: it locks the row, checks the move, ``allows(actor, result, action)``
and the guard, sets the stage, records a ``StageTransition`` and an audit event.
``landing → landed`` and ``landed → landing`` are performed only by signing and terminating a deal
(``opentto.landing.services``), never by hand.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from opentto.accounts.models import User
from opentto.core.audit import audit_record
from opentto.core.cache import figures_changed
from opentto.core.permissions import allows

from .hooks import evaluation_outcome_problem, outcome_memo
from .models import Result, ResultStageChoices, StageTransition

S = ResultStageChoices
ACTIVE_STAGES = (S.ONBOARDING, S.EVALUATION, S.PLANNING, S.LANDING)


class TransitionError(ValidationError):
    """A move that is not allowed: illegal, not this user's, or its guard fails."""


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


@dataclass(frozen=True)
class Transition:
    """One edge. ``verb`` is also the action on ``results.result`` a user needs to take it;
    ``by_user=False``: taken only by a deal's signing or termination (``system=True``), never by
    a user directly."""

    source: str
    target: str
    verb: str
    label: str | Promise
    guard: Callable[[Result], str | None] | None = None
    reason_required: bool = False
    by_user: bool = True


TRANSITIONS: tuple[Transition, ...] = (
    Transition(S.ONBOARDING, S.EVALUATION, "submit", gettext_lazy("Submit for evaluation")),
    Transition(S.EVALUATION, S.PLANNING, "proceed", gettext_lazy("Proceed to planning"), guard_proceed),
    Transition(S.EVALUATION, S.ONBOARDING, "return", gettext_lazy("Return for improvement"), guard_improve, True),
    Transition(S.EVALUATION, S.DECLINED, "decline", gettext_lazy("Decline"), guard_decline, True),
    Transition(S.PLANNING, S.LANDING, "land", gettext_lazy("Move to landing"), guard_plan_approved),
    Transition(S.LANDING, S.LANDED, "mark_landed", gettext_lazy("Landed (by a signed deal)"), guard_has_counted_deal, by_user=False),
    Transition(S.LANDED, S.LANDING, "reopen_landing", gettext_lazy("Back to landing (deal terminated)"), guard_no_counted_deal, by_user=False),
    *(
        Transition(stage, S.ON_HOLD, "hold", gettext_lazy("Put on hold"), None, True)
        for stage in ACTIVE_STAGES
    ),
    *(
        Transition(S.ON_HOLD, stage, "resume", gettext_lazy("Resume"))
        for stage in ACTIVE_STAGES
    ),
    *(
        Transition(stage, S.WITHDRAWN, "withdraw", gettext_lazy("Withdraw"), None, True)
        for stage in (*ACTIVE_STAGES, S.ON_HOLD)
    ),
)
TRANSITIONS_BY_EDGE: dict[tuple[str, str], Transition] = {(t.source, t.target): t for t in TRANSITIONS}


def transition_problem(result: Result, target: str, actor: User | None, *, system: bool = False) -> str | None:
    """Why ``result`` cannot move to ``target`` now (``None`` when it can)."""
    transition = TRANSITIONS_BY_EDGE.get((result.stage, target))
    if transition is None:
        return _("A result cannot move from “%(source)s” to “%(target)s”.") % {
            "source": S(result.stage).label,
            "target": S(target).label if target in S.values else target,
        }
    if not transition.by_user:
        if not system:
            return _("This step happens only when a deal is signed or terminated.")
    elif not allows(actor, result, transition.verb):
        return _("You may not take this step.")
    if transition.source == S.ON_HOLD and (problem := guard_resume(result, target)):
        return problem
    if transition.guard is not None:
        return transition.guard(result)
    return None


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
    with transaction.atomic():
        locked = Result.objects.select_for_update().get(pk=result.pk)
        problem = transition_problem(locked, target, actor, system=system)
        transition = TRANSITIONS_BY_EDGE.get((locked.stage, target))
        if problem is None and transition is not None and transition.reason_required and not reason.strip():
            problem = _("Give a reason for this step.")
        if problem is not None:
            raise TransitionError({"stage": [problem]}, code="illegal_transition")
        when = occurred_at or timezone.now()
        source = locked.stage
        locked.stage_before_hold = source if target == S.ON_HOLD else ""
        locked.stage = target
        locked.stage_changed_at = when
        locked.save(update_fields=["stage", "stage_before_hold", "stage_changed_at", "updated_at"])
        StageTransition.objects.create(
            result=locked, from_stage=source, to_stage=target, actor=actor, reason=reason.strip(), occurred_at=when
        )
        audit_record(
            actor=actor, action="result.transition", obj=locked,
            payload={"from": source, "to": target, "reason": reason.strip()},
        )
        figures_changed()
    result.refresh_from_db()
    return result

"""The transition kit (opentto.core.transitions): one table shape and one helper that locks,
checks the edge, the permission (asked of the permission module) and the guard, saves, records
the event and the audit entry, and fires its callbacks only once the transaction commits."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from opentto.accounts.models import User
from opentto.core.models import AuditEvent
from opentto.core.transitions import Edge, TransitionError, Transitions, transition
from opentto.results.models import Result, ResultStageChoices, StageTransition

S = ResultStageChoices


def _table(guard: Any = None, *, action: str = "submit", **options: Any) -> Transitions:
    return Transitions(
        "kit",
        [
            Edge(S.ONBOARDING, S.EVALUATION, "submit", action, guard),
            Edge(S.EVALUATION, S.ONBOARDING, "return", "return", reason_required=True),
            Edge(S.EVALUATION, S.PLANNING, "proceed", None),
        ],
        field="stage",
        error_field="stage",
        labels=S,
        **options,
    )


def _event(row: Result, source: str, edge: Edge) -> None:
    StageTransition.record(row, source=source, target=row.stage, actor=None, note=edge.verb)


def _move(
    result: Result, target: str, actor: User | None, table: Transitions, **kwargs: Any
) -> Result:
    return transition(obj=result, target=target, actor=actor, table=table, event=_event, **kwargs)


def _unchanged(result: Result) -> None:
    result.refresh_from_db()
    assert result.stage == S.ONBOARDING
    assert not StageTransition.objects.filter(result=result).exclude(from_stage="").exists()
    assert not AuditEvent.objects.filter(action__startswith="kit.").exists()


def test_the_table_answers_edges_targets_and_actions() -> None:
    table = _table()
    assert (S.ONBOARDING, S.EVALUATION) in table
    assert (S.ONBOARDING, S.PLANNING) not in table
    assert table[S.EVALUATION] == (S.ONBOARDING, S.PLANNING)
    assert table.get(S.LANDED) == ()
    assert table.action_for(S.EVALUATION, S.ONBOARDING) == "return"
    assert table.action_for(S.LANDING, S.ONBOARDING) == "return"  # every edge into it asks "return"
    assert table.as_dict() == {
        S.ONBOARDING: (S.EVALUATION,),
        S.EVALUATION: (S.ONBOARDING, S.PLANNING),
    }
    with pytest.raises(ValueError):
        Transitions("twice", [Edge("a", "b", "x"), Edge("a", "b", "y")])


def test_a_move_saves_records_the_event_and_the_audit_entry(
    onboarded: Result, manager: User
) -> None:
    moved = _move(onboarded, S.EVALUATION, manager, _table(), fields={"stage_before_hold": ""})
    assert moved.stage == S.EVALUATION
    onboarded.refresh_from_db()
    assert onboarded.stage == S.EVALUATION
    event = StageTransition.objects.exclude(from_stage="").get(result=onboarded)
    assert (event.from_stage, event.to_stage, event.reason) == (
        S.ONBOARDING,
        S.EVALUATION,
        "submit",
    )
    assert (event.source, event.target) == (S.ONBOARDING, S.EVALUATION)
    audit = AuditEvent.objects.get(action="kit.submit")
    assert audit.actor == manager
    assert audit.object_id == str(onboarded.pk)
    assert audit.payload == {"from": S.ONBOARDING, "to": S.EVALUATION}


def test_a_missing_edge_is_refused_and_nothing_changes(onboarded: Result, manager: User) -> None:
    with pytest.raises(TransitionError) as caught:
        _move(onboarded, S.PLANNING, manager, _table())
    assert isinstance(caught.value, ValidationError)
    assert caught.value.message_dict == {"stage": ["“Onboarding” cannot move to “Planning”."]}
    _unchanged(onboarded)


def test_the_permission_is_asked_of_the_permission_module(
    onboarded: Result,
    other_inventor: User,
    enterprise_user: User,
) -> None:
    # "submit" is granted to an inventor of the result's own organisation only
    with pytest.raises(PermissionError, match="You may not take this step."):
        _move(onboarded, S.EVALUATION, other_inventor, _table())
    _unchanged(onboarded)
    with pytest.raises(ValueError, match="unknown action"):  # an action nobody registered
        _move(onboarded, S.EVALUATION, other_inventor, _table(action="no_such_action"))
    # "submit" is granted to the TTO, not to an enterprise
    with pytest.raises(PermissionError):
        _move(onboarded, S.EVALUATION, enterprise_user, _table())
    _unchanged(onboarded)
    with pytest.raises(TransitionError) as caught:
        _move(
            onboarded,
            S.EVALUATION,
            enterprise_user,
            _table(refused="Not yours.", refusal_error=TransitionError),
        )
    assert caught.value.message_dict == {"stage": ["Not yours."]}
    _unchanged(onboarded)


def test_the_refusal_comes_first_when_the_table_asks_first(
    onboarded: Result, enterprise_user: User
) -> None:
    # the move is missing too, but the table asks the permission of the target's edges first
    with pytest.raises(PermissionError):
        _move(onboarded, S.ONBOARDING, enterprise_user, _table(ask_first=True))
    with pytest.raises(TransitionError):
        _move(onboarded, S.ONBOARDING, enterprise_user, _table())


def test_a_guard_refuses_and_nothing_changes(onboarded: Result, manager: User) -> None:
    seen: list[tuple[str, str]] = []

    def guard(row: Result, target: str) -> str | None:
        seen.append((row.stage, target))
        return "Not ready."

    with pytest.raises(TransitionError) as caught:
        _move(onboarded, S.EVALUATION, manager, _table(guard))
    assert caught.value.message_dict == {"stage": ["Not ready."]}
    assert seen == [(S.ONBOARDING, S.EVALUATION)]
    _unchanged(onboarded)


def test_fields_are_validated_on_the_locked_row_and_a_failure_changes_nothing(
    onboarded: Result, manager: User
) -> None:
    def fields(row: Result) -> dict[str, Any]:
        raise ValidationError({"reason": ["Give the reason."]})

    with pytest.raises(ValidationError):
        _move(onboarded, S.EVALUATION, manager, _table(), fields=fields)
    _unchanged(onboarded)


def test_a_system_edge_is_taken_only_by_the_system(onboarded: Result, manager: User) -> None:
    table = _table()
    evaluation = _move(onboarded, S.EVALUATION, manager, table)
    with pytest.raises(TransitionError, match="taken only by the system"):
        _move(evaluation, S.PLANNING, manager, table)
    assert _move(evaluation, S.PLANNING, None, table, system=True).stage == S.PLANNING


def test_a_reason_is_required_where_the_edge_says(onboarded: Result, manager: User) -> None:
    table = _table()
    _move(onboarded, S.EVALUATION, manager, table)
    with pytest.raises(TransitionError, match="Give a reason"):
        _move(onboarded, S.ONBOARDING, manager, table, reason=" ")
    assert _move(onboarded, S.ONBOARDING, manager, table, reason="more data").stage == S.ONBOARDING


def test_allowed_lists_the_permitted_edges_that_pass_their_guard(
    onboarded: Result, manager: User, enterprise_user: User
) -> None:
    assert [e.verb for e in _table().allowed(onboarded, manager)] == ["submit"]
    assert _table().allowed(onboarded, enterprise_user) == []
    assert _table(lambda row: "no").allowed(onboarded, manager) == []
    assert [e.verb for e in _table(lambda row: "no").allowed(onboarded, manager, guards=False)] == [
        "submit"
    ]


def test_on_commit_fires_only_after_the_commit(
    onboarded: Result, manager: User, django_capture_on_commit_callbacks: Any
) -> None:
    fired: list[str] = []
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        _move(
            onboarded,
            S.EVALUATION,
            manager,
            _table(),
            on_commit=[lambda row, source: fired.append(f"{source}→{row.stage}")],
        )
        assert fired == []  # not before the commit
    assert len(callbacks) == 1
    assert fired == ["onboarding→evaluation"]


def test_on_commit_does_not_fire_when_the_transaction_rolls_back(
    onboarded: Result,
    manager: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    fired: list[str] = []
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        _move(
            onboarded,
            S.EVALUATION,
            manager,
            _table(),
            on_commit=[lambda row, source: fired.append(f"{source}→{row.stage}")],
        )
        raise RuntimeError("later step fails")
    assert callbacks == []
    assert fired == []
    _unchanged(onboarded)

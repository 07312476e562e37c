import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from opentto.core.models import AuditEvent
from opentto.evaluation.services import evaluation_record
from opentto.landing.services import deal_create, deal_sign, deal_terminate
from opentto.planning.services import plan_approve
from opentto.results.models import StageTransition
from opentto.results.pipeline import (
    TRANSITIONS,
    TransitionError,
    available_transitions,
    result_transition,
)

TODAY = dt.date(2026, 11, 20)


def to_landing(result, manager):
    result_transition(result=result, target="evaluation", actor=manager)
    evaluation_record(
        result=result,
        decision="proceed",
        summary_en="Strong result.",
        trl_assessed=5,
        actor=manager,
    )
    result_transition(result=result, target="planning", actor=manager)
    plan_approve(
        result=result,
        transfer_mode="licence",
        summary_en="Exclusive licence to a robot maker.",
        actor=manager,
    )
    result_transition(result=result, target="landing", actor=manager)
    return result


@pytest.mark.django_db
def test_the_whole_pipeline_to_landed_through_a_signed_deal(manager, onboarded, enterprise_org):
    to_landing(onboarded, manager)
    onboarded.refresh_from_db()
    assert onboarded.trl == 5  # updated from the evaluation
    deal = deal_create(
        results=[onboarded],
        counterparty=enterprise_org,
        deal_type="licence_exclusive",
        amount_cny="12000000.50",
        actor=manager,
    )
    assert onboarded.stage == "landing"
    deal_sign(deal=deal, signed_on=TODAY, actor=manager)
    onboarded.refresh_from_db()
    assert onboarded.stage == "landed"
    assert list(
        StageTransition.objects.filter(result=onboarded).values_list("to_stage", flat=True)
    ) == ["onboarding", "evaluation", "planning", "landing", "landed"]
    assert deal.amount_cny == Decimal("12000000.50")


@pytest.mark.django_db
def test_terminating_the_only_signed_deal_returns_the_result_to_landing(
    manager, onboarded, enterprise_org
):
    to_landing(onboarded, manager)
    deal = deal_create(
        results=[onboarded],
        counterparty=enterprise_org,
        deal_type="assignment",
        amount_cny="100",
        actor=manager,
    )
    deal_sign(deal=deal, signed_on=TODAY, actor=manager)
    with pytest.raises(ValidationError):
        deal_terminate(deal=deal, terminated_on=TODAY, reason="", actor=manager)
    deal_terminate(deal=deal, terminated_on=TODAY, reason="Licensee went bankrupt", actor=manager)
    onboarded.refresh_from_db()
    assert onboarded.stage == "landing"
    with pytest.raises(ValidationError):
        deal_sign(deal=deal, signed_on=TODAY, actor=manager)  # terminated is final


@pytest.mark.django_db
def test_illegal_transition_is_refused_with_a_message_and_nothing_changes(manager, onboarded):
    events = AuditEvent.objects.count()
    with pytest.raises(TransitionError) as exc:
        result_transition(result=onboarded, target="landed", actor=manager)
    assert "cannot move" in exc.value.messages[0]
    onboarded.refresh_from_db()
    assert onboarded.stage == "onboarding"
    assert AuditEvent.objects.count() == events
    assert StageTransition.objects.filter(result=onboarded).count() == 1


@pytest.mark.django_db
def test_landed_only_through_a_deal_even_for_a_manager(manager, onboarded):
    to_landing(onboarded, manager)
    with pytest.raises(TransitionError) as exc:
        result_transition(result=onboarded, target="landed", actor=manager)
    assert "deal" in exc.value.messages[0]


@pytest.mark.django_db
def test_guards_require_an_evaluation_decision_and_an_approved_plan(manager, onboarded):
    result_transition(result=onboarded, target="evaluation", actor=manager)
    with pytest.raises(TransitionError):
        result_transition(result=onboarded, target="planning", actor=manager)
    evaluation_record(
        result=onboarded, decision="decline", summary_zh="市场前景不足", actor=manager
    )
    with pytest.raises(TransitionError):
        result_transition(result=onboarded, target="planning", actor=manager)
    with pytest.raises(TransitionError):  # declining needs a reason
        result_transition(result=onboarded, target="declined", actor=manager)
    evaluation_record(result=onboarded, decision="proceed", summary_zh="复议通过", actor=manager)
    result_transition(result=onboarded, target="planning", actor=manager)
    with pytest.raises(TransitionError) as exc:
        result_transition(result=onboarded, target="landing", actor=manager)
    assert "plan" in exc.value.messages[0]


@pytest.mark.django_db
def test_hold_and_resume_at_the_same_stage(manager, onboarded):
    result_transition(result=onboarded, target="evaluation", actor=manager)
    result_transition(
        result=onboarded, target="on_hold", actor=manager, reason="Waiting for the inventor"
    )
    with pytest.raises(TransitionError):
        result_transition(result=onboarded, target="planning", actor=manager)
    result_transition(result=onboarded, target="evaluation", actor=manager)
    assert onboarded.stage == "evaluation"


@pytest.mark.django_db
def test_owning_inventor_submits_and_withdraws_but_does_not_decide(inventor, manager, onboarded):
    result_transition(result=onboarded, target="evaluation", actor=inventor)
    evaluation_record(result=onboarded, decision="proceed", summary_en="ok", actor=manager)
    with pytest.raises(TransitionError) as exc:
        result_transition(result=onboarded, target="planning", actor=inventor)
    assert exc.value.messages == ["You may not take this step."]
    with pytest.raises(PermissionError):
        evaluation_record(result=onboarded, decision="proceed", summary_en="ok", actor=inventor)
    result_transition(
        result=onboarded, target="withdrawn", actor=inventor, reason="Licensed directly"
    )
    assert onboarded.stage == "withdrawn"
    assert available_transitions(onboarded, manager) == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role_fixture", ["other_inventor", "enterprise_user", "reviewer", "official", "investor"]
)
def test_other_roles_cannot_move_a_result(request, role_fixture, onboarded):
    user = request.getfixturevalue(role_fixture)
    with pytest.raises(TransitionError):
        result_transition(result=onboarded, target="evaluation", actor=user)
    assert available_transitions(onboarded, user) == []
    onboarded.refresh_from_db()
    assert onboarded.stage == "onboarding"


@pytest.mark.django_db
def test_deals_need_a_result_in_landing_and_a_non_owner_counterparty(
    manager, onboarded, university, enterprise_org
):
    with pytest.raises(ValidationError) as exc:
        deal_create(
            results=[onboarded],
            counterparty=enterprise_org,
            deal_type="assignment",
            amount_cny="1",
            actor=manager,
        )
    assert "results" in exc.value.message_dict
    to_landing(onboarded, manager)
    with pytest.raises(ValidationError) as exc:
        deal_create(
            results=[onboarded],
            counterparty=university,
            deal_type="assignment",
            amount_cny="-1",
            actor=manager,
        )
    assert set(exc.value.message_dict) == {"counterparty", "amount_cny"}


def test_transition_table_covers_every_stage_and_has_no_duplicate_edges():
    edges = [(t.source, t.target) for t in TRANSITIONS]
    assert len(edges) == len(set(edges))
    from opentto.results.models import ResultStageChoices

    reachable = {t.target for t in TRANSITIONS} | {"onboarding"}
    assert reachable == set(ResultStageChoices.values)

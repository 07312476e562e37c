"""The transfer plan: options with their terms, targets, negotiations and the draft → submitted
→ approved / rejected workflow; the pipeline's guard on planning → landing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from opentto.core.models import AuditEvent
from opentto.planning.models import TransferPlan, TransferPlanEvent
from opentto.planning.services import (
    negotiation_record,
    plan_approve,
    plan_create,
    plan_decide_approve,
    plan_option_add,
    plan_reject,
    plan_revise,
    plan_submit,
    plan_target_add,
)
from opentto.results.pipeline import TransitionError, result_transition

LICENCE_TERMS = {
    "licence_type": "exclusive",
    "field_of_use": "industrial robots",
    "territory": "Mainland China",
    "term_years": "10",
    "upfront_fee_cny": "2000000",
    "royalty_rate": "0.05",
    "minimum_annual_royalty_cny": "300000",
    "milestones": [{"event": "First sale", "amount_cny": "500000"}],
}


def draft_with_licence(result, manager):
    plan = plan_create(
        result=result, transfer_mode="licence", summary_en="Exclusive licence.", actor=manager
    )
    plan_option_add(plan=plan, mode="licence", terms=LICENCE_TERMS, actor=manager)
    return plan


@pytest.mark.django_db
def test_a_plan_without_approval_cannot_move_to_landing(in_planning, manager):
    plan = draft_with_licence(in_planning, manager)
    with pytest.raises(TransitionError) as refused:
        result_transition(result=in_planning, target="landing", actor=manager)
    assert refused.value.message_dict == {
        "stage": ["An approved transfer plan is required before landing."]
    }
    plan_submit(plan=plan, actor=manager)
    with pytest.raises(TransitionError) as refused:
        result_transition(result=in_planning, target="landing", actor=manager)
    assert refused.value.message_dict == {
        "stage": ["The transfer plan is submitted but not yet approved by a manager."]
    }
    in_planning.refresh_from_db()
    assert in_planning.stage == "planning"
    plan_decide_approve(plan=plan, note="Good terms.", actor=manager)
    result_transition(result=in_planning, target="landing", actor=manager)
    in_planning.refresh_from_db()
    assert in_planning.stage == "landing"


@pytest.mark.django_db
def test_a_rejected_plan_does_not_open_landing_and_needs_a_reason(in_planning, manager):
    plan = draft_with_licence(in_planning, manager)
    plan_submit(plan=plan, actor=manager)
    with pytest.raises(ValidationError) as no_reason:
        plan_reject(plan=plan, reason="  ", actor=manager)
    assert no_reason.value.message_dict == {"status": ["Give the reason for rejecting the plan."]}
    plan_reject(plan=plan, reason="Royalty too low for an exclusive licence.", actor=manager)
    plan.refresh_from_db()
    assert (plan.status, plan.decision_note) == (
        "rejected",
        "Royalty too low for an exclusive licence.",
    )
    with pytest.raises(TransitionError):
        result_transition(result=in_planning, target="landing", actor=manager)
    plan_revise(plan=plan, actor=manager)
    plan.refresh_from_db()
    assert plan.status == "draft"
    assert list(
        TransferPlanEvent.objects.filter(plan=plan).values_list("from_status", "to_status")
    ) == [("", "draft"), ("draft", "submitted"), ("submitted", "rejected"), ("rejected", "draft")]


@pytest.mark.django_db
def test_submitting_needs_the_terms_of_the_recommended_mode(in_planning, manager):
    plan = plan_create(
        result=in_planning, transfer_mode="equity", summary_zh="作价入股。", actor=manager
    )
    plan_option_add(plan=plan, mode="licence", terms=LICENCE_TERMS, actor=manager)
    with pytest.raises(ValidationError) as refused:
        plan_submit(plan=plan, actor=manager)
    assert refused.value.message_dict == {
        "status": ["Add the terms of the recommended transfer mode as an option first."]
    }
    plan.refresh_from_db()
    assert plan.status == "draft"


@pytest.mark.django_db
def test_each_mode_requires_its_terms_and_checks_them(in_planning, manager):
    plan = plan_create(result=in_planning, actor=manager)
    with pytest.raises(ValidationError) as refused:
        plan_option_add(plan=plan, mode="licence", terms={"royalty_rate": "5"}, actor=manager)
    errors = refused.value.message_dict
    assert errors["licence_type"] == ["Required for this transfer mode."]
    assert errors["territory"] == ["Required for this transfer mode."]
    assert errors["royalty_rate"][0].startswith("Enter a rate as a fraction")
    with pytest.raises(ValidationError) as refused:
        plan_option_add(
            plan=plan,
            mode="assignment",
            terms={
                "price_cny": "1000000",
                "payment_schedule": [
                    {"due": "2027-01-31", "amount_cny": "400000"},
                    {"due": "2027-06-30", "amount_cny": "500000"},
                ],
            },
            actor=manager,
        )
    assert refused.value.message_dict == {
        "payment_schedule": ["The payments add up to 900000 yuan, not the price of 1000000 yuan."]
    }
    with pytest.raises(ValidationError) as refused:
        plan_option_add(
            plan=plan,
            mode="equity",
            terms={"valuation_cny": "5000000", "equity_share_percent": "120"},
            actor=manager,
        )
    assert refused.value.message_dict == {
        "equity_share_percent": ["Enter a share above 0 and at most 100 (%)."]
    }
    assert plan.options.count() == 0
    option = plan_option_add(
        plan=plan,
        mode="equity",
        terms={"valuation_cny": "5000000.00", "equity_share_percent": "20", "vesting": "4 years"},
        actor=manager,
    )
    assert (option.valuation_cny, option.equity_share_percent) == (
        Decimal("5000000.00"),
        Decimal("20.00"),
    )
    spin = plan_option_add(
        plan=plan,
        mode="spin_off",
        terms={
            "company_name": "Lingshu",
            "founders": "Han Yizhou",
            "registered_capital_cny": "10000000",
        },
        actor=manager,
    )
    rd = plan_option_add(
        plan=plan,
        mode="commissioned_rd",
        terms={
            "partner_scope": "Adapt to welding arms",
            "budget_cny": "800000",
            "duration_months": "18",
        },
        actor=manager,
    )
    assert [o.mode for o in plan.options.all()] == ["equity", "spin_off", "commissioned_rd"]
    assert (spin.registered_capital_cny, rd.duration_months) == (Decimal("10000000"), 18)


@pytest.mark.django_db
def test_approving_a_new_plan_supersedes_the_old_and_only_drafts_change(in_planning, manager):
    first = plan_approve(
        result=in_planning, transfer_mode="licence", summary_en="Licence.", actor=manager
    )
    assert first.status == "approved" and first.options.get().mode == "licence"
    second = draft_with_licence(in_planning, manager)
    with pytest.raises(ValidationError):
        plan_option_add(plan=first, mode="assignment", terms={"price_cny": "1"}, actor=manager)
    plan_submit(plan=second, actor=manager)
    plan_decide_approve(plan=second, actor=manager)
    assert dict(TransferPlan.objects.filter(result=in_planning).values_list("pk", "status")) == {
        first.pk: "superseded",
        second.pk: "approved",
    }


@pytest.mark.django_db
def test_targets_and_negotiation_log(in_planning, manager, enterprise_org, university):
    plan = draft_with_licence(in_planning, manager)
    with pytest.raises(ValidationError) as refused:
        plan_target_add(plan=plan, organisation=university, actor=manager)
    assert refused.value.message_dict == {
        "organisation": ["A target is an enterprise (or an investor for a spin-off)."]
    }
    with pytest.raises(ValidationError) as refused:
        negotiation_record(
            plan=plan,
            organisation=enterprise_org,
            occurred_on=dt.date(2026, 1, 5),
            summary="Call",
            actor=manager,
        )
    assert refused.value.message_dict == {
        "organisation": ["Add the enterprise as a target of the plan first."]
    }
    target = plan_target_add(
        plan=plan, organisation=enterprise_org, rationale="Asked for it.", actor=manager
    )
    negotiation_record(
        plan=plan,
        organisation=enterprise_org,
        occurred_on=dt.date(2026, 1, 5),
        summary="First call.",
        next_step="Term sheet",
        actor=manager,
    )
    target.refresh_from_db()
    assert target.status == "negotiating"
    assert AuditEvent.objects.filter(action="plan.negotiation").count() == 1


@pytest.mark.django_db
def test_only_managers_plan(in_planning, inventor):
    with pytest.raises(PermissionError):
        plan_create(result=in_planning, actor=inventor)
    with pytest.raises(PermissionError):
        plan_approve(result=in_planning, transfer_mode="licence", summary_en="x", actor=inventor)
    assert TransferPlan.objects.count() == 0

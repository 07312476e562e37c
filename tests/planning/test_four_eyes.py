"""Four-eyes approval of transfer plans (``OPENTTO_PLAN_FOUR_EYES``) and the one-step path that
records the approved terms as the two-step path does."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from opentto.core.models import AuditEvent
from opentto.planning.models import TransferOption, TransferPlan, TransferPlanEvent
from opentto.planning.services import (
    plan_approve,
    plan_create,
    plan_decide_approve,
    plan_option_add,
    plan_propose,
    plan_submit,
    plan_update,
)
from tests.planning.test_plan_workflow import LICENCE_TERMS, draft_with_licence
from tests.planning.test_views import client_for

FOUR_EYES = "Four-eyes approval: you drafted or last changed this plan, so another manager or an admin must approve it."


@pytest.fixture
def four_eyes(settings):
    settings.OPENTTO_PLAN_FOUR_EYES = True


def snapshot():
    return (
        list(
            TransferPlan.objects.order_by("pk").values_list(
                "pk", "status", "approved_by", "approved_at", "decision_note"
            )
        ),
        TransferOption.objects.count(),
        TransferPlanEvent.objects.count(),
        AuditEvent.objects.count(),
    )


@pytest.mark.django_db
def test_the_drafter_cannot_approve_and_the_refusal_changes_nothing(
    four_eyes, in_planning, manager, second_manager
):
    plan = draft_with_licence(in_planning, manager)
    plan_submit(plan=plan, actor=manager)
    before = snapshot()
    with pytest.raises(ValidationError) as refused:
        plan_decide_approve(plan=plan, note="ok", actor=manager)
    assert refused.value.message_dict == {"status": [FOUR_EYES]}
    assert snapshot() == before
    approved = plan_decide_approve(plan=plan, note="Terms fit the market.", actor=second_manager)
    assert (approved.status, approved.approved_by, approved.decision_note) == (
        "approved",
        second_manager,
        "Terms fit the market.",
    )


@pytest.mark.django_db
def test_whoever_last_changed_the_plan_cannot_approve_it(
    four_eyes, in_planning, manager, second_manager, admin_user
):
    plan = plan_create(
        result=in_planning, transfer_mode="licence", summary_en="Licence.", actor=manager
    )
    plan_option_add(plan=plan, mode="licence", terms=LICENCE_TERMS, actor=second_manager)
    plan.refresh_from_db()
    assert (plan.created_by, plan.changed_by) == (manager, second_manager)
    plan_submit(plan=plan, actor=manager)
    for who in (manager, second_manager):
        with pytest.raises(ValidationError) as refused:
            plan_decide_approve(plan=plan, actor=who)
        assert refused.value.message_dict == {"status": [FOUR_EYES]}
    plan.refresh_from_db()
    assert plan.status == "submitted"
    assert plan_decide_approve(plan=plan, actor=admin_user).approved_by == admin_user


@pytest.mark.django_db
def test_plan_update_records_who_changed_it(four_eyes, in_planning, manager, second_manager):
    plan = plan_create(
        result=in_planning, transfer_mode="licence", summary_en="Licence.", actor=second_manager
    )
    plan_update(
        plan=plan,
        transfer_mode="licence",
        summary_zh="",
        summary_en="Exclusive licence.",
        actor=manager,
    )
    plan.refresh_from_db()
    assert plan.changed_by == manager


@pytest.mark.django_db
def test_without_four_eyes_the_drafter_may_approve(in_planning, manager, settings):
    settings.OPENTTO_PLAN_FOUR_EYES = False
    plan = draft_with_licence(in_planning, manager)
    plan_submit(plan=plan, actor=manager)
    assert plan_decide_approve(plan=plan, actor=manager).status == "approved"


@pytest.mark.django_db
def test_one_step_approval_records_the_terms_and_the_note(in_planning, manager):
    plan = plan_approve(
        result=in_planning,
        transfer_mode="licence",
        summary_en="Exclusive licence.",
        terms=LICENCE_TERMS,
        note="Agreed with the inventors.",
        actor=manager,
    )
    option = plan.options.get()
    assert (plan.status, plan.approved_by, plan.decision_note) == (
        "approved",
        manager,
        "Agreed with the inventors.",
    )
    assert (option.mode, option.licence_type, option.territory, option.term_years) == (
        "licence",
        "exclusive",
        "Mainland China",
        10,
    )
    assert (option.upfront_fee_cny, option.royalty_rate, option.minimum_annual_royalty_cny) == (
        Decimal("2000000.00"),
        Decimal("0.05"),
        Decimal("300000.00"),
    )
    assert option.milestones == [{"event": "First sale", "amount_cny": "500000"}]


@pytest.mark.django_db
def test_one_step_approval_validates_the_terms_and_saves_nothing(in_planning, manager):
    before = snapshot()
    with pytest.raises(ValidationError) as refused:
        plan_approve(
            result=in_planning,
            transfer_mode="licence",
            summary_en="Licence.",
            terms={"territory": "China"},
            actor=manager,
        )
    assert refused.value.message_dict == {
        "licence_type": ["Required for this transfer mode."],
        "term_years": ["Required for this transfer mode."],
        "royalty_rate": ["A licence needs an upfront fee, a running royalty, or both."],
    }
    assert snapshot() == before


@pytest.mark.django_db
def test_one_step_approval_under_four_eyes(four_eyes, in_planning, manager, second_manager):
    before = snapshot()
    with pytest.raises(ValidationError) as refused:
        plan_approve(
            result=in_planning,
            transfer_mode="licence",
            summary_en="Licence.",
            terms=LICENCE_TERMS,
            actor=manager,
        )
    assert refused.value.message_dict == {"status": [FOUR_EYES]}
    assert snapshot() == before
    plan = plan_approve(
        result=in_planning,
        transfer_mode="licence",
        summary_en="Licence.",
        terms=LICENCE_TERMS,
        actor=manager,
        drafted_by=second_manager,
    )
    assert (plan.status, plan.created_by, plan.approved_by) == ("approved", second_manager, manager)
    proposed = plan_propose(
        result=in_planning,
        transfer_mode="assignment",
        summary_en="Sell it.",
        terms={"price_cny": "900000"},
        actor=manager,
    )
    assert proposed.status == "submitted" and proposed.options.get().price_cny == Decimal(
        "900000.00"
    )
    with pytest.raises(ValidationError):
        plan_decide_approve(plan=proposed, actor=manager)
    assert plan_decide_approve(plan=proposed, actor=second_manager).status == "approved"


QUICK = {
    "transfer_mode": "licence",
    "summary_en": "Exclusive licence to a device maker.",
    "licence_type": "exclusive",
    "territory": "Mainland China",
    "term_years": "10",
    "royalty_rate": "0.05",
    "milestones": "CE mark | 500000",
    "note": "Go.",
}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "status"), [(None, 302), ("inventor", 403), ("enterprise_user", 403)]
)
def test_quick_form_refusals_change_nothing(request, in_planning, who, status):
    user = request.getfixturevalue(who) if who else None
    before = snapshot()
    response = client_for(user).post(f"/en/results/{in_planning.pk}/plan/", QUICK)
    assert response.status_code == status
    assert snapshot() == before


@pytest.mark.django_db
def test_quick_form_approves_with_terms_and_the_panel_shows_them(in_planning, manager):
    client = client_for(manager)
    response = client.post(f"/en/results/{in_planning.pk}/plan/", QUICK)
    assert response.status_code == 302
    plan = TransferPlan.objects.get(result=in_planning)
    option = plan.options.get()
    assert (plan.status, plan.decision_note, option.royalty_rate, option.milestones) == (
        "approved",
        "Go.",
        Decimal("0.05"),
        [{"event": "CE mark", "amount_cny": "500000"}],
    )
    page = client.get(f"/en/results/{in_planning.pk}/").content.decode()
    assert "Mainland China" in page and "Decision note: Go." in page and "Exclusive" in page


@pytest.mark.django_db
def test_quick_form_errors_keep_the_input_and_save_nothing(in_planning, manager):
    before = snapshot()
    response = client_for(manager).post(
        f"/en/results/{in_planning.pk}/plan/",
        {**QUICK, "term_years": "", "milestones": "CE mark | lots"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Nothing was saved" in page
    assert 'data-field="term_years">Required for this transfer mode.' in page
    assert "Enter an amount in yuan" in page
    assert "Exclusive licence to a device maker." in page  # what was typed is kept
    assert snapshot() == before


@pytest.mark.django_db
def test_quick_form_under_four_eyes_submits_and_another_manager_approves(
    four_eyes, in_planning, manager, second_manager
):
    page = client_for(manager).get(f"/en/results/{in_planning.pk}/").content.decode()
    assert "Propose the transfer plan" in page and "Submit for approval" in page
    assert client_for(manager).post(f"/en/results/{in_planning.pk}/plan/", QUICK).status_code == 302
    plan = TransferPlan.objects.get(result=in_planning)
    assert plan.status == "submitted" and plan.decision_note == ""
    # In the workspace the drafter's approve button is disabled with the reason; a refused POST changes nothing.
    workspace = client_for(manager).get(f"/en/planning/results/{in_planning.pk}/").content.decode()
    assert FOUR_EYES in workspace
    before = snapshot()
    refused = client_for(manager).post(f"/en/planning/plans/{plan.pk}/approve/", {"note": ""})
    assert refused.status_code == 400 and FOUR_EYES in refused.content.decode()
    assert snapshot() == before
    assert (
        client_for(second_manager)
        .post(f"/en/planning/plans/{plan.pk}/approve/", {"note": "Fine."})
        .status_code
        == 302
    )
    plan.refresh_from_db()
    assert (plan.status, plan.approved_by) == ("approved", second_manager)

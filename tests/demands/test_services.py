"""Demand, match, feedback and targeted R&D services: validation, permissions, state machines."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from opentto.accounts.models import UserRoleChoices
from opentto.core.models import AuditEvent
from opentto.demands.models import (
    Demand,
    DemandEvent,
    DemandStatusChoices,
    Match,
    MatchEvent,
    MatchFeedback,
    MatchStatusChoices,
    TargetedProject,
)
from opentto.demands.services import (
    MilestoneInput,
    ProjectInput,
    TransitionError,
    demand_create,
    demand_notify_strong_matches,
    demand_transition,
    demand_update,
    feedback_record,
    match_contact,
    match_deal_create,
    match_express_interest,
    match_transition,
    project_create,
)
from opentto.notifications.models import Notification
from opentto.results.models import Result

from ..conftest import make_user
from ..factories import EnterpriseFactory
from .conftest import demand_input

pytestmark = pytest.mark.django_db


def test_an_enterprise_user_posts_a_draft_for_their_own_organisation(
    enterprise_user, enterprise_org
):
    demand = demand_create(data=demand_input(enterprise_org), actor=enterprise_user)
    assert demand.status == DemandStatusChoices.DRAFT
    assert demand.organisation == enterprise_org
    assert demand.budget_min_cny == Decimal("1000000.00") and demand.budget_max_cny == Decimal(
        "5000000.00"
    )
    assert list(demand.events.values_list("from_status", "to_status")) == [("", "draft")]
    assert AuditEvent.objects.filter(action="demand.create", object_id=str(demand.pk)).count() == 1


def test_publishing_opens_the_demand_and_records_both_steps(enterprise_user, enterprise_org):
    demand = demand_create(data=demand_input(enterprise_org), actor=enterprise_user, publish=True)
    assert demand.status == DemandStatusChoices.OPEN
    assert list(demand.events.values_list("from_status", "to_status")) == [
        ("", "draft"),
        ("draft", "open"),
    ]


@pytest.mark.parametrize(
    "overrides, key",
    [
        ({"title_zh": "", "title_en": " "}, "title_zh"),
        ({"problem_zh": "", "problem_en": ""}, "problem_zh"),
        ({"cooperation": []}, "cooperation"),
        ({"cooperation": ["bribery"]}, "cooperation"),
        ({"field": "astrology"}, "field"),
        (
            {"budget_min_cny": Decimal("5000000"), "budget_max_cny": Decimal("1000000")},
            "budget_max_cny",
        ),
        ({"budget_min_cny": "-1"}, "budget_min_cny"),
        ({"budget_max_cny": "lots"}, "budget_max_cny"),
        ({"deadline": timezone.localdate() - timedelta(days=1)}, "deadline"),
    ],
)
def test_a_demand_with_an_error_is_refused_on_its_field_and_nothing_is_saved(
    enterprise_user, enterprise_org, overrides, key
):
    with pytest.raises(ValidationError) as exc:
        demand_create(data=demand_input(enterprise_org, **overrides), actor=enterprise_user)
    assert key in exc.value.message_dict
    assert Demand.objects.count() == 0


def test_a_demand_is_posted_for_an_enterprise_only(manager, university):
    with pytest.raises(ValidationError) as exc:
        demand_create(data=demand_input(university), actor=manager)
    assert exc.value.message_dict["organisation"] == ["A demand is posted for an enterprise."]


@pytest.mark.parametrize("who", ["inventor", "reviewer", "official", "investor"])
def test_other_roles_cannot_post_demands(request, who, enterprise_org):
    with pytest.raises(PermissionError):
        demand_create(data=demand_input(enterprise_org), actor=request.getfixturevalue(who))
    assert Demand.objects.count() == 0


def test_an_enterprise_user_cannot_post_for_another_enterprise(enterprise_user):
    other = EnterpriseFactory()
    with pytest.raises(PermissionError):
        demand_create(data=demand_input(other), actor=enterprise_user)
    assert Demand.objects.count() == 0


def test_a_manager_posts_on_an_enterprises_behalf(manager, enterprise_org):
    demand = demand_create(data=demand_input(enterprise_org), actor=manager, publish=True)
    assert demand.created_by == manager and demand.status == "open"


def test_transitions_follow_the_table(open_demand, enterprise_user):
    with pytest.raises(TransitionError):
        demand_transition(
            demand=open_demand, target=DemandStatusChoices.CLOSED_MET, actor=enterprise_user
        )
    with pytest.raises(TransitionError) as exc:
        demand_transition(
            demand=open_demand, target=DemandStatusChoices.CLOSED_NOT_MET, actor=enterprise_user
        )
    assert "reason" in exc.value.message_dict
    demand = demand_transition(
        demand=open_demand,
        target=DemandStatusChoices.CLOSED_NOT_MET,
        actor=enterprise_user,
        reason="Solved in house",
    )
    assert demand.status == "closed_not_met"
    assert DemandEvent.objects.filter(
        demand=demand, to_status="closed_not_met", reason="Solved in house"
    ).exists()
    with pytest.raises(TransitionError):
        demand_transition(demand=demand, target=DemandStatusChoices.OPEN, actor=enterprise_user)
    with pytest.raises(ValidationError):
        demand_update(demand=demand, data=demand_input(demand.organisation), actor=enterprise_user)


def test_another_enterprise_cannot_move_or_edit_a_demand(open_demand):
    stranger = make_user(UserRoleChoices.ENTERPRISE, EnterpriseFactory(), username="stranger")
    with pytest.raises(PermissionError):
        demand_transition(demand=open_demand, target=DemandStatusChoices.WITHDRAWN, actor=stranger)
    with pytest.raises(PermissionError):
        demand_update(
            demand=open_demand, data=demand_input(open_demand.organisation), actor=stranger
        )
    open_demand.refresh_from_db()
    assert open_demand.status == "open"


def test_contacting_creates_one_match_and_moves_the_demand_to_matched(
    open_demand, enterprise_user, arm_result
):
    match = match_contact(
        demand=open_demand,
        result=arm_result,
        actor=enterprise_user,
        message="Let us talk",
        score=3.2,
    )
    assert (match.status, match.organisation_id, match.score) == (
        "contacted",
        open_demand.organisation_id,
        3.2,
    )
    assert list(match.events.values_list("from_status", "to_status")) == [
        ("", "suggested"),
        ("suggested", "contacted"),
    ]
    open_demand.refresh_from_db()
    assert open_demand.status == "matched"
    assert match_contact(demand=open_demand, result=arm_result, actor=enterprise_user) == match
    assert Match.objects.count() == 1


def test_an_enterprise_cannot_contact_about_a_result_it_may_not_see(
    open_demand, enterprise_user, secret_arm_result
):
    with pytest.raises(PermissionError):
        match_contact(demand=open_demand, result=secret_arm_result, actor=enterprise_user)
    assert Match.objects.count() == 0


def test_a_draft_cannot_be_matched(enterprise_user, enterprise_org, arm_result):
    draft = demand_create(data=demand_input(enterprise_org), actor=enterprise_user)
    with pytest.raises(ValidationError):
        match_contact(demand=draft, result=arm_result, actor=enterprise_user)
    assert Match.objects.count() == 0


def test_a_match_moves_suggested_contacted_nda_negotiating_and_the_enterprise_may_decline(
    open_demand, enterprise_user, manager, arm_result
):
    match = match_contact(demand=open_demand, result=arm_result, actor=enterprise_user)
    with pytest.raises(PermissionError):
        match_transition(match=match, target=MatchStatusChoices.NDA, actor=enterprise_user)
    match = match_transition(match=match, target=MatchStatusChoices.NDA, actor=manager)
    with pytest.raises(TransitionError):
        match_transition(match=match, target=MatchStatusChoices.DEAL, actor=manager)
    match = match_transition(match=match, target=MatchStatusChoices.NEGOTIATING, actor=manager)
    open_demand.refresh_from_db()
    assert open_demand.status == "negotiating"
    with pytest.raises(TransitionError) as exc:
        match_transition(match=match, target=MatchStatusChoices.DECLINED, actor=enterprise_user)
    assert "note" in exc.value.message_dict
    match = match_transition(
        match=match, target=MatchStatusChoices.DECLINED, actor=enterprise_user, note="Too expensive"
    )
    assert list(MatchEvent.objects.filter(match=match).values_list("to_status", flat=True)) == [
        "suggested",
        "contacted",
        "nda",
        "negotiating",
        "declined",
    ]


def test_a_deal_is_created_from_a_match_in_negotiation(
    open_demand, enterprise_user, manager, arm_result
):
    match = match_contact(demand=open_demand, result=arm_result, actor=enterprise_user)
    with pytest.raises(TransitionError):
        match_deal_create(
            match=match, deal_type="licence_non_exclusive", amount_cny="100000", actor=manager
        )
    match = match_transition(match=match, target=MatchStatusChoices.NEGOTIATING, actor=manager)
    Result.objects.filter(pk=arm_result.pk).update(
        stage="landing"
    )  # the pipeline's guards are tested elsewhere
    with pytest.raises(PermissionError):
        match_deal_create(
            match=match,
            deal_type="licence_non_exclusive",
            amount_cny="100000",
            actor=enterprise_user,
        )
    deal = match_deal_create(
        match=match,
        deal_type="licence_non_exclusive",
        amount_cny="1200000.00",
        title="Arm licence",
        actor=manager,
    )
    match.refresh_from_db()
    assert (match.status, match.deal_id) == ("deal", deal.pk)
    assert deal.counterparty_id == open_demand.organisation_id
    assert list(deal.results.all()) == [arm_result]
    assert deal.amount_cny == Decimal("1200000.00")


def test_express_interest_from_the_showcase_makes_one_suggested_match(
    enterprise_user, inventor, arm_result, secret_arm_result
):
    match = match_express_interest(result=arm_result, actor=enterprise_user, message="Interested")
    assert (match.status, match.source, match.demand_id) == ("suggested", "interest", None)
    assert match_express_interest(result=arm_result, actor=enterprise_user) == match
    with pytest.raises(PermissionError):
        match_express_interest(result=arm_result, actor=inventor)
    with pytest.raises(PermissionError):
        match_express_interest(result=secret_arm_result, actor=enterprise_user)
    assert Match.objects.count() == 1


def test_feedback_is_stored_replaced_and_cleared(
    open_demand, enterprise_user, arm_result, inventor
):
    fb = feedback_record(
        demand=open_demand,
        result=arm_result,
        verdict="not_relevant",
        actor=enterprise_user,
        rank=3,
        score=1.5,
        mode="lexical",
    )
    assert (fb.verdict, fb.rank, fb.score, fb.mode) == ("not_relevant", 3, 1.5, "lexical")
    feedback_record(
        demand=open_demand, result=arm_result, verdict="shortlisted", actor=enterprise_user, rank=1
    )
    assert list(MatchFeedback.objects.values_list("verdict", "rank")) == [("shortlisted", 1)]
    assert (
        feedback_record(demand=open_demand, result=arm_result, verdict="", actor=enterprise_user)
        is None
    )
    assert MatchFeedback.objects.count() == 0
    with pytest.raises(PermissionError):
        feedback_record(
            demand=open_demand, result=arm_result, verdict="shortlisted", actor=inventor
        )
    assert MatchFeedback.objects.count() == 0


def project_input(org, lead, **overrides):
    today = timezone.localdate()
    data = ProjectInput(
        research_organisation=org,
        lead=lead,
        title_zh="定向研发：机械臂自适应控制",
        scope_en="Adaptive control for the arm.",
        budget_cny="1000000.00",
        starts_on=today,
        ends_on=today + timedelta(days=300),
        milestones=[
            MilestoneInput(title_zh="仿真", due_on=today + timedelta(days=90), amount_cny="400000"),
            MilestoneInput(
                title_zh="交付", due_on=today + timedelta(days=300), amount_cny="600000"
            ),
        ],
    )
    for key, value in overrides.items():
        setattr(data, key, value)
    return data


def test_a_targeted_rd_project_is_spawned_from_a_demand(
    open_demand, enterprise_user, university, researcher
):
    project = project_create(
        demand=open_demand, data=project_input(university, researcher), actor=enterprise_user
    )
    assert project.budget_cny == Decimal("1000000.00")
    assert [(m.title_zh, m.amount_cny) for m in project.milestones.all()] == [
        ("仿真", Decimal("400000.00")),
        ("交付", Decimal("600000.00")),
    ]
    assert project.milestones_total == Decimal("1000000.00")


@pytest.mark.parametrize(
    "overrides, key",
    [
        ({"budget_cny": "500000"}, "milestones"),
        ({"budget_cny": "abc"}, "budget_cny"),
        ({"title_zh": "", "title_en": ""}, "title_zh"),
        (
            {"milestones": [MilestoneInput(title_zh="", due_on=None, amount_cny="1")]},
            "milestones-0-title_zh",
        ),
    ],
)
def test_a_project_with_an_error_is_refused_and_nothing_is_saved(
    open_demand, enterprise_user, university, researcher, overrides, key
):
    with pytest.raises(ValidationError) as exc:
        project_create(
            demand=open_demand,
            data=project_input(university, researcher, **overrides),
            actor=enterprise_user,
        )
    assert key in exc.value.message_dict
    assert TargetedProject.objects.count() == 0


def test_the_team_lead_must_belong_to_the_research_organisation(
    open_demand, enterprise_user, other_university, researcher, enterprise_org
):
    with pytest.raises(ValidationError) as exc:
        project_create(
            demand=open_demand,
            data=project_input(other_university, researcher),
            actor=enterprise_user,
        )
    assert "lead" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        project_create(
            demand=open_demand,
            data=project_input(enterprise_org, researcher),
            actor=enterprise_user,
        )
    assert "research_organisation" in exc.value.message_dict


def test_a_strong_match_notifies_the_managers_and_the_owners_users_of_a_public_demand(
    open_demand, arm_result, battery_result, manager, inventor, other_inventor
):
    sent = demand_notify_strong_matches(demand=open_demand)
    recipients = sorted(n.recipient.username for n in sent)
    assert recipients == ["inventor", "manager"]
    note = Notification.objects.get(recipient=inventor)
    assert note.kind == "demand.strong_match"
    assert note.url == f"/zh-hans/results/{arm_result.pk}/"
    assert "Adaptive control for collaborative robot arms" in note.title_en


def test_a_confidential_demand_is_announced_to_the_managers_only(
    secret_demand, arm_result, manager, inventor
):
    sent = demand_notify_strong_matches(demand=secret_demand)
    assert [n.recipient.username for n in sent] == ["manager"]


def test_a_weak_match_notifies_nobody(enterprise_user, enterprise_org, battery_result, manager):
    demand = demand_create(
        data=demand_input(
            enterprise_org,
            title_zh="茶饮料香气保持",
            title_en="Keeping the aroma of tea drinks",
            problem_zh="绿茶饮料在储存中香气流失。",
            problem_en="Green-tea drinks lose their aroma in storage.",
        ),
        actor=enterprise_user,
        publish=True,
    )
    assert demand_notify_strong_matches(demand=demand) == []


def test_contacting_with_an_older_copy_of_the_demand_reads_its_stored_status(
    open_demand, enterprise_user, arm_result, battery_result
):
    """The first contact moved the demand to "matched"; a second one made with the caller's older
    copy (still "open") does not try to move it again (it failed with "cannot move from Matched to
    Matched" and saved nothing)."""
    match_contact(demand=open_demand, result=arm_result, actor=enterprise_user)
    assert open_demand.status == "open"  # the caller's copy
    second = match_contact(demand=open_demand, result=battery_result, actor=enterprise_user)
    assert second.status == "contacted" and Match.objects.count() == 2
    assert list(
        DemandEvent.objects.filter(demand=open_demand).values_list("to_status", flat=True)
    ) == ["draft", "open", "matched"]

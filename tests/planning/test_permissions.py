"""The grants on every planning type (``opentto.planning.permissions``): who sees and changes what,
for every role, with two confidential results (the inventor's organisation's and another's); a
disabled grant takes the access away; a child never outruns its parent."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db.models import Model
from django.utils import timezone

from opentto.core import permissions
from opentto.core.models import Grant
from opentto.core.permissions import registered_types
from opentto.financing import models as fm
from opentto.financing.services import (
    ValuationInput,
    pledge_loan_create,
    pool_asset_add,
    pool_create,
    valuation_create,
)
from opentto.organisations.models import OrganisationKindChoices
from opentto.patents import models as pm
from opentto.patents.services import (
    FilingInput,
    calendar_feed_get_or_create,
    confidentiality_record,
    family_create,
    filing_abandon,
    filing_create,
    filing_fee_reduction_record,
)
from opentto.planning import models as m
from opentto.planning.services import (
    channel_create,
    deal_room_create,
    deal_room_invite,
    negotiation_record,
    plan_create,
    plan_option_add,
    plan_target_add,
    service_log_record,
    task_create,
)
from opentto.results.models import Result
from opentto.results.services import IPAssetInput, result_onboard
from tests.conftest import make_user, result_input
from tests.factories import OrganisationFactory, PersonFactory
from tests.planning.conftest import to_planning

#: Every planning type and the path from its rows to their result (``None``: not a result's).
PATH: dict[type[Model], str | None] = {
    m.TransferPlan: "result",
    m.TransferOption: "plan__result",
    m.PlanTarget: "plan__result",
    m.NegotiationEntry: "plan__result",
    m.TransferPlanEvent: "plan__result",
    pm.PatentFamily: "result",
    pm.Filing: "family__result",
    pm.ConfidentialityExamination: "family__result",
    pm.FilingDeadline: "filing__family__result",
    pm.AbandonmentDecision: "filing__family__result",
    fm.Valuation: "result",
    fm.PledgeLoan: "result",
    fm.PledgedAsset: "loan__result",
    fm.SecuritisationPool: None,
    fm.PoolAsset: "result",
    fm.PoolCashFlow: "asset__result",
    m.DealRoom: "result",
    m.DealRoomInvite: "room__result",
    m.OverseasChannel: "result",
    m.ServiceTask: "result",
    m.ServiceLogEntry: "result",
    pm.CalendarFeed: None,
    pm.FilingFeeReduction: "filing__family__result",
    pm.FilingApplicant: "reduction__filing__family__result",
    pm.FeeSchedule: None,
    pm.FeeScheduleItem: None,
}
#: Public data every signed-in user reads (the official fee schedule).
SIGNED_IN_READS = {pm.FeeSchedule, pm.FeeScheduleItem}
#: The types an inventor reads for their organisation's results (read only).
INVENTOR_READS = {
    m.TransferPlan,
    m.TransferOption,
    m.PlanTarget,
    m.NegotiationEntry,
    m.TransferPlanEvent,
    pm.PatentFamily,
    pm.Filing,
    pm.ConfidentialityExamination,
    pm.FilingDeadline,
    pm.AbandonmentDecision,
    m.OverseasChannel,
    m.ServiceTask,
    m.ServiceLogEntry,
    pm.FilingFeeReduction,
    pm.FilingApplicant,
}
#: The types with a ``change`` action (the TTO's, every row).
CHANGEABLE = {
    m.TransferPlan,
    pm.PatentFamily,
    pm.Filing,
    pm.FilingDeadline,
    fm.PledgeLoan,
    fm.SecuritisationPool,
    m.DealRoom,
    m.OverseasChannel,
    m.ServiceTask,
}


def build(
    manager: Any,
    university: Any,
    other_university: Any,
    researcher: Any,
    enterprise_org: Any,
    investor: Any,
) -> tuple[Result, Result]:
    """Two confidential results in planning (the university's and another's), each with a record of
    every planning type; the investor is invited to the university's room, another investor to the other."""
    bank = OrganisationFactory(name_en="Test Bank", kind=OrganisationKindChoices.BANK)
    rival = PersonFactory(name_en="Rival Inventor")
    pool = pool_create(name_en="Pool", actor=manager)
    other_investor = make_user("investor", username="investor2")
    results = []
    for org, person, key, number in (
        (university, researcher, "Own", "CN202310000001.5"),
        (other_university, rival, "Other", "CN202310000002.X"),
    ):
        result = result_onboard(
            data=result_input(
                [org],
                [(person, "100")],
                title_en=f"{key} secret result",
                is_public=False,
                ip_assets=[IPAssetInput(application_number=number, ip_kind="invention")],
            ),
            actor=manager,
        )
        to_planning(result, manager)
        plan = plan_create(
            result=result, transfer_mode="licence", summary_en=f"{key} plan", actor=manager
        )
        plan_option_add(
            plan=plan,
            mode="licence",
            terms={
                "licence_type": "exclusive",
                "territory": "CN",
                "term_years": "5",
                "royalty_rate": "0.05",
            },
            actor=manager,
        )
        plan_target_add(plan=plan, organisation=enterprise_org, actor=manager)
        negotiation_record(
            plan=plan,
            organisation=enterprise_org,
            occurred_on=timezone.localdate(),
            summary=f"{key} talk",
            actor=manager,
        )
        family = family_create(
            result=result,
            kind="invention",
            title_en=f"{key} family",
            target_offices=["CN", "EP"],
            manager=manager,
            actor=manager,
        )
        cn = filing_create(
            family=family,
            data=FilingInput(
                office="CN",
                route="first",
                application_number=number,
                filing_date=dt.date(2024, 1, 31),
            ),
            actor=manager,
        )
        filing_fee_reduction_record(
            filing=cn, reduction="85", grounds={org.pk: "public_institution"}, actor=manager
        )
        confidentiality_record(
            family=family,
            requested_on=dt.date(2024, 2, 1),
            outcome="cleared",
            decided_on=dt.date(2024, 3, 1),
            actor=manager,
        )
        spare = filing_create(
            family=family,
            data=FilingInput(
                office="EP",
                route="paris",
                filing_date=dt.date(2024, 6, 1),
                priority_date=dt.date(2024, 1, 31),
            ),
            actor=manager,
        )
        filing_abandon(
            filing=spare,
            decided_on=timezone.localdate(),
            reason="No market",
            approved_by=manager,
            actor=manager,
        )
        valuation = valuation_create(
            result=result,
            data=ValuationInput(
                valuation_date=timezone.localdate(),
                revenues=["1000000"],
                royalty_rate="0.05",
                tax_rate="0.25",
                discount_rate="0.10",
            ),
            actor=manager,
        )
        pledge_loan_create(
            result=result,
            lender=bank,
            valuation=valuation,
            ip_assets=list(result.ip_assets.all()),
            amount_cny="1000",
            term_months=12,
            annual_rate="0.035",
            actor=manager,
        )
        pool_asset_add(
            pool=pool,
            result=result,
            licensee=enterprise_org,
            cash_flows=[("2027", "100")],
            actor=manager,
        )
        room = deal_room_create(result=result, title=f"{key} room", actor=manager)
        deal_room_invite(
            room=room, user=investor if key == "Own" else other_investor, actor=manager
        )
        channel_create(result=result, country="Germany", filings=[spare], actor=manager)
        task_create(
            result=result,
            title=f"{key} task",
            kind="legal",
            owner=manager,
            due_on=timezone.localdate(),
            actor=manager,
        )
        service_log_record(
            result=result,
            kind="legal",
            hours="1",
            notes=f"{key} log",
            occurred_on=timezone.localdate(),
            actor=manager,
        )
        results.append(result)
    calendar_feed_get_or_create(user=manager)
    return results[0], results[1]


@pytest.fixture
def world(
    manager, university, other_university, researcher, enterprise_org, investor
) -> tuple[Result, Result]:
    return build(manager, university, other_university, researcher, enterprise_org, investor)


@pytest.fixture
def everyone(
    admin_user, manager, inventor, other_inventor, enterprise_user, reviewer, official, investor
) -> dict[str, Any]:
    return {
        "anonymous": AnonymousUser(),
        "admin": admin_user,
        "manager": manager,
        "inventor": inventor,
        "other_inventor": other_inventor,
        "enterprise": enterprise_user,
        "reviewer": reviewer,
        "official": official,
        "investor": investor,
    }


def ids(qs: Any) -> set[int]:
    return set(qs.values_list("pk", flat=True))


def rows(model: type[Model], result: Result | None = None) -> set[int]:
    path = PATH[model]
    qs = model._default_manager.all()
    return ids(qs.filter(**{path: result}) if result is not None and path else qs)


def expected_view(
    model: type[Model], who: str, users: dict[str, Any], own: Result, other: Result
) -> set[int]:
    if model in SIGNED_IN_READS:
        return rows(model) if who != "anonymous" else set()
    if who in {"admin", "manager"}:
        if model is pm.CalendarFeed:
            return ids(pm.CalendarFeed.objects.filter(user=users[who]))
        return rows(model)
    if who == "inventor" and model in INVENTOR_READS:
        return rows(model, own)
    if who == "other_inventor" and model in INVENTOR_READS:
        return rows(model, other)
    if who == "investor" and model is m.DealRoom:
        return ids(m.DealRoom.objects.filter(result=own))
    return set()


def test_every_planning_type_is_registered_and_in_this_table():
    registered = {
        t for t in registered_types() if t.startswith(("planning.", "patents.", "financing."))
    }
    assert registered == {model._meta.label_lower for model in PATH}
    # The reminder log is written by the periodic task and shown nowhere: not a type.
    assert "patents.deadlinereminder" not in registered


@pytest.mark.django_db
def test_who_sees_and_changes_what(world, everyone):
    own, other = world
    for model, path in PATH.items():
        if path is not None:  # the world is not vacuous: each result has rows of each type
            assert rows(model, own) and rows(model, other), model
    for who, user in everyone.items():
        for model in PATH:
            assert ids(model._default_manager.restrict(user, "view")) == expected_view(
                model, who, everyone, own, other
            ), (who, model)
            if model in CHANGEABLE:
                expected = rows(model) if who in {"admin", "manager"} else set()
                assert ids(model._default_manager.restrict(user, "change")) == expected, (
                    who,
                    model,
                )
        plannable = ids(Result.objects.restrict(user, "plan").filter(pk__in=[own.pk, other.pk]))
        readable = ids(
            Result.objects.restrict(user, "view_planning").filter(pk__in=[own.pk, other.pk])
        )
        assert plannable == ({own.pk, other.pk} if who in {"admin", "manager"} else set()), who
        assert readable == {
            "admin": {own.pk, other.pk},
            "manager": {own.pk, other.pk},
            "inventor": {own.pk},
            "other_inventor": {other.pk},
        }.get(who, set()), who
    decide = {
        who: ids(m.TransferPlan.objects.restrict(user, "decide")) for who, user in everyone.items()
    }
    assert decide == {
        who: rows(m.TransferPlan) if who in {"admin", "manager"} else set() for who in everyone
    }


def _disable(role: str, object_type: str, user: Any) -> None:
    assert Grant.objects.filter(role=role, object_type=object_type).update(enabled=False) >= 1
    permissions.clear_grant_cache(user)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "model",
    sorted(INVENTOR_READS, key=lambda model: model.__name__),
    ids=lambda model: model.__name__,
)
def test_switching_off_an_inventor_grant_takes_that_type_away(world, inventor, model):
    own, _other = world
    assert ids(model._default_manager.restrict(inventor, "view")) == rows(model, own)
    _disable("inventor", model._meta.label_lower, inventor)
    assert not model._default_manager.restrict(inventor, "view").exists()


@pytest.mark.django_db
def test_children_never_outrun_their_parents(world, inventor):
    own, _other = world
    # Without the plans, their options, targets, negotiations and decisions go too.
    _disable("inventor", "planning.transferplan", inventor)
    for model in (m.TransferOption, m.PlanTarget, m.NegotiationEntry, m.TransferPlanEvent):
        assert not model._default_manager.restrict(inventor, "view").exists(), model
    assert ids(pm.PatentFamily.objects.restrict(inventor, "view")) == rows(pm.PatentFamily, own)
    # Without the families, their filings, examinations, deadlines and abandonments go too.
    _disable("inventor", "patents.patentfamily", inventor)
    for model in (
        pm.Filing,
        pm.ConfidentialityExamination,
        pm.FilingDeadline,
        pm.AbandonmentDecision,
    ):
        assert not model._default_manager.restrict(inventor, "view").exists(), model
    # Without reading the result's planning, nothing of it.
    assert m.ServiceTask.objects.restrict(inventor, "view").exists()
    Grant.objects.filter(
        role="inventor", object_type="results.result", constraint="details_readable"
    ).update(enabled=False)
    permissions.clear_grant_cache(inventor)
    for model in INVENTOR_READS:
        assert not model._default_manager.restrict(inventor, "view").exists(), model


@pytest.mark.django_db
def test_switching_off_the_investor_grant_closes_the_room(world, investor):
    own, _other = world
    assert ids(m.DealRoom.objects.restrict(investor, "view")) == ids(
        m.DealRoom.objects.filter(result=own)
    )
    _disable("investor", "planning.dealroom", investor)
    assert not m.DealRoom.objects.restrict(investor, "view").exists()


@pytest.mark.django_db
def test_the_tto_grants_are_switched_off_like_any_other(world, manager):
    _disable("manager", "financing.valuation", manager)
    assert not fm.Valuation.objects.restrict(manager, "view").exists()
    assert fm.PledgeLoan.objects.restrict(manager, "view").exists()


@pytest.mark.django_db
def test_the_planning_actions_on_results_join_the_results_apps_grant():
    """Two apps granting the same role actions under the same constraint make one grant row with
    all of them (``register`` merges them), so switching it off is one switch."""
    specs = [g for g in permissions.DEFAULT_GRANTS if g[:3] == ("manager", "results.result", "all")]
    assert len(specs) == 1 and {"view", "view_details", "change", "plan", "view_planning"} <= set(
        specs[0][3]
    )
    grant = Grant.objects.get(role="manager", object_type="results.result", constraint="all")
    assert sorted(grant.actions) == sorted(specs[0][3])

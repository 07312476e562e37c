"""One small world with a record of every kind the app resources expose, shared by the API tests
and the export tests: who may see what is decided by the apps' own selectors."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.utils import timezone

from opentto.accounts.models import User, UserRoleChoices
from opentto.demands.models import Demand, Match
from opentto.demands.services import DemandInput, demand_create, match_contact
from opentto.evaluation.models import ReviewRound
from opentto.evaluation.services import round_finalise
from opentto.landing.models import Deal, Payment
from opentto.landing.services import deal_create, deal_sign, payment_record
from opentto.organisations.models import Organisation
from opentto.planning.models import TransferPlan
from opentto.results.models import Result
from opentto.results.pipeline import result_transition
from opentto.subsidies import services as subsidies
from opentto.subsidies.models import Application
from tests.conftest import make_user
from tests.evaluation.conftest import open_round, review
from tests.results.test_pipeline import to_landing


@dataclass
class World:
    public_demand: Demand
    secret_demand: Demand
    match: Match
    deal: Deal
    payment: Payment
    round: ReviewRound
    plan: TransferPlan
    application: Application
    other_application: Application


def _demand(org: Organisation, actor: User, *, public: bool, title: str) -> Demand:
    return demand_create(
        data=DemandInput(
            organisation=org,
            title_zh=title,
            title_en=title,
            problem_zh="机械臂控制",
            problem_en="Robot-arm control with learning.",
            field="ai",
            cooperation=["licence"],
            budget_min_cny="100000",
            budget_max_cny="500000",
            is_public=public,
        ),
        actor=actor,
        publish=True,
    )


@pytest.fixture
def world(
    manager: User,
    onboarded: Result,
    confidential_result: Result,
    enterprise_org: Organisation,
    enterprise_user: User,
    university: Organisation,
    other_university: Organisation,
) -> World:
    # demands and a match (the enterprise contacts the owners of the public result)
    public_demand = _demand(
        enterprise_org, enterprise_user, public=True, title="=SUM(A1:A9) robot arm"
    )
    secret_demand = _demand(
        enterprise_org, enterprise_user, public=False, title="Secret robot demand"
    )
    match = match_contact(demand=public_demand, result=onboarded, actor=enterprise_user)
    # the public result goes to landing (an approved plan), a signed deal and a payment
    to_landing(onboarded, manager)
    plan = TransferPlan.objects.get(result=onboarded)
    deal = deal_create(
        results=[onboarded],
        counterparty=enterprise_org,
        deal_type="licence_exclusive",
        amount_cny="1000000.00",
        title="Licence of the robot arm",
        actor=manager,
    )
    deal = deal_sign(deal=deal, signed_on=dt.date(2025, 3, 1), actor=manager)
    payment = payment_record(
        deal=deal,
        received_on=dt.date(2025, 4, 1),
        amount_cny="250000.00",
        note="@first instalment",
        actor=manager,
    )
    # a finalised blind evaluation round of the confidential result, by two named reviewers
    result_transition(result=confidential_result, target="evaluation", actor=manager)
    review_round = open_round(confidential_result, manager, is_blind=True)
    for name in ("Ada", "Bo"):
        review(
            review_round,
            make_user(
                UserRoleChoices.REVIEWER,
                username=f"rev_{name}",
                first_name=name,
                last_name="Reviewer",
            ),
            manager,
            4,
        )
    review_round = round_finalise(
        review_round=review_round,
        recommendation="proceed",
        transfer_modes=["licence"],
        strengths_en="Strong.",
        risks_en="Needs a pilot.",
        actor=manager,
        notify=False,
        store_report=False,
    )
    # subsidy applications: the enterprise's names both results (it may see only the public one)
    year = timezone.localdate().year
    programme = subsidies.programme_create(
        code="xuhui",
        kind="industrialisation",
        name_zh="徐汇区成果转化支持",
        name_en="Xuhui",
        legal_basis_zh="《徐汇区关于促进科技成果转移转化的实施意见》",
        legal_basis_en="Xuhui opinions",
        cap_per_project_cny="5000000",
        eligible_share_cap="0.5",
        window_opens=dt.date(year, 1, 1),
        window_closes=dt.date(year, 12, 31),
        budgets=[(year, "9000000")],
        actor=None,
    )
    application = subsidies.application_create(
        programme=programme,
        applicant=enterprise_org,
        partners=[university],
        results=[onboarded, confidential_result],
        deal=deal,
        project_title_zh="产业化项目",
        requested_cny="1000000",
        actor=enterprise_user,
        year=year,
    )
    other_user = make_user(UserRoleChoices.INVENTOR, other_university, username="other_applicant")
    other_application = subsidies.application_create(
        programme=programme,
        applicant=other_university,
        project_title_zh="他人的项目",
        requested_cny="200000",
        actor=other_user,
        year=year,
    )
    return World(
        public_demand,
        secret_demand,
        match,
        deal,
        payment,
        review_round,
        plan,
        application,
        other_application,
    )

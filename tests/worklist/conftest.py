"""One world for the worklist's tests: for each source one line due for its user and one that user
may not see (another manager's patent family, another reviewer's assignment, another user's
import, a plan the user submitted), built as plain rows dated from today."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from opentto.access.models import AccessRequest
from opentto.accounts.models import User, UserRoleChoices
from opentto.evaluation.models import ReviewAssignment, ReviewRound, Rubric
from opentto.imports.models import ImportJob
from opentto.landing.models import Deal, Payment, PaymentScheduleItem, PublicNotice, RoyaltyReport
from opentto.organisations.models import Organisation
from opentto.patents.models import Filing, FilingDeadline, PatentFamily
from opentto.planning.models import TransferPlan
from opentto.results.models import Result
from opentto.subsidies.models import Application, Programme

from ..conftest import make_user
from ..factories import EnterpriseFactory, OrganisationFactory, ResultFactory


@dataclass
class World:
    today: dt.date
    users: dict[str, User]
    objects: dict[str, Any]

    def __getitem__(self, name: str) -> Any:
        return self.users.get(name) or self.objects[name]


def _deal(counterparty: Organisation, result: Result, owner: Organisation, **kw: Any) -> Deal:
    deal = Deal.objects.create(
        counterparty=counterparty,
        deal_type="licence_non_exclusive",
        amount_cny=Decimal("1000.00"),
        **kw,
    )
    deal.results.add(result)
    deal.owners.add(owner)
    return deal


@pytest.fixture(autouse=True)
def _four_eyes(settings: Any) -> None:
    """Production's default (the test settings switch it off)."""
    settings.OPENTTO_PLAN_FOUR_EYES = True


@pytest.fixture
def world(db: None) -> World:
    today = timezone.localdate()
    day = dt.timedelta(days=1)
    uni, other_uni = OrganisationFactory(), OrganisationFactory()
    firm, other_firm = EnterpriseFactory(), EnterpriseFactory()
    R = UserRoleChoices
    users = {
        "admin": make_user(R.ADMIN, username="admin", is_superuser=True),
        "manager": make_user(R.MANAGER, username="manager"),
        "manager2": make_user(R.MANAGER, username="manager2"),
        "inventor": make_user(R.INVENTOR, uni, username="inventor"),
        "enterprise": make_user(R.ENTERPRISE, firm, username="enterprise"),
        "other_enterprise": make_user(R.ENTERPRISE, other_firm, username="other_enterprise"),
        "reviewer": make_user(R.REVIEWER, username="reviewer"),
        "reviewer2": make_user(R.REVIEWER, username="reviewer2"),
        "official": make_user(R.OFFICIAL, username="official"),
        "investor": make_user(R.INVESTOR, username="investor"),
    }
    m, m2 = users["manager"], users["manager2"]
    landing = ResultFactory(title_en="Robot arm", title_zh="机械臂", stage="landing", owners=[uni])
    secret = ResultFactory(
        title_en="Secret alloy",
        title_zh="保密合金",
        stage="evaluation",
        is_public=False,
        owners=[other_uni],
    )
    planning = ResultFactory(title_en="Battery", title_zh="电池", stage="planning", owners=[uni])
    rubric = Rubric.objects.filter(is_active=True).first()
    o: dict[str, Any] = {
        "uni": uni,
        "firm": firm,
        "landing_result": landing,
        "secret_result": secret,
        "planning_result": planning,
    }

    # evaluation: a round short of reviewers (1 of 2), a round past its deadline
    o["round"] = ReviewRound.objects.create(
        result=secret,
        rubric=rubric,
        purpose="transfer",
        deadline=today + 5 * day,
        min_reviews=3,
        opened_by=m,
    )
    o["invited"] = ReviewAssignment.objects.create(
        review_round=o["round"], reviewer=users["reviewer"], invited_by=m
    )
    o["accepted"] = ReviewAssignment.objects.create(
        review_round=o["round"],
        reviewer=users["reviewer2"],
        invited_by=m,
        status="accepted",
        declared_at=timezone.now(),
    )
    o["late_round"] = ReviewRound.objects.create(
        result=landing, rubric=rubric, purpose="transfer", deadline=today - 2 * day, opened_by=m
    )

    # planning: a plan manager drafted (manager2 approves it) and one manager2 last changed
    o["plan_by_manager"] = TransferPlan.objects.create(
        result=planning,
        transfer_mode="licence",
        summary_en="Licence it",
        status="submitted",
        created_by=m,
        changed_by=m,
        submitted_at=timezone.now(),
    )
    o["plan_by_manager2"] = TransferPlan.objects.create(
        result=landing,
        transfer_mode="licence",
        summary_en="Sell it",
        status="submitted",
        created_by=m2,
        changed_by=m2,
        submitted_at=timezone.now(),
    )

    # patent deadlines: manager's family (due in 20 days; another in 120 days), a family of no one's
    family = PatentFamily.objects.create(
        result=planning, title_en="Battery family", kind="invention", manager=m
    )
    filing = Filing.objects.create(
        family=family, office="CN", route="first", status="filed", filing_date=today - 300 * day
    )
    o["deadline_20"] = FilingDeadline.objects.create(
        filing=filing,
        key="cn_examination_request",
        office="CN",
        due=today + 20 * day,
        source="Patent Law art. 35",
    )
    o["deadline_120"] = FilingDeadline.objects.create(
        filing=filing,
        key="annuity",
        office="CN",
        year=2,
        due=today + 120 * day,
        source="Rules art. 98",
    )
    orphan = PatentFamily.objects.create(result=planning, title_en="Orphan family", kind="utility")
    orphan_filing = Filing.objects.create(
        family=orphan, office="CN", route="first", status="filed", filing_date=today - 300 * day
    )
    o["orphan_overdue"] = FilingDeadline.objects.create(
        filing=orphan_filing,
        key="annuity",
        office="CN",
        year=1,
        due=today - 3 * day,
        source="Rules art. 98",
    )

    # landing: a draft ready to sign, a notice that ended, a notice ending soon, a signed deal's money
    o["draft_deal"] = _deal(firm, landing, uni, title="Draft licence", price_method="exchange")
    o["noticed_deal"] = _deal(
        firm, landing, uni, title="Noticed licence", price_method="negotiated", status="notice"
    )
    PublicNotice.objects.create(
        deal=o["noticed_deal"],
        starts_on=today - 20 * day,
        ends_on=today - 2 * day,
        price_cny=Decimal("1000.00"),
    )
    o["noticing_deal"] = _deal(
        firm, landing, uni, title="Noticing licence", price_method="negotiated", status="notice"
    )
    o["notice"] = PublicNotice.objects.create(
        deal=o["noticing_deal"],
        starts_on=today - 5 * day,
        ends_on=today + 10 * day,
        price_cny=Decimal("1000.00"),
    )
    signed = o["signed_deal"] = _deal(
        firm, landing, uni, title="Signed licence", status="signed", signed_on=today - 60 * day
    )
    o["instalment"] = PaymentScheduleItem.objects.create(
        deal=signed, kind="instalment", due_on=today - 10 * day, amount_cny=Decimal("600.00")
    )
    o["paid_instalment"] = PaymentScheduleItem.objects.create(
        deal=signed, kind="upfront", due_on=today - 30 * day, amount_cny=Decimal("400.00")
    )
    o["future_instalment"] = PaymentScheduleItem.objects.create(
        deal=signed, kind="instalment", due_on=today + 10 * day, amount_cny=Decimal("100.00")
    )
    o["payment"] = Payment.objects.create(
        deal=signed,
        received_on=today - 29 * day,
        amount_cny=Decimal("400.00"),
        schedule_item=o["paid_instalment"],
    )
    Payment.objects.create(
        deal=signed,
        received_on=today - 5 * day,
        amount_cny=Decimal("250.40"),
        schedule_item=o["instalment"],
    )
    o["royalty"] = RoyaltyReport.objects.create(
        deal=signed,
        period_start=today - 200 * day,
        period_end=today - 20 * day,
        due_on=today - 3 * day,
        net_sales_cny=Decimal("10000.00"),
        rate=Decimal("0.05000"),
        royalty_due_cny=Decimal("500.00"),
    )

    # access, subsidies, imports
    o["access"] = AccessRequest.objects.create(
        result=secret,
        requester=users["investor"],
        purpose="Due diligence",
        nda_kind="click_through",
    )
    programme = Programme.objects.create(
        code="p1",
        kind="industrialisation",
        name_zh="产业化",
        legal_basis_zh="办法",
        cap_per_project_cny=Decimal("100000.00"),
        window_opens=today - 30 * day,
        window_closes=today + 30 * day,
    )
    o["application"] = Application.objects.create(
        programme=programme,
        year=today.year,
        applicant=firm,
        project_title_en="Robot line",
        requested_cny=Decimal("5000.00"),
        status="submitted",
        submitted_at=timezone.now(),
    )
    o["failed_import"] = ImportJob.objects.create(
        token="a" * 32,
        kind="results",
        original_name="results.xlsx",
        file_format="xlsx",
        status="failed",
        created_by=m,
        file="imports/a",
    )
    o["other_failed_import"] = ImportJob.objects.create(
        token="b" * 32,
        kind="people",
        original_name="people.csv",
        file_format="csv",
        status="interrupted",
        created_by=m2,
        file="imports/b",
    )
    return World(today, users, o)

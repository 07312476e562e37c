"""Financing: valuations (relief from royalty to the fen, economic life capped by the patent
term), pledge loans (loan-to-value, no patent pledged twice, no assignment of a pledged patent),
securitisation pools and deal rooms."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from opentto.core.models import AuditEvent
from opentto.financing.models import PledgedAsset, PledgeLoan
from opentto.financing.selectors import pool_summary
from opentto.financing.services import (
    ValuationInput,
    assignment_problem,
    ip_asset_is_pledged,
    pledge_loan_cancel,
    pledge_loan_create,
    pledge_loan_register,
    pledge_loan_release,
    pool_asset_add,
    pool_create,
    valuation_create,
)
from opentto.patents.services import FilingInput, family_create, filing_create
from opentto.planning.selectors import deal_rooms_for
from opentto.planning.services import deal_room_create, deal_room_invite
from opentto.results.models import IPAsset
from tests.conftest import make_user
from tests.factories import EnterpriseFactory


def value(result, manager, **overrides):
    data = ValuationInput(
        valuation_date=timezone.localdate(),
        revenues=["1000000", "2000000"],
        royalty_rate="0.05",
        tax_rate="0.25",
        discount_rate="0.10",
    )
    for k, v in overrides.items():
        setattr(data, k, v)
    return valuation_create(result=result, data=data, actor=manager)


@pytest.mark.django_db
def test_the_relief_from_royalty_value_is_the_hand_calculation_to_the_fen(onboarded, manager):
    # 1,000,000 × 0.05 × 0.75 / 1.1 + 2,000,000 × 0.05 × 0.75 / 1.21 = 34,090.909… + 61,983.471… = 96,074.380…
    valuation = value(onboarded, manager)
    assert valuation.rfr_value_cny == Decimal("96074.38")
    assert valuation.concluded_value_cny == Decimal("96074.38")
    assert valuation.concluded_method == "relief_from_royalty"
    assert AuditEvent.objects.filter(action="valuation.create").count() == 1


@pytest.mark.django_db
def test_cost_and_market_approaches(onboarded, manager):
    valuation = value(
        onboarded,
        manager,
        reproduction_costs=["1000000", "500000"],
        obsolescence_rates=["0.2"],
        concluded_method="cost",
    )
    assert (valuation.cost_value_cny, valuation.concluded_value_cny) == (
        Decimal("1200000.00"),
        Decimal("1200000.00"),
    )
    with pytest.raises(ValidationError) as refused:
        value(onboarded, manager, concluded_method="market")
    assert refused.value.message_dict == {
        "concluded_method": ["The approach concluded on has no value: give its inputs."]
    }
    with pytest.raises(ValidationError) as refused:
        value(onboarded, manager, comparable_deal_ids=[999999], concluded_method="market")
    assert refused.value.message_dict["comparable_deal_ids"] == [
        "Choose signed deals on the platform that do not cover this result."
    ]


@pytest.mark.django_db
def test_the_economic_life_cannot_outlast_the_patent(onboarded, manager):
    fam = family_create(
        result=onboarded, kind="invention", title_en="Arm", target_offices=["CN"], actor=manager
    )
    filing_create(
        family=fam,
        data=FilingInput(
            office="CN",
            route="first",
            filing_date=dt.date(2010, 1, 31),
            grant_date=dt.date(2012, 5, 3),
        ),
        actor=manager,
    )
    today = timezone.localdate()
    remaining = 2030 - today.year - ((today.month, today.day) > (1, 31))
    with pytest.raises(ValidationError) as refused:
        value(onboarded, manager, revenues=["1"] * (remaining + 1))
    assert refused.value.message_dict["revenues"] == [
        f"The economic life ({remaining + 1} years) cannot be longer than the remaining patent term ({remaining} whole years)."
    ]
    assert value(onboarded, manager, revenues=["1"] * remaining).remaining_term_years == remaining


@pytest.fixture
def patent(onboarded) -> IPAsset:
    return onboarded.ip_assets.get()


@pytest.mark.django_db
def test_the_loan_to_value_ceiling(onboarded, manager, bank, patent):
    valuation = value(onboarded, manager)  # 96,074.38
    with pytest.raises(ValidationError) as refused:
        pledge_loan_create(
            result=onboarded,
            lender=bank,
            valuation=valuation,
            ip_assets=[patent],
            amount_cny="48037.20",
            term_months=12,
            annual_rate="0.035",
            max_ltv="0.5",
            actor=manager,
        )
    assert refused.value.message_dict == {
        "amount_cny": [
            "The loan of 48037.20 yuan exceeds 50% of the valuation (96074.38 yuan): at most 48037.19 yuan."
        ]
    }
    loan = pledge_loan_create(
        result=onboarded,
        lender=bank,
        valuation=valuation,
        ip_assets=[patent],
        amount_cny="48037.19",
        term_months=12,
        annual_rate="0.035",
        max_ltv="0.5",
        actor=manager,
    )
    assert (loan.status, loan.amount_cny) == ("applied", Decimal("48037.19"))


@pytest.mark.django_db
def test_a_pledged_patent_cannot_be_pledged_twice_or_assigned(
    onboarded, manager, bank, patent, enterprise_org
):
    valuation = value(onboarded, manager)
    loan = pledge_loan_create(
        result=onboarded,
        lender=bank,
        valuation=valuation,
        ip_assets=[patent],
        amount_cny="10000",
        term_months=12,
        annual_rate="0.035",
        actor=manager,
    )
    assert ip_asset_is_pledged(patent) is True
    assert (
        assignment_problem([patent])
        == f"These patents are under a standing pledge and cannot be assigned until it is released: {patent.application_number}."
    )
    with pytest.raises(ValidationError) as refused:
        pledge_loan_create(
            result=onboarded,
            lender=bank,
            valuation=valuation,
            ip_assets=[patent],
            amount_cny="10000",
            term_months=12,
            annual_rate="0.035",
            actor=manager,
        )
    assert refused.value.message_dict == {
        "ip_assets": [
            f"Already pledged under a standing pledge: {patent.application_number}. A patent cannot be pledged twice."
        ]
    }
    assert PledgeLoan.objects.count() == 1
    # The database itself refuses a second standing pledge, whatever the code path.
    other = PledgeLoan.objects.create(
        result=onboarded,
        lender=bank,
        valuation=valuation,
        amount_cny=1,
        term_months=1,
        annual_rate=0,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        PledgedAsset.objects.create(loan=other, ip_asset=patent, is_standing=True)
    other.delete()
    pledge_loan_register(
        loan=loan,
        registration_number="Y2026310000001",
        registration_date=timezone.localdate(),
        actor=manager,
    )
    assert ip_asset_is_pledged(patent) is True
    pledge_loan_release(loan=loan, released_on=timezone.localdate(), actor=manager)
    assert ip_asset_is_pledged(patent) is False and assignment_problem([patent]) is None
    again = pledge_loan_create(
        result=onboarded,
        lender=bank,
        valuation=valuation,
        ip_assets=[patent],
        amount_cny="10000",
        term_months=12,
        annual_rate="0.035",
        actor=manager,
    )
    pledge_loan_cancel(loan=again, actor=manager)
    assert ip_asset_is_pledged(patent) is False


@pytest.mark.django_db
def test_a_loan_needs_a_bank_and_a_registration_number(
    onboarded, manager, enterprise_org, bank, patent
):
    valuation = value(onboarded, manager)
    with pytest.raises(ValidationError) as refused:
        pledge_loan_create(
            result=onboarded,
            lender=enterprise_org,
            valuation=valuation,
            ip_assets=[patent],
            amount_cny="100",
            term_months=12,
            annual_rate="0.035",
            actor=manager,
        )
    assert refused.value.message_dict == {"lender": ["The lender must be a bank."]}
    loan = pledge_loan_create(
        result=onboarded,
        lender=bank,
        valuation=valuation,
        ip_assets=[patent],
        amount_cny="100",
        term_months=12,
        annual_rate="0.035",
        actor=manager,
    )
    with pytest.raises(ValidationError):
        pledge_loan_register(
            loan=loan,
            registration_number=" ",
            registration_date=timezone.localdate(),
            actor=manager,
        )
    with pytest.raises(ValidationError):
        pledge_loan_release(
            loan=loan, released_on=timezone.localdate(), actor=manager
        )  # not registered yet
    loan.refresh_from_db()
    assert loan.status == "applied"


@pytest.mark.django_db
def test_a_pool_aggregates_cash_flows_and_measures_concentration(
    onboarded, manager, enterprise_org
):
    other = EnterpriseFactory()
    pool = pool_create(name_en="Medical devices pool", actor=manager)
    pool_asset_add(
        pool=pool,
        result=onboarded,
        licensee=enterprise_org,
        cash_flows=[("2027-Q1", "300"), ("2027-Q2", "450")],
        actor=manager,
    )
    pool_asset_add(
        pool=pool,
        result=onboarded,
        licensee=other,
        cash_flows=[("2027-Q1", "100"), ("2027-Q2", "150")],
        actor=manager,
    )
    with pytest.raises(ValidationError) as refused:
        pool_asset_add(
            pool=pool, result=onboarded, licensee=other, cash_flows=[("2027/3", "1")], actor=manager
        )
    assert refused.value.message_dict["cash_flows-0-period"] == [
        "Write the period as YYYY or YYYY-Qn, e.g. 2027-Q1."
    ]
    summary = pool_summary(manager, pool)
    assert summary.periods == [("2027-Q1", Decimal("400.00")), ("2027-Q2", Decimal("600.00"))]
    assert summary.total == Decimal("1000.00")
    assert [(share) for _n, _a, share in summary.by_licensee] == [
        Decimal("75.00"),
        Decimal("25.00"),
    ]
    assert summary.hhi == 6250 and summary.largest_share == Decimal("75.00")


@pytest.mark.django_db
def test_investors_see_only_the_rooms_they_are_invited_to(
    onboarded, manager, investor, enterprise_user
):
    room = deal_room_create(result=onboarded, title="Angel round", actor=manager)
    other_investor = make_user("investor", username="investor2")
    with pytest.raises(ValidationError) as refused:
        deal_room_invite(room=room, user=enterprise_user, actor=manager)
    assert refused.value.message_dict == {
        "user": ["Only investor users are invited to a deal room."]
    }
    deal_room_invite(room=room, user=investor, actor=manager)
    assert list(deal_rooms_for(investor)) == [room]
    assert list(deal_rooms_for(other_investor)) == []
    assert list(deal_rooms_for(enterprise_user)) == []
    assert list(deal_rooms_for(manager)) == [room]


@pytest.mark.django_db
def test_an_assignment_deal_over_a_pledged_patent_is_refused(
    onboarded, manager, bank, patent, enterprise_org
):
    from opentto.landing.models import Deal
    from opentto.landing.services import deal_create

    from ..results.test_pipeline import to_landing

    to_landing(onboarded, manager)
    pledge_loan_create(
        result=onboarded,
        lender=bank,
        valuation=value(onboarded, manager),
        ip_assets=[patent],
        amount_cny="10000",
        term_months=12,
        annual_rate="0.035",
        actor=manager,
    )
    with pytest.raises(ValidationError) as refused:
        deal_create(
            results=[onboarded],
            counterparty=enterprise_org,
            deal_type="assignment",
            amount_cny="1000000",
            actor=manager,
        )
    assert refused.value.message_dict["deal_type"] == [assignment_problem([patent])]
    assert Deal.objects.count() == 0
    licence = deal_create(
        results=[onboarded],
        counterparty=enterprise_org,
        deal_type="licence_non_exclusive",
        amount_cny="1000000",
        actor=manager,
    )
    assert (
        licence.pk is not None
    )  # a licence leaves the title with the owner: allowed under a pledge

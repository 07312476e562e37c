import datetime as dt

import pytest

from opentto.landing.models import Distribution
from opentto.landing.services import (
    DealTerms,
    deal_classify,
    deal_create,
    deal_sign,
    payment_distribute,
    payment_record,
    registration_apply,
    registration_register,
)
from opentto.results.services import result_onboard
from opentto.tax.adapter import KIND_FROM_DEAL_TYPE
from opentto.tax.services import deal_tax_facts_set, deal_tax_year_set

from ..conftest import result_input
from ..results.test_pipeline import to_landing

REGISTERED_ON = dt.date(2025, 1, 20)


@pytest.fixture
def landing_result(manager, university, researcher, second_researcher):
    r = result_onboard(
        data=result_input([university], [(researcher, "60"), (second_researcher, "40")]),
        actor=manager,
    )
    return to_landing(r, manager)


def make_deal(
    manager,
    result,
    counterparty,
    deal_type,
    amount,
    title,
    terms=None,
    received="2025-02-01",
    registered_on=REGISTERED_ON,
):
    """A signed deal, classified and claiming the income-tax relief, registered on ``registered_on``
    (the office's technology income = the contract amount) unless that is None."""
    deal = deal_create(
        results=[result],
        counterparty=counterparty,
        deal_type=deal_type,
        amount_cny=amount,
        title=title,
        terms=terms or DealTerms(),
        actor=manager,
    )
    deal = deal_sign(deal=deal, signed_on=dt.date(2025, 1, 10), actor=manager)
    deal_classify(
        deal=deal,
        contract_kind=KIND_FROM_DEAL_TYPE[deal_type],
        claims_income_tax_relief=True,
        actor=manager,
    )
    if registered_on is not None:
        registration_apply(
            deal=deal,
            applied_on=dt.date(2025, 1, 12),
            office="上海市徐汇区技术合同登记处",
            actor=manager,
        )
        registration_register(
            deal=deal,
            number=f"31010420250{deal.pk:05d}",
            registered_on=registered_on,
            technology_income_cny=amount,
            actor=manager,
        )
        deal.refresh_from_db()
    payment_record(
        deal=deal, received_on=dt.date.fromisoformat(received), amount_cny=amount, actor=manager
    )
    return deal


@pytest.fixture
def year_2025(manager, landing_result, enterprise_org, university):
    """The worked example's three qualifying deals and one related-party transfer, in 2025."""
    a = make_deal(
        manager, landing_result, enterprise_org, "assignment", "3000000.00", "A: patent assignment"
    )
    b = make_deal(
        manager,
        landing_result,
        enterprise_org,
        "licence_exclusive",
        "2600000.00",
        "B: exclusive licence",
        DealTerms(term_starts_on=dt.date(2025, 1, 1), term_ends_on=dt.date(2034, 12, 31)),
    )
    c = make_deal(
        manager,
        landing_result,
        enterprise_org,
        "licence_non_exclusive",
        "2000000.00",
        "C: non-exclusive licence, 6 years",
        DealTerms(term_starts_on=dt.date(2025, 1, 1), term_ends_on=dt.date(2030, 12, 31)),
    )
    d = make_deal(
        manager,
        landing_result,
        enterprise_org,
        "assignment",
        "800000.00",
        "D: to a wholly-owned subsidiary",
    )
    e = make_deal(
        manager,
        landing_result,
        enterprise_org,
        "licence_non_exclusive",
        "400000.00",
        "E: non-exclusive licence, 3 years",
        DealTerms(term_starts_on=dt.date(2025, 1, 1), term_ends_on=dt.date(2027, 12, 31)),
    )
    deal_tax_year_set(
        deal=a,
        organisation=university,
        year=2025,
        costs_cny="120000.00",
        taxes_cny="15678.90",
        actor=manager,
    )
    deal_tax_year_set(
        deal=b,
        organisation=university,
        year=2025,
        costs_cny="100000.00",
        taxes_cny="0",
        actor=manager,
    )
    deal_tax_year_set(
        deal=c,
        organisation=university,
        year=2025,
        costs_cny="18642.19",
        taxes_cny="0",
        actor=manager,
    )
    deal_tax_year_set(
        deal=e,
        organisation=university,
        year=2025,
        costs_cny="10000.00",
        taxes_cny="0",
        actor=manager,
    )
    deal_tax_facts_set(deal=d, wholly_owned_related_party=True, actor=manager)
    return {"a": a, "b": b, "c": c, "d": d, "e": e}


@pytest.fixture
def reward_deal(manager, landing_result, enterprise_org):
    """A registered licence paid 12,345.67 on 2025-02-01 and distributed on 2025-03-15: the team
    gets 6,172.84 (half of the net, half up), split 60/40 by largest remainder: 3,703.70 and 2,469.14."""
    deal = make_deal(
        manager,
        landing_result,
        enterprise_org,
        "licence_exclusive",
        "12345.67",
        "Reward licence",
        DealTerms(term_starts_on=dt.date(2025, 1, 1), term_ends_on=dt.date(2034, 12, 31)),
    )
    payment = deal.payments.get()
    distribution = payment_distribute(payment=payment, actor=manager)
    Distribution.objects.filter(pk=distribution.pk).update(
        created_at=dt.datetime(2025, 3, 15, 2, 0, tzinfo=dt.UTC)
    )
    return deal

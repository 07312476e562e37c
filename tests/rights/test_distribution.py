"""Income distribution after a 赋权, computed by hand to the fen (docs/regime.md (赋权) has the same example).

The result: owned by the university, inventors Li Ming 60 % and Wang Fang 40 % (contribution).
The university's rule: team 0.7, TTO 0.1. The 赋权: the team owns 70 %, its internal split Li 55 /
Wang 45.
"""

import datetime as dt
from decimal import Decimal

import pytest

from opentto.landing.services import deal_create, deal_sign, payment_distribute, payment_record
from opentto.rights.services import TeamMemberInput, rights_application_create

from ..results.test_pipeline import to_landing
from .conftest import EFFECTIVE, TODAY, take_into_effect

pytestmark = pytest.mark.django_db


@pytest.fixture
def deal(manager, owned_result, enterprise_org, rule):
    to_landing(owned_result, manager)
    d = deal_create(
        results=[owned_result],
        counterparty=enterprise_org,
        deal_type="licence_exclusive",
        amount_cny="5000000.00",
        title="Licence",
        actor=manager,
    )
    return deal_sign(deal=d, signed_on=EFFECTIVE - dt.timedelta(days=20), actor=manager)


@pytest.fixture
def granted(manager, inventor, owned_result, pilot, researcher, second_researcher):
    application = rights_application_create(
        result=owned_result,
        pilot=pilot,
        requested_kind="ownership",
        requested_share="70",
        team=[TeamMemberInput(researcher, "55"), TeamMemberInput(second_researcher, "45")],
        actor=inventor,
    )
    return take_into_effect(application, manager, inventor)


def _lines(distribution):
    return sorted(
        (line.party, line.person.name_en if line.person else "", line.amount_cny)
        for line in distribution.lines.all()
    )


def _pay(deal, manager, amount, received_on):
    return payment_distribute(
        payment=payment_record(
            deal=deal, received_on=received_on, amount_cny=amount, actor=manager
        ),
        actor=manager,
    )


def test_before_and_after_the_grant(deal, granted, manager):
    # received the day before the 赋权 took effect: the university owned it all
    before = _pay(deal, manager, "1000000.00", EFFECTIVE - dt.timedelta(days=1))
    assert _lines(before) == [
        ("organisation", "", Decimal("200000.00")),
        ("person", "Li Ming", Decimal("420000.00")),
        ("person", "Wang Fang", Decimal("280000.00")),
        ("tto", "", Decimal("100000.00")),
    ]
    assert "ownership" not in before.rules
    # received after: 700,000.00 to the team as owners (55/45); the rule only on the university's 300,000.00
    after = _pay(deal, manager, "1000000.00", TODAY)
    assert _lines(after) == [
        ("organisation", "", Decimal("60000.00")),
        ("person", "Li Ming", Decimal("126000.00")),
        ("person", "Wang Fang", Decimal("84000.00")),
        ("team_owner", "Li Ming", Decimal("385000.00")),
        ("team_owner", "Wang Fang", Decimal("315000.00")),
        ("tto", "", Decimal("30000.00")),
    ]
    assert sum(line.amount_cny for line in after.lines.all()) + after.costs_cny == Decimal(
        "1000000.00"
    )
    holders = after.rules["ownership"]["holders"]
    assert [(h["kind"], h["share"], h["amount"]) for h in holders] == [
        ("organisation", "30.000", "300000.00"),
        ("team", "70.000", "700000.00"),
    ]


def test_odd_amount_to_the_fen(deal, granted, manager):
    # 333,333.33: team 233,333.331 and university 99,999.999 → the spare fen to the larger remainder (the university)
    d = _pay(deal, manager, "333333.33", TODAY)
    assert _lines(d) == [
        ("organisation", "", Decimal("20000.00")),
        ("person", "Li Ming", Decimal("42000.00")),
        ("person", "Wang Fang", Decimal("28000.00")),
        # 233,333.33 × 55 % = 128,333.3315 and × 45 % = 104,999.9985: the spare fen to Wang Fang
        ("team_owner", "Li Ming", Decimal("128333.33")),
        ("team_owner", "Wang Fang", Decimal("105000.00")),
        ("tto", "", Decimal("10000.00")),
    ]
    assert sum(line.amount_cny for line in d.lines.all()) == Decimal("333333.33")


def test_the_deal_page_says_which_owner_shares_applied_and_why(deal, granted, manager):
    from django.test import Client
    from django.urls import reverse
    from django.utils import translation

    _pay(deal, manager, "1000000.00", TODAY)
    client = Client()
    client.force_login(manager)
    with translation.override("en"):
        en = client.get(reverse("landing:detail", args=[deal.pk])).content.decode()
    assert f"(rights application {granted.pk}) 70% → ¥700,000.00" in en
    assert "no statutory reward is paid again on this share" in en and "30% → ¥300,000.00" in en
    with translation.override("zh-hans"):
        zh = client.get(reverse("landing:detail", args=[deal.pk])).content.decode()
    assert (
        f"（第 {granted.pk} 号赋权申请） 70% → ¥700,000.00" in zh
        and "该份额不再重复发放法定奖励" in zh
    )

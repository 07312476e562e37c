"""Payments, royalties, costs and the distribution of income to the fen."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from opentto.core.pdf import extract_text
from opentto.landing.models import Distribution, DistributionLine, ResultCost
from opentto.landing.pdf import statement_pdf
from opentto.landing.selectors import royalty_flags, statement
from opentto.landing.services import (
    DealTerms,
    agreement_create,
    cost_record,
    deal_create,
    deal_sign,
    deal_update_terms,
    payment_distribute,
    payment_record,
    royalty_report_record,
    rule_set,
)
from opentto.results.services import result_onboard

from ..conftest import result_input
from ..factories import MembershipFactory, PersonFactory
from ..results.test_pipeline import to_landing


@pytest.mark.django_db
def test_an_odd_payment_is_distributed_to_the_fen_with_nothing_lost(
    manager, university, signed_deal, landing_result, researcher, second_researcher
):
    rule, warnings = rule_set(
        organisation=university,
        team_share="0.7",
        tto_share="0.1",
        legal_source="Rules art. 12",
        actor=manager,
    )
    # the default equity share (50%) meets the national floor but not Shanghai's standard (art. 34 para. 1 (2))
    assert len(warnings) == 1 and "item (2)" in warnings[0]
    assert (
        rule_set(
            organisation=university,
            team_share="0.7",
            tto_share="0.1",
            equity_team_share="0.7",
            legal_source="Rules art. 12",
            actor=manager,
        )[1]
        == []
    )
    cost_record(
        result=landing_result,
        kind="agent",
        amount_cny="1000.00",
        incurred_on=dt.date(2025, 2, 1),
        actor=manager,
    )
    cost_record(
        result=landing_result,
        kind="legal",
        amount_cny="99999999.00",
        incurred_on=dt.date(2025, 2, 2),
        actor=manager,
    )  # does not fit
    payment = payment_record(
        deal=signed_deal, received_on=dt.date(2025, 3, 10), amount_cny="100000.01", actor=manager
    )
    d = payment_distribute(payment=payment, actor=manager)
    assert (d.costs_cny, d.net_cny) == (Decimal("1000.00"), Decimal("99000.01"))
    parts = {(line.party, line.person_id): line.amount_cny for line in d.lines.all()}
    # team = 0.7 x 99000.01 = 69300.007 -> 69300.01; tto = 9900.001 -> 9900.00; organisation the rest
    assert parts[("tto", None)] == Decimal("9900.00")
    assert parts[("organisation", None)] == Decimal("19800.00")
    # 60/40 of 69300.01: 41580.006 / 27720.004 -> 41580.00 + 27720.00 and the fen left goes to the larger remainder
    assert parts[("person", researcher.pk)] == Decimal("41580.01")
    assert parts[("person", second_researcher.pk)] == Decimal("27720.00")
    assert sum(parts.values()) + d.costs_cny == payment.amount_cny
    assert (
        ResultCost.objects.filter(distribution=d).count() == 1
        and ResultCost.objects.filter(distribution=None).count() == 1
    )
    with pytest.raises(ValidationError):  # once only
        payment_distribute(payment=payment, actor=manager)


@pytest.mark.django_db
def test_co_owners_split_by_their_agreement_then_each_by_its_rule(
    manager, university, other_university, researcher, enterprise_org
):
    colleague = MembershipFactory(organisation=other_university, person=PersonFactory()).person
    r = to_landing(
        result_onboard(
            data=result_input(
                [university, other_university], [(researcher, "50"), (colleague, "50")]
            ),
            actor=manager,
        ),
        manager,
    )
    agreement_create(
        kind="co_owner",
        title="Co-owners",
        parties=[university, other_university],
        results=[r],
        signed_on=dt.date(2024, 1, 1),
        shares=[(university, "70"), (other_university, "30")],
        actor=manager,
    )
    rule_set(organisation=university, team_share="0.7", legal_source="U rules", actor=manager)
    _rule, warnings = rule_set(
        organisation=other_university, team_share="0.4", legal_source="O rules", actor=manager
    )
    assert any("50" in w and "art. 45" in w for w in warnings) and any(
        "Shanghai" in w for w in warnings
    )
    deal = deal_sign(
        deal=deal_create(
            results=[r],
            counterparty=enterprise_org,
            deal_type="assignment",
            amount_cny="10",
            actor=manager,
        ),
        signed_on=dt.date(2025, 1, 1),
        actor=manager,
    )
    d = payment_distribute(
        payment=payment_record(
            deal=deal, received_on=dt.date(2025, 1, 2), amount_cny="0.07", actor=manager
        ),
        actor=manager,
    )
    by_org = {}
    for line in d.lines.all():
        by_org[line.organisation_id] = (
            by_org.get(line.organisation_id, Decimal(0)) + line.amount_cny
        )
    assert by_org == {
        university.pk: Decimal("0.05"),
        other_university.pk: Decimal("0.02"),
    }  # 0.049 / 0.021 -> largest remainder
    people = {line.person_id: line.amount_cny for line in d.lines.filter(party="person")}
    assert set(people) == {researcher.pk, colleague.pk}  # each institution's own people
    assert sum(line.amount_cny for line in d.lines.all()) == Decimal("0.07")
    assert d.warnings  # the rule below the floor is reported with the distribution


@pytest.mark.django_db
def test_co_owner_shares_must_sum_to_100_and_name_the_owners(
    manager, university, other_university, landing_result
):
    with pytest.raises(ValidationError) as exc:
        agreement_create(
            kind="co_owner",
            title="x",
            parties=[university, other_university],
            results=[landing_result],
            signed_on=dt.date(2024, 1, 1),
            shares=[(university, "70"), (other_university, "20")],
            actor=manager,
        )
    assert "100%" in " ".join(exc.value.message_dict["shares"])
    assert "results" in exc.value.message_dict  # the result is owned by the university alone


@pytest.mark.django_db
def test_royalty_due_from_sales_and_rate_and_flags(manager, signed_deal):
    with pytest.raises(ValidationError):
        royalty_report_record(
            deal=signed_deal,
            period_start=dt.date(2025, 1, 1),
            period_end=dt.date(2025, 6, 30),
            due_on=dt.date(2025, 7, 31),
            net_sales_cny="1",
            actor=manager,
        )
    deal_update_terms(
        deal=signed_deal,
        amount_cny=signed_deal.amount_cny,
        actor=manager,
        terms=DealTerms(royalty_rate="0.035", royalty_minimum_cny="5000"),
    )
    signed_deal.refresh_from_db()
    r1 = royalty_report_record(
        deal=signed_deal,
        period_start=dt.date(2025, 3, 1),
        period_end=dt.date(2025, 6, 30),
        due_on=dt.date(2025, 7, 31),
        net_sales_cny="8765432.10",
        actor=manager,
    )
    assert r1.royalty_due_cny == Decimal("306790.12")  # 306790.1235 -> half up to the fen
    r2 = royalty_report_record(
        deal=signed_deal,
        period_start=dt.date(2025, 7, 1),
        period_end=dt.date(2025, 9, 30),
        due_on=dt.date(2025, 10, 31),
        net_sales_cny="1000",
        actor=manager,
    )
    assert r2.royalty_due_cny == Decimal("5000.00") and r2.minimum_applied
    payment_record(
        deal=signed_deal,
        received_on=dt.date(2025, 8, 1),
        amount_cny="300000",
        royalty_report=r1,
        actor=manager,
    )
    assert r1.shortfall_cny == Decimal("6790.12") and r1.is_short and r1.is_overdue
    assert {r.pk for r in royalty_flags(manager)} == {r1.pk, r2.pk}


@pytest.mark.django_db
def test_statement_per_person_per_year_page_and_pdf(
    client, manager, inventor, university, signed_deal, researcher, second_researcher
):
    rule_set(organisation=university, team_share="0.7", legal_source="Rules", actor=manager)
    payment_distribute(
        payment=payment_record(
            deal=signed_deal, received_on=dt.date(2025, 3, 10), amount_cny="1000.00", actor=manager
        ),
        actor=manager,
    )
    s = statement(manager, researcher, 2025)
    assert s.total == Decimal("420.00") and s.tax_base == Decimal("210.00")
    with translation.override("zh-hans"):
        text = extract_text(statement_pdf(s))
    assert (
        "科技成果转化奖励收入明细" in text.replace(" ", "")
        and "财税〔2018〕58号" in text.replace(" ", "")
        and "Statement" not in text
    )
    text = extract_text(statement_pdf(s))
    assert (
        "Statementofrewards2025" in text.replace(" ", "")
        and "Caishui[2018]No.58" in text.replace(" ", "")
        and "明细" not in text
    )
    client.force_login(inventor)  # the inventor's user is the researcher
    assert client.get(f"/en/deals/statements/{researcher.pk}/2025/").status_code == 200
    response = client.get(f"/en/deals/statements/{researcher.pk}/2025.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert (
        client.get(f"/en/deals/statements/{second_researcher.pk}/2025/").status_code == 404
    )  # someone else's
    assert (
        Distribution.objects.count() == 1
        and DistributionLine.objects.filter(party="person").count() == 2
    )


@pytest.mark.django_db
def test_overdue_and_short_royalties_are_flagged_to_managers_once(manager, signed_deal):
    from opentto.landing.services import royalty_flag_overdue
    from opentto.notifications.models import Notification

    deal_update_terms(
        deal=signed_deal,
        amount_cny=signed_deal.amount_cny,
        actor=manager,
        terms=DealTerms(royalty_rate="0.05"),
    )
    signed_deal.refresh_from_db()
    report = royalty_report_record(
        deal=signed_deal,
        period_start=dt.date(2025, 3, 1),
        period_end=dt.date(2025, 6, 30),
        due_on=dt.date(2025, 7, 31),
        net_sales_cny="1000",
        actor=manager,
    )
    assert royalty_flag_overdue(today=dt.date(2025, 7, 31)) == 0  # not yet due
    assert royalty_flag_overdue(today=dt.date(2025, 8, 1)) == 1
    assert royalty_flag_overdue(today=dt.date(2025, 8, 2)) == 0  # once
    note = Notification.objects.get(recipient=manager)
    assert "overdue" in note.title_en and str(report.deal) in note.title_en

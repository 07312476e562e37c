"""The dashboard's money, reports, exports and the annual report, for the viewer's scope."""

import datetime as dt
import io
import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from opentto.core.pdf import extract_text
from opentto.dashboard.reports import (
    amounts_received,
    autm,
    china_annual,
    funnel_conversion,
    tables,
    time_in_stage,
)
from opentto.dashboard.selectors import figures
from opentto.landing.models import Deal, Payment
from opentto.landing.services import (
    DealTerms,
    deal_create,
    deal_sign,
    payment_distribute,
    payment_record,
    rule_set,
)
from opentto.results.services import result_onboard

from ..conftest import make_user, result_input
from ..factories import EnterpriseFactory
from ..results.test_pipeline import to_landing

DAY = dt.date(2025, 6, 30)


@pytest.fixture
def book(manager, university, other_university, researcher, enterprise_org):
    """Two landed results of two universities, licensed to two enterprises; payments on both."""
    other_buyer = EnterpriseFactory(name_zh="别家公司", name_en="Other Co")
    a = to_landing(
        result_onboard(
            data=result_input(
                [university], [(researcher, "100")], title_zh="甲", title_en="A", ip_assets=[]
            ),
            actor=manager,
        ),
        manager,
    )
    b = to_landing(
        result_onboard(
            data=result_input(
                [other_university],
                [(researcher, "100")],
                title_zh="乙",
                title_en="B",
                ip_assets=[],
                field="ic",
            ),
            actor=manager,
        ),
        manager,
    )
    d1 = deal_sign(
        deal=deal_create(
            results=[a],
            counterparty=enterprise_org,
            deal_type="licence_exclusive",
            amount_cny="1000000.10",
            actor=manager,
        ),
        signed_on=DAY,
        actor=manager,
    )
    d2 = deal_sign(
        deal=deal_create(
            results=[b],
            counterparty=other_buyer,
            deal_type="spin_off",
            amount_cny="3000000",
            actor=manager,
            terms=DealTerms(equity_valuation_cny="2000000", equity_percent="20"),
        ),
        signed_on=DAY,
        actor=manager,
    )
    rule_set(organisation=university, team_share="0.7", legal_source="rules", actor=manager)
    payment_distribute(
        payment=payment_record(
            deal=d1, received_on=dt.date(2025, 7, 1), amount_cny="300000.03", actor=manager
        ),
        actor=manager,
    )
    payment_record(deal=d2, received_on=dt.date(2025, 7, 2), amount_cny="500000", actor=manager)
    return d1, d2


@pytest.mark.django_db
def test_reports_agree_with_the_deals_in_the_database(book, manager):
    total, by_year = amounts_received(manager)
    assert total == sum(p.amount_cny for p in Payment.objects.all()) == Decimal("800000.03")
    assert by_year == [(2025, Decimal("800000.03"))]
    china = {k: (n, v) for k, _h, n, v in china_annual(manager, 2025)}
    assert china["licence"] == (1, Decimal("1000000.10")) and china["equity"] == (
        1,
        Decimal("3000000.00"),
    )
    assert china["transfer"] == (0, Decimal("0")) and china["cash_rewards"] == (
        1,
        Decimal("210000.02"),
    )
    assert china["equity_rewards"][1] == Decimal(
        "1000000.00"
    )  # 2,000,000 x the default 0.5 (no rule for the other university)
    metrics = {k: (n, v) for k, _h, n, v in autm(manager, 2025)}
    assert (
        metrics["licences"] == (1, Decimal("1000000.10"))
        and metrics["startups"][0] == 1
        and metrics["licence_income"][1] == Decimal("300000.03")
    )
    conversion = {k: (n, share) for k, _l, n, share in funnel_conversion(manager)}
    assert conversion["onboarding"] == (2, Decimal("100.0")) and conversion["landed"] == (
        2,
        Decimal("100.0"),
    )
    stays = {k: n for k, _l, n, _m, _md in time_in_stage(manager)}
    assert stays["onboarding"] == 2 and stays["landing"] == 2


def _norm(value):
    if isinstance(value, int | float | Decimal):
        return Decimal(str(value)).quantize(Decimal("0.01"))
    return str(value)


@pytest.mark.django_db
def test_every_table_exports_to_xlsx_with_the_same_numbers(client, book, manager):
    client.force_login(manager)
    for key, table in tables(manager, 2025).items():
        response = client.get(f"/en/deals/figures/{key}.xlsx?year=2025")
        assert response.status_code == 200, key
        ws = load_workbook(io.BytesIO(response.content)).active
        rows = [list(r) for r in ws.iter_rows(min_row=3, values_only=True)]
        assert len(rows) == len(table.rows), key
        for got, want in zip(rows, table.rows, strict=True):
            assert [_norm(g) for g in got] == [_norm(w) for w in want], key
    assert client.get("/en/deals/figures/nope.xlsx").status_code == 404


@pytest.mark.django_db
def test_the_annual_report_pdf_has_its_headings_as_text_in_the_page_language(client, book, manager):
    client.force_login(manager)
    response = client.get("/zh-hans/deals/figures/report-2025.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = extract_text(response.content)
    for heading in (
        "2025年度科技成果转化报告",
        "一、总体情况",
        "二、转让、许可、作价投资及技术开发、咨询、服务合同",
        "许可合同",
        "现金奖励",
        "六、AUTM指标",
    ):
        assert heading.replace(" ", "") in text.replace(" ", ""), heading
    assert "Overview" not in text and "Licence contracts" not in text
    english = extract_text(client.get("/en/deals/figures/report-2025.pdf").content)
    for heading in (
        "Annual report on the transfer of results, 2025",
        "1. Overview",
        "Licence contracts",
        "Cash rewards to individuals",
    ):
        assert heading.replace(" ", "") in english.replace(" ", ""), heading
    assert "总体情况" not in english and "许可合同" not in english


@pytest.mark.django_db
def test_figures_honour_the_viewers_scope(client, book, manager, enterprise_user, official):
    d1, d2 = book
    mine = figures(enterprise_user)
    assert mine.transaction_value_cny == Decimal(
        "1000000.10"
    )  # an enterprise's figures cover its own deals only
    total, _ = amounts_received(enterprise_user)
    assert total == Decimal("300000.03")  # only its own deal's payments
    client.force_login(enterprise_user)
    page = client.get("/en/dashboard/").content.decode()
    assert 'data-figure="money_received_value_cny" data-period="all_time">¥300,000.03<' in page
    assert client.get("/en/deals/").content.decode().count("/deals/") >= 1
    assert (
        client.get(f"/en/deals/{d2.pk}/").status_code == 404
        and client.get(f"/en/deals/{d1.pk}/").status_code == 200
    )
    nobody = make_user("investor", username="inv2")
    assert amounts_received(nobody)[0] == Decimal("0") and amounts_received(official)[0] == Decimal(
        "800000.03"
    )


@pytest.mark.django_db
def test_dashboard_for_a_manager_equals_the_command(client, book, manager):
    out = StringIO()
    call_command("figures", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert {"results_incubated", "projects_landed", "transaction_value_cny", "funnel"} <= set(data)
    client.force_login(manager)
    page = client.get("/en/dashboard/").content.decode()
    assert f'data-figure="results_landed" data-period="all_time">{data["projects_landed"]}<' in page
    assert (
        data["transaction_value_cny"]
        == str(sum(d.amount_cny for d in Deal.objects.counted()))
        == "4000000.10"
    )
    assert 'data-figure="deals_signed_value_cny" data-period="all_time">¥4,000,000.10<' in page
    assert '<svg class="chart' in page and "style=" not in page.split("<main")[-1]


@pytest.mark.django_db
def test_amounts_received_by_organisation_field_and_year_honour_the_scope(
    client, book, manager, university, other_university, enterprise_user
):
    d1, d2 = book
    field_a = d1.results.get().field
    whole = tables(manager, 2025)
    assert whole["received_by_organisation"].rows == [
        [other_university.name, 1, Decimal("500000.00")],
        [university.name, 1, Decimal("300000.03")],
    ]
    by_field = {row[0]: row[1:] for row in whole["received_by_field"].rows}
    assert by_field == {
        str(d2.results.get().get_field_display()): [1, Decimal("500000.00")],
        str(d1.results.get().get_field_display()): [1, Decimal("300000.03")],
    }
    assert field_a != "ic"
    assert whole["received"].rows == [
        ["2025", Decimal("800000.03")],
        ["Total", Decimal("800000.03")],
    ]
    # each by-organisation and by-field row agrees with the payments in the database
    for org in (university, other_university):
        paid = sum(
            p.amount_cny
            for p in Payment.objects.filter(deal__results__ownerships__organisation=org).distinct()
        )
        assert [r[2] for r in whole["received_by_organisation"].rows if r[0] == org.name] == [paid]
    # an enterprise sees only its own deal's payments: on the page, in the tables and in the exports
    mine = tables(enterprise_user, 2025)
    assert mine["received_by_organisation"].rows == [[university.name, 1, Decimal("300000.03")]]
    assert [r[1:] for r in mine["received_by_field"].rows] == [[1, Decimal("300000.03")]]
    client.force_login(enterprise_user)
    page = client.get("/en/dashboard/?year=2025").content.decode()
    assert (
        'data-table="received_by_organisation"' in page
        and other_university.name
        not in page.split('data-table="received_by_organisation"')[1].split("</table>")[0]
    )
    ws = load_workbook(
        io.BytesIO(client.get("/en/deals/figures/received_by_organisation.xlsx?year=2025").content)
    ).active
    assert [list(r) for r in ws.iter_rows(min_row=3, values_only=True)] == [
        [university.name, 1, 300000.03]
    ]
    ws = load_workbook(
        io.BytesIO(client.get("/en/deals/figures/received_by_field.xlsx?year=2025").content)
    ).active
    assert len(list(ws.iter_rows(min_row=3, values_only=True))) == 1
    client.force_login(manager)
    page = client.get("/en/dashboard/?year=2025").content.decode()
    assert (
        other_university.name
        in page.split('data-table="received_by_organisation"')[1].split("</table>")[0]
    )


@pytest.mark.django_db
def test_funnel_time_in_stage_china_and_autm_agree_with_the_rows(book, manager, enterprise_org):
    import statistics

    from opentto.results.models import Result, StageTransition

    d1, d2 = book
    # a technology service contract signed in 2025
    r = d1.results.get()
    deal_sign(
        deal=deal_create(
            results=[r],
            counterparty=enterprise_org,
            deal_type="tech_service",
            amount_cny="12345.67",
            actor=manager,
        ),
        signed_on=DAY,
        actor=manager,
    )
    conversion = {k: n for k, _l, n, _s in funnel_conversion(manager)}
    for stage in ("evaluation", "planning", "landing", "landed"):
        assert (
            conversion[stage]
            == StageTransition.objects.filter(to_stage=stage).values("result").distinct().count()
        ), stage
    stays: dict[str, list[float]] = {}
    for result in Result.objects.all():
        moves = list(StageTransition.objects.filter(result=result).order_by("occurred_at", "id"))
        for before, after in zip(moves, moves[1:], strict=False):
            stays.setdefault(before.to_stage, []).append(
                (after.occurred_at - before.occurred_at).total_seconds() / 86400
            )
    for stage, _label, n, mean, median in time_in_stage(manager):
        days = stays.get(stage, [])
        assert n == len(days), stage
        assert mean == (
            Decimal(str(round(statistics.fmean(days), 1))) if days else Decimal("0.0")
        ), stage
        assert median == (
            Decimal(str(round(statistics.median(days), 1))) if days else Decimal("0.0")
        ), stage
    china = {k: (n, v) for k, _h, n, v in china_annual(manager, 2025)}
    assert china["tech_services"] == (1, Decimal("12345.67"))
    assert china_annual(manager, 2024)[0][2:] == (0, Decimal("0"))  # nothing signed in 2024
    metrics = {k: (n, v) for k, _h, n, v in autm(manager, 2025)}
    onboarded_2025 = Result.objects.filter(onboarded_at__year=2025).count()
    assert metrics["disclosures"][0] == onboarded_2025
    assert metrics["licence_income"][1] == sum(
        p.amount_cny
        for p in Payment.objects.filter(
            deal__deal_type__startswith="licence", received_on__year=2025
        )
    )

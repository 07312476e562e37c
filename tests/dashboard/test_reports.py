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
    a = to_landing(result_onboard(data=result_input([university], [(researcher, "100")], title_zh="甲", title_en="A", ip_assets=[]), actor=manager), manager)
    b = to_landing(result_onboard(data=result_input([other_university], [(researcher, "100")], title_zh="乙", title_en="B", ip_assets=[], field="ic"), actor=manager), manager)
    d1 = deal_sign(deal=deal_create(results=[a], counterparty=enterprise_org, deal_type="licence_exclusive", amount_cny="1000000.10", actor=manager), signed_on=DAY, actor=manager)
    d2 = deal_sign(deal=deal_create(results=[b], counterparty=other_buyer, deal_type="spin_off", amount_cny="3000000", actor=manager,
                                    terms=DealTerms(equity_valuation_cny="2000000", equity_percent="20")), signed_on=DAY, actor=manager)
    rule_set(organisation=university, team_share="0.7", legal_source="rules", actor=manager)
    payment_distribute(payment=payment_record(deal=d1, received_on=dt.date(2025, 7, 1), amount_cny="300000.03", actor=manager), actor=manager)
    payment_record(deal=d2, received_on=dt.date(2025, 7, 2), amount_cny="500000", actor=manager)
    return d1, d2


@pytest.mark.django_db
def test_reports_agree_with_the_deals_in_the_database(book, manager):
    total, by_year = amounts_received(manager)
    assert total == sum(p.amount_cny for p in Payment.objects.all()) == Decimal("800000.03")
    assert by_year == [(2025, Decimal("800000.03"))]
    china = {k: (n, v) for k, _h, n, v in china_annual(manager, 2025)}
    assert china["licence"] == (1, Decimal("1000000.10")) and china["equity"] == (1, Decimal("3000000.00"))
    assert china["transfer"] == (0, Decimal("0")) and china["cash_rewards"] == (1, Decimal("210000.02"))
    assert china["equity_rewards"][1] == Decimal("1000000.00")  # 2,000,000 x the default 0.5 (no rule for the other university)
    metrics = {k: (n, v) for k, _h, n, v in autm(manager, 2025)}
    assert metrics["licences"] == (1, Decimal("1000000.10")) and metrics["startups"][0] == 1 and metrics["licence_income"][1] == Decimal("300000.03")
    conversion = {k: (n, share) for k, _l, n, share in funnel_conversion(manager)}
    assert conversion["onboarding"] == (2, Decimal("100.0")) and conversion["landed"] == (2, Decimal("100.0"))
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
def test_the_annual_report_pdf_has_chinese_headings_as_text(client, book, manager):
    client.force_login(manager)
    response = client.get("/en/deals/figures/report-2025.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = extract_text(response.content)
    for heading in ("2025年度科技成果转化报告", "一、总体情况", "二、转让、许可、作价投资及技术开发、咨询、服务合同", "许可合同", "现金奖励", "六、AUTM指标"):
        assert heading.replace(" ", "") in text, heading


@pytest.mark.django_db
def test_figures_honour_the_viewers_scope(client, book, manager, enterprise_user, official):
    d1, d2 = book
    mine = figures(enterprise_user)
    assert mine.transaction_value_cny == Decimal("1000000.10")  # an enterprise's figures cover its own deals only
    total, _ = amounts_received(enterprise_user)
    assert total == Decimal("300000.03")  # only its own deal's payments
    client.force_login(enterprise_user)
    page = client.get("/en/dashboard/").content.decode()
    assert 'data-figure="amounts_received_cny">¥300,000.03' in page
    assert client.get("/en/deals/").content.decode().count("/deals/") >= 1
    assert client.get(f"/en/deals/{d2.pk}/").status_code == 404 and client.get(f"/en/deals/{d1.pk}/").status_code == 200
    nobody = make_user("investor", username="inv2")
    assert amounts_received(nobody)[0] == Decimal("0") and amounts_received(official)[0] == Decimal("800000.03")


@pytest.mark.django_db
def test_dashboard_for_a_manager_equals_the_command(client, book, manager):
    out = StringIO()
    call_command("figures", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert {"results_incubated", "projects_landed", "transaction_value_cny", "funnel"} <= set(data)
    client.force_login(manager)
    page = client.get("/en/dashboard/").content.decode()
    assert f'data-figure="projects_landed">{data["projects_landed"]}<' in page
    assert data["transaction_value_cny"] == str(sum(d.amount_cny for d in Deal.objects.counted())) == "4000000.10"
    assert 'data-figure="transaction_value_cny">¥4,000,000.10<' in page
    assert "<svg class=\"chart" in page and "style=" not in page.split("<main")[-1]

"""The headline figures per year against a hand-counted book spanning 2023–2025, for each role.

The book (times in UTC; "SH" = the Asia/Shanghai calendar the years follow):

| result | owner | public | onboarded | evaluated | landed | deal |
|---|---|---|---|---|---|---|
| R1 | U | yes | 2023-03-01 04:00 | 2023-12-31 17:00 (SH 2024-01-01) | 2023-12-31 16:30 (SH 2024-01-01) | D1 with E, signed 2024-02-01, ¥1,000,000.10 |
| R2 | V | yes | 2024-12-31 16:30 (SH 2025-01-01) | 2025-03-01 | 2025-06-30 03:00 | D2 with F, signed 2025-06-30, ¥3,000,000.00 |
| R3 | U | yes | 2024-06-01 | 2024-07-01 and 2024-09-01 | back to landing | D3 with F, signed 2025-03-03, terminated: ¥12,345.67 not counted |
| R4 | V | yes | 2023-07-01 | — | withdrawn | — |
| R5 | U | yes | 2023-12-31 15:59 (SH 23:59, 2023) | — | — | — |
| R6 | U | no | 2025-05-05 | — | — | — |

Payments (dates): P1 on D1 2024-03-01 ¥300,000.03; P2 on D1 2025-01-01 ¥200,000.00; P3 on D2
2025-07-02 ¥500,000.00; P4 on D3 2025-04-01 ¥1,000.01 (received before the termination: it counts).
Distributions (no costs: net = the payment) of P1, P2 and P3, entered now: each counts in the year
its payment was received (2024, 2025, 2025), as the personal statements do.
A year taken in UTC would put R2's onboarding, R1's evaluation and R1's landing in the year before.

Scopes: U's inventor counts the public results and U's, and the deals covering U's results (D1,
D3): R2 (a signed deal they may not count) is left out. E's user counts the public results and its
own deals (D1): R2 and R3 are left out (signed deals with F); it may not count distributions.
"""

import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.test import Client
from openpyxl import load_workbook
from rest_framework.test import APIClient

from opentto.core.pdf import extract_text
from opentto.dashboard.reports import tables
from opentto.dashboard.selectors import (
    deals_signed,
    distributions_paid,
    headline,
    money_received,
    results_evaluated,
    results_landed,
    results_onboarded,
)
from opentto.evaluation.models import EvaluationSummary
from opentto.landing.services import (
    deal_create,
    deal_sign,
    deal_terminate,
    payment_distribute,
    payment_record,
)
from opentto.results.models import StageTransition
from opentto.results.pipeline import result_transition
from opentto.results.services import result_onboard

from ..conftest import result_input
from ..factories import EnterpriseFactory
from ..results.test_pipeline import to_landing

UTC = dt.UTC
D = Decimal
Z = D("0.00")


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def _landed_at(result, when):
    StageTransition.objects.filter(result=result, to_stage="landed").update(occurred_at=when)


def _decided_at(result, when):
    EvaluationSummary.objects.filter(result=result).update(decided_at=when)


@pytest.fixture
def book3(manager, university, other_university, researcher, enterprise_org):
    other_buyer = EnterpriseFactory(name_zh="别家公司", name_en="Other Co")

    def onboard(owner, title, when, **extra):
        return result_onboard(
            data=result_input(
                [owner],
                [(researcher, "100")],
                title_zh=title,
                title_en=title,
                ip_assets=[],
                **extra,
            ),
            onboarded_at=when,
            actor=manager,
        )

    r1 = onboard(university, "R1", at(2023, 3, 1, 4))
    r2 = onboard(other_university, "R2", at(2024, 12, 31, 16, 30))
    r3 = onboard(university, "R3", at(2024, 6, 1, 2))
    r4 = onboard(other_university, "R4", at(2023, 7, 1, 2))
    r5 = onboard(university, "R5", at(2023, 12, 31, 15, 59))
    onboard(university, "R6", at(2025, 5, 5, 2), is_public=False)
    result_transition(result=r4, target="withdrawn", actor=manager, reason="owner's request")

    to_landing(r1, manager)
    _decided_at(r1, at(2023, 12, 31, 17))
    d1 = deal_sign(
        deal=deal_create(
            results=[r1],
            counterparty=enterprise_org,
            deal_type="licence_exclusive",
            amount_cny="1000000.10",
            actor=manager,
        ),
        signed_on=dt.date(2024, 2, 1),
        actor=manager,
    )
    _landed_at(r1, at(2023, 12, 31, 16, 30))

    to_landing(r2, manager)
    _decided_at(r2, at(2025, 3, 1, 2))
    d2 = deal_sign(
        deal=deal_create(
            results=[r2],
            counterparty=other_buyer,
            deal_type="assignment",
            amount_cny="3000000",
            actor=manager,
        ),
        signed_on=dt.date(2025, 6, 30),
        actor=manager,
    )
    _landed_at(r2, at(2025, 6, 30, 3))

    to_landing(r3, manager)
    _decided_at(r3, at(2024, 7, 1, 2))
    EvaluationSummary.objects.create(
        result=r3, decision="improve", summary_en="Needs a prototype.", decided_at=at(2024, 9, 1, 2)
    )
    d3 = deal_sign(
        deal=deal_create(
            results=[r3],
            counterparty=other_buyer,
            deal_type="licence_exclusive",
            amount_cny="12345.67",
            actor=manager,
        ),
        signed_on=dt.date(2025, 3, 3),
        actor=manager,
    )

    p1 = payment_record(
        deal=d1, received_on=dt.date(2024, 3, 1), amount_cny="300000.03", actor=manager
    )
    p2 = payment_record(
        deal=d1, received_on=dt.date(2025, 1, 1), amount_cny="200000.00", actor=manager
    )
    p3 = payment_record(
        deal=d2, received_on=dt.date(2025, 7, 2), amount_cny="500000.00", actor=manager
    )
    payment_record(deal=d3, received_on=dt.date(2025, 4, 1), amount_cny="1000.01", actor=manager)
    deal_terminate(deal=d3, terminated_on=dt.date(2025, 5, 5), reason="breach", actor=manager)
    for payment in (p1, p2, p3):
        payment_distribute(payment=payment, actor=manager)
    r5.refresh_from_db()
    assert r5.stage == "onboarding"
    return {"r1": r1, "r2": r2, "r3": r3}


#: Hand counts: per role, per year (None = all time): onboarded, evaluated, landed, (deals signed,
#: value), (payments, received), (distributions, paid out) or None where the role may not count them.
WHOLE = {
    2023: (3, 0, 0, (0, Z), (0, Z), (0, Z)),
    2024: (1, 2, 1, (1, D("1000000.10")), (1, D("300000.03")), (1, D("300000.03"))),
    2025: (2, 1, 1, (1, D("3000000.00")), (3, D("701000.01")), (2, D("700000.00"))),
    None: (6, 3, 2, (2, D("4000000.10")), (4, D("1001000.04")), (3, D("1000000.03"))),
}
EXPECTED = {
    "manager": WHOLE,
    "official": WHOLE,
    "inventor": {
        2023: (3, 0, 0, (0, Z), (0, Z), (0, Z)),
        2024: (1, 2, 1, (1, D("1000000.10")), (1, D("300000.03")), (1, D("300000.03"))),
        2025: (1, 0, 0, (0, Z), (2, D("201000.01")), (1, D("200000.00"))),
        None: (5, 2, 1, (1, D("1000000.10")), (3, D("501000.04")), (2, D("500000.03"))),
    },
    "enterprise_user": {
        2023: (3, 0, 0, (0, Z), (0, Z), None),
        2024: (0, 1, 1, (1, D("1000000.10")), (1, D("300000.03")), None),
        2025: (0, 0, 0, (0, Z), (1, D("200000.00")), None),
        None: (3, 1, 1, (1, D("1000000.10")), (2, D("500000.03")), None),
    },
}
KEYS = (
    "results_onboarded",
    "results_evaluated",
    "results_landed",
    "deals_signed",
    "money_received",
    "distributions_paid",
)


@pytest.mark.django_db
def test_every_headline_figure_per_year_and_all_time_for_each_role(request, book3):
    for role, years in EXPECTED.items():
        user = request.getfixturevalue(role)
        for year, want in years.items():
            got = (
                results_onboarded(user, year),
                results_evaluated(user, year),
                results_landed(user, year),
                deals_signed(user, year),
                money_received(user, year),
                distributions_paid(user, year),
            )
            assert got == want, (role, year)
        # the headline (dashboard, export, report, API) is the same selectors, year beside all time
        for year in (2023, 2024, 2025):
            pairs = headline(user, year).figures
            keys = KEYS if years[None][5] is not None else KEYS[:5]
            assert [y.key for y, _a in pairs] == list(keys), role
            for (this_year, all_time), want_year, want_all in zip(
                pairs, years[year], years[None], strict=False
            ):
                for figure, want_one in ((this_year, want_year), (all_time, want_all)):
                    assert (
                        figure.count
                        if figure.value_cny is None
                        else (figure.count, figure.value_cny)
                    ) == want_one, (role, year, figure.key)


def _shown(page: str, key: str, period: str) -> str:
    return page.split(f'data-figure="{key}" data-period="{period}">', 1)[1].split("<", 1)[0]


@pytest.mark.django_db
def test_the_dashboard_for_a_past_year_shows_that_years_hand_count_for_each_role(request, book3):
    client = Client()
    for role, years in EXPECTED.items():
        client.force_login(request.getfixturevalue(role))
        for year in (2023, 2024, 2025):
            page = client.get(f"/en/dashboard/?year={year}").content.decode()
            assert f'<option value="{year}" selected>' in page, (role, year)
            for key, want, want_all in zip(KEYS, years[year], years[None], strict=True):
                if want is None:
                    assert f'data-headline="{key}"' not in page, (
                        role
                    )  # not a figure this role may count
                    continue
                for period, one in (("year", want), ("all_time", want_all)):
                    count, value = one if isinstance(one, tuple) else (one, None)
                    assert _shown(page, key, period) == str(count), (role, year, key, period)
                    if value is not None:
                        assert _shown(page, f"{key}_value_cny", period) == f"¥{value:,}", (
                            role,
                            year,
                            key,
                            period,
                        )
    # the enterprise's by-year table, the charts and the received table follow the same scope
    client.force_login(request.getfixturevalue("enterprise_user"))
    page = client.get("/en/dashboard/?year=2024").content.decode()
    assert "3,000,000" not in page and "12,345.67" not in page


@pytest.mark.django_db
def test_tables_follow_the_selected_year(book3, manager):
    y2024, y2025 = tables(manager, 2024), tables(manager, 2025)
    assert [row[1:] for row in y2024["by_field"].rows] == [
        [1, 1, D("1000000.10")]
    ]  # R3 onboarded 2024 (incubated), R1 landed, D1
    assert sorted(row[1:] for row in y2025["received_by_organisation"].rows) == [
        [1, D("500000.00")],
        [2, D("201000.01")],
    ]
    assert sorted(row[1:] for row in y2024["received_by_organisation"].rows) == [
        [1, D("300000.03")]
    ]
    conversion_2023 = {row[0]: row[1] for row in tables(manager, 2023)["conversion"].rows}
    assert (
        conversion_2023["Onboarding"] == 3 and conversion_2023["Landed"] == 1
    )  # R1, R4, R5: only R1 landed
    by_year = {row[0]: row[1:] for row in y2024["by_year"].rows}  # every year, Shanghai years
    assert by_year == {
        "2023": [2, 0, Z],
        "2024": [1, 1, D("1000000.10")],
        "2025": [2, 1, D("3000000.00")],
    }
    china_2025 = {row[0]: row[1:] for row in y2025["china"].rows}
    assert china_2025[next(k for k in china_2025 if "Licence contracts" in k)] == [
        0,
        Z,
    ]  # D3 terminated
    assert china_2025[next(k for k in china_2025 if "Transfer" in k)] == [1, D("3000000.00")]


@pytest.mark.django_db
def test_the_annual_report_the_export_and_the_api_report_the_year(
    client, book3, manager, enterprise_user, official
):
    client.force_login(manager)
    text = extract_text(client.get("/en/deals/figures/report-2024.pdf").content).replace(" ", "")
    assert "Annualreportonthetransferofresults,2024" in text
    assert "1·¥1,000,000.10" in text and "2·¥4,000,000.10" in text  # signed in 2024 beside all time
    assert "1·¥300,000.03" in text and "4·¥1,001,000.04" in text  # received
    assert "3·¥1,000,000.03" in text  # distributions paid, all time
    ws = load_workbook(
        io.BytesIO(client.get("/en/deals/figures/headline.xlsx?year=2025").content)
    ).active
    rows = [list(r) for r in ws.iter_rows(min_row=3, values_only=True)]
    assert rows == [
        ["Results onboarded", 2, "—", 6, "—"],
        ["Results evaluated", 1, "—", 3, "—"],
        ["Results landed", 1, "—", 2, "—"],
        ["Deals signed", 1, 3000000, 2, 4000000.1],
        ["Money received", 3, 701000.01, 4, 1001000.04],
        ["Distributions paid", 2, 700000, 3, 1000000.03],
    ]
    client.force_login(enterprise_user)
    text = extract_text(client.get("/en/deals/figures/report-2025.pdf").content).replace(" ", "")
    assert "1·¥200,000.00" in text and "3,000,000" not in text and "Distributionspaid" not in text
    # the API serves the same headline
    api = APIClient()
    api.force_authenticate(official)
    body = api.get("/api/v1/figures/?year=2024").json()
    assert body["year"] == 2024
    assert body["headline"]["figures"]["deals_signed"] == {
        "year": {"count": 1, "value_cny": "1000000.10"},
        "all_time": {"count": 2, "value_cny": "4000000.10"},
    }
    assert body["headline"]["figures"]["distributions_paid"]["year"] == {
        "count": 1,
        "value_cny": "300000.03",
    }
    assert (
        body["projects_landed"] == 1 and body["transaction_value_cny"] == "1000000.10"
    )  # the tables of 2024
    assert api.get("/api/v1/figures/?year=abc").status_code == 400
    assert api.get("/api/v1/figures/?year=2201").status_code == 400
    # and the command line, for the whole platform
    out = io.StringIO()
    call_command("figures", "--json", "--year", "2025", stdout=out)
    data = json.loads(out.getvalue())
    assert data["headline"]["figures"]["money_received"] == {
        "year": {"count": 3, "value_cny": "701000.01"},
        "all_time": {"count": 4, "value_cny": "1001000.04"},
    }
    assert data["headline"]["figures"]["results_onboarded"] == {
        "year": {"count": 2},
        "all_time": {"count": 6},
    }


@pytest.mark.django_db
def test_a_bad_year_falls_back_with_a_message(client, manager):
    client.force_login(manager)
    for bad in ("abc", "1899", "2201", "２０２５"):
        response = client.get(f"/en/dashboard/?year={bad}")
        assert response.status_code == 200
        assert "is not a year between 1900 and 2200" in response.content.decode(), bad
    assert "is not a year" not in client.get("/en/dashboard/?year=2200").content.decode()
    assert client.get("/en/deals/figures/report-2201.pdf").status_code == 404

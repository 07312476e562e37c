"""The patent portfolio: five years of fees per patent (hand-computed from the seeded schedule),
income, evaluation, matching demands, keep / license / abandon decisions, and who sees what.

Today is 2026-11-20. Both patents are inventions filed 2021-01-10 and granted 2021-12-01 (patent
year 1: the reduction covers annual-fee years 1–10). The windows and the annual fees due in them:
Y1 year 7 (2027-01-10, 2,000), Y2 year 8 (2,000), Y3 year 9 (2,000), Y4 year 10 (2030-01-10,
4,000), Y5 year 11 (2031-01-10, 4,000, beyond the covered years: full).
85 % (single): 300.00, 300.00, 300.00, 600.00, 4,000.00 = 5,500.00.
70 % (joint):  600.00, 600.00, 600.00, 1,200.00, 4,000.00 = 7,000.00."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils import timezone

from opentto.accounts.models import User
from opentto.core.models import AuditEvent
from opentto.evaluation.models import EvaluationSummary, ReviewRound, Rubric
from opentto.landing.services import deal_create, deal_sign, payment_record
from opentto.organisations.models import Organisation
from opentto.patents.models import AbandonmentDecision, DeadlineReminder, Filing
from opentto.patents.services import deadline_reminders_send, filing_fee_reduction_record
from opentto.portfolio import selectors as sel
from opentto.portfolio.models import PortfolioDecision
from opentto.portfolio.services import portfolio_decision_record
from opentto.results.models import Result
from opentto.results.services import result_onboard
from tests.conftest import make_user, result_input
from tests.planning.test_fees import cn_patent
from tests.results.test_pipeline import to_landing

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 20)


@pytest.fixture(autouse=True)
def _today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: TODAY)


@pytest.fixture(autouse=True)
def _two_demands_fit(monkeypatch: pytest.MonkeyPatch) -> None:
    """The matching engine is tested in tests/demands: here two visible demands fit every result."""
    import opentto.demands.selectors as demand_selectors

    monkeypatch.setattr(
        demand_selectors,
        "result_demands",
        lambda user, result, **kw: SimpleNamespace(demands=[object(), object()]),
    )


@pytest.fixture
def single(manager: User, onboarded: Result, university: Organisation) -> Filing:
    filing = cn_patent(onboarded, manager, number="CN202110000001.1")
    filing_fee_reduction_record(
        filing=filing, reduction="85", grounds={university.pk: "public_institution"}, actor=manager
    )
    return filing


@pytest.fixture
def joint(
    manager: User, university: Organisation, enterprise_org: Organisation, researcher
) -> Filing:  # type: ignore[no-untyped-def]
    result = result_onboard(
        data=result_input(
            [university, enterprise_org],
            [(researcher, "100")],
            ip_assets=[],
            title_en="Joint arm",
            title_zh="联合机械臂",
            field="ic",
        ),
        actor=manager,
    )
    filing = cn_patent(result, manager, number="CN202110000002.2")
    filing_fee_reduction_record(
        filing=filing,
        reduction="70",
        grounds={university.pk: "public_institution", enterprise_org.pk: "enterprise"},
        actor=manager,
    )
    return filing


def money(values: list[Decimal]) -> list[str]:
    return [str(v) for v in values]


def test_five_year_costs_reduced_85_and_70(
    manager: User, university: Organisation, single: Filing, joint: Filing
) -> None:
    rows = {
        r.filing.pk: r for r in sel.portfolio_rows(manager, organisations=[university], today=TODAY)
    }
    assert money(rows[single.pk].costs) == ["300.00", "300.00", "300.00", "600.00", "4000.00"]
    assert rows[single.pk].cost_total == Decimal("5500.00")
    assert money(rows[joint.pk].costs) == ["600.00", "600.00", "600.00", "1200.00", "4000.00"]
    assert rows[joint.pk].cost_total == Decimal("7000.00")
    assert (
        rows[single.pk].demands == 2
        and rows[single.pk].score is None
        and rows[single.pk].evaluation is None
    )
    # the field filter
    assert [
        r.filing.pk
        for r in sel.portfolio_rows(manager, organisations=[university], field_="ic", today=TODAY)
    ] == [joint.pk]


def test_evaluation_score_of_the_latest_finalised_round(
    manager: User, university: Organisation, single: Filing
) -> None:
    result = single.family.result
    review_round = ReviewRound.objects.create(
        result=result,
        rubric=Rubric.objects.order_by("id").first(),
        purpose="portfolio",
        deadline=TODAY,
        status="finalised",
        overall_score=Decimal("78.5"),
        recommendation="proceed",
        finalised_at=timezone.now(),
        finalised_by=manager,
    )
    EvaluationSummary.objects.create(
        result=result, review_round=review_round, decision="proceed", summary_en="Worth keeping."
    )
    row = next(
        r
        for r in sel.portfolio_rows(manager, organisations=[university], today=TODAY)
        if r.filing.pk == single.pk
    )
    assert (
        row.score == Decimal("78.5")
        and row.evaluation is not None
        and row.evaluation.decision == "proceed"
    )


def test_licence_income_last_five_years_and_total(
    manager: User, university: Organisation, single: Filing, enterprise_org: Organisation
) -> None:
    result = to_landing(single.family.result, manager)
    deal = deal_sign(
        deal=deal_create(
            results=[result],
            counterparty=enterprise_org,
            deal_type="licence_exclusive",
            amount_cny="500000.00",
            actor=manager,
        ),
        signed_on=dt.date(2021, 2, 1),
        actor=manager,
    )
    payment_record(
        deal=deal, received_on=dt.date(2021, 3, 1), amount_cny="100000.00", actor=manager
    )  # before 2021-11-20: total only
    payment_record(
        deal=deal, received_on=dt.date(2025, 3, 10), amount_cny="20000.50", actor=manager
    )
    row = next(
        r
        for r in sel.portfolio_rows(manager, organisations=[university], today=TODAY)
        if r.filing.pk == single.pk
    )
    assert (row.income_recent, row.income_total) == (Decimal("20000.50"), Decimal("120000.50"))


def test_decisions_keep_history_and_are_audited(manager: User, single: Filing) -> None:
    portfolio_decision_record(filing=single, decision="keep", reason="Earning.", actor=manager)
    portfolio_decision_record(
        filing=single, decision="license", reason="Offer it to Lingdong.", actor=manager
    )
    assert [d.decision for d in PortfolioDecision.objects.filter(filing=single)] == [
        "license",
        "keep",
    ]
    assert AuditEvent.objects.filter(action="portfolio.decision_record").count() == 2
    row = next(
        r
        for r in sel.portfolio_rows(
            manager, organisations=single.family.result.owners.all(), today=TODAY
        )
        if r.filing.pk == single.pk
    )
    assert row.decision is not None and row.decision.decision == "license"


def test_abandon_goes_through_filing_abandon_and_cancels_reminders(
    manager: User, single: Filing, joint: Filing
) -> None:
    second_manager = make_user("manager", username="manager2")
    decision = portfolio_decision_record(
        filing=single,
        decision="abandon",
        reason="No licensee in sight.",
        approved_by=second_manager,
        actor=manager,
    )
    single.refresh_from_db()
    assert single.status == "abandoned"
    abandonment = AbandonmentDecision.objects.get(filing=single)
    assert (
        decision.abandonment == abandonment
        and abandonment.approved_by == second_manager
        and abandonment.reason == "No licensee in sight."
    )
    assert (
        not single.deadlines.filter(status="open").exists()
        and single.deadlines.filter(status="waived").exists()
    )
    # year 7 of both falls due 2027-01-10, 51 days away: the joint patent is reminded, the abandoned one not
    deadline_reminders_send(today=TODAY)
    assert DeadlineReminder.objects.filter(deadline__filing=joint).count() == 1
    assert DeadlineReminder.objects.filter(deadline__filing=single).count() == 0
    assert money(
        next(
            r
            for r in sel.portfolio_rows(
                manager, organisations=joint.family.result.owners.all(), today=TODAY
            )
        ).costs
    ) == ["600.00", "600.00", "600.00", "1200.00", "4000.00"]


def test_refusals_write_nothing(manager: User, inventor: User, single: Filing) -> None:
    with pytest.raises(PermissionError):
        portfolio_decision_record(filing=single, decision="keep", reason="x", actor=inventor)
    with pytest.raises(Exception) as exc:
        portfolio_decision_record(filing=single, decision="keep", reason=" ", actor=manager)
    assert "Give the reason for the decision." in str(exc.value)
    assert (
        not PortfolioDecision.objects.exists()
        and not AuditEvent.objects.filter(action="portfolio.decision_record").exists()
    )


def test_views_for_anonymous_unpermitted_permitted_and_constrained(
    client,
    manager: User,
    inventor: User,
    other_inventor: User,
    official: User,
    enterprise_user: User,
    single: Filing,
    joint: Filing,
) -> None:  # type: ignore[no-untyped-def]
    index = reverse("portfolio:index")
    patent = reverse("portfolio:patent", args=[single.pk])
    assert (
        client.get(index).status_code == 302
        and client.post(patent, {"decision": "keep", "reason": "x"}).status_code == 302
    )
    for user in (official, enterprise_user):  # no portfolio at all
        client.force_login(user)
        assert client.get(index).status_code == 404 and client.get(patent).status_code == 404
    client.force_login(other_inventor)  # another organisation's: none of these patents
    page = client.get(index)
    assert page.status_code == 200 and "CN202110000001.1" not in page.content.decode()
    assert client.get(patent).status_code == 404
    client.force_login(inventor)  # their organisation's portfolio, read only
    page = client.get(index).content.decode()
    assert "CN202110000001.1" in page and "¥5,500.00" in page and "Decide" not in page
    assert client.get(patent).status_code == 200
    assert client.post(patent, {"decision": "keep", "reason": "x"}).status_code == 403
    assert not PortfolioDecision.objects.exists()
    client.force_login(manager)
    page = client.get(index).content.decode()
    assert "¥5,500.00" in page and "¥7,000.00" in page and "¥12,500.00" not in page
    detail = client.get(patent).content.decode()
    assert "¥2,000.00" in detail and "¥300.00" in detail and "85% reduction" in detail
    assert client.post(patent, {"decision": "keep", "reason": ""}).status_code == 400
    assert client.post(patent, {"decision": "keep", "reason": "Earning."}).status_code == 302
    assert PortfolioDecision.objects.get().decided_by == manager
    zh = client.get("/zh-hans/portfolio/").content.decode()
    assert "专利组合" in zh and "保留" in zh


def test_export_has_the_page_columns(client, manager: User, single: Filing, joint: Filing) -> None:  # type: ignore[no-untyped-def]
    client.force_login(manager)
    response = client.get(reverse("imports:export", kwargs={"what": "portfolio", "fmt": "csv"}))
    lines = b"".join(response.streaming_content).decode().lstrip("\ufeff").splitlines()
    assert lines[0].startswith(
        "Patent,Result,Owners,Field,Status,Fee reduction,Cost 2026-11-20 – 2027-11-19,"
    )
    assert lines[0].endswith(
        'Cost, 5 years","Income, last 5 years","Income, total",Evaluation score,Matching open demands,Patent decision'
    )
    single_line = next(line for line in lines if line.startswith("CN202110000001.1"))
    assert ",300.00,300.00,300.00,600.00,4000.00,5500.00,0.00,0.00,,2," in single_line

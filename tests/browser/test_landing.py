"""Landing in Chromium: a manager records a payment on a signed deal and distributes it; the
dashboard shows the money; an official approves a subsidy within the cap. Screenshots in both
languages and on a phone go to ``$OPENTTO_TEST_ARTIFACTS`` (default ``test-artifacts/``)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from playwright.sync_api import Browser, expect

from opentto.landing.services import deal_create, deal_sign, rule_set
from opentto.results.services import result_onboard
from opentto.subsidies import services as subsidies
from tests.subsidies.test_subsidies import finalised_review

from ..conftest import make_user, result_input
from ..factories import EnterpriseFactory, MembershipFactory, OrganisationFactory, PersonFactory
from ..results.test_pipeline import to_landing
from .conftest import PDF, login, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_payment_distribution_dashboard_and_subsidy(live_server, browser: Browser) -> None:
    institute = OrganisationFactory(
        name_zh="交叉信息研究院",
        name_en="Institute for Interdisciplinary Information Sciences",
        kind="institute",
    )
    buyer = EnterpriseFactory(name_zh="智造机器人有限公司", name_en="SmartMake Robotics Ltd")
    li = MembershipFactory(
        organisation=institute, person=PersonFactory(name_zh="李明", name_en="Li Ming")
    ).person
    wang = MembershipFactory(
        organisation=institute, person=PersonFactory(name_zh="王芳", name_en="Wang Fang")
    ).person
    manager = make_user("manager", first_name="Mei")
    official = make_user("official", username="official")
    reviewer = make_user("reviewer", username="reviewer")
    buyer_user = make_user("enterprise", buyer, username="buyer")
    result = to_landing(
        result_onboard(data=result_input([institute], [(li, "60"), (wang, "40")]), actor=manager),
        manager,
    )
    deal = deal_sign(
        deal=deal_create(
            results=[result],
            counterparty=buyer,
            deal_type="licence_exclusive",
            amount_cny="12500000.50",
            title="Robot-arm control licence",
            actor=manager,
        ),
        signed_on=dt.date(2026, 3, 1),
        actor=manager,
    )
    rule_set(
        organisation=institute,
        team_share="0.7",
        tto_share="0.1",
        legal_source="研究院科技成果转化管理办法 第十二条",
        actor=manager,
    )
    year = timezone.localdate().year
    programme = subsidies.programme_create(
        code="xuhui",
        kind="industrialisation",
        name_zh="徐汇区科技成果转化产业化项目支持",
        name_en="Xuhui support for industrialising results",
        legal_basis_zh="《徐汇区关于促进科技成果转移转化的实施意见》",
        legal_basis_en="Xuhui implementing opinions",
        cap_per_project_cny="5000000",
        window_opens=dt.date(year, 1, 1),
        window_closes=dt.date(year, 12, 31),
        budgets=[(year, "20000000")],
        actor=None,
        requires_deal=True,
    )
    application = subsidies.application_create(
        programme=programme,
        applicant=buyer,
        partners=[institute],
        results=[result],
        deal=deal,
        project_title_zh="机械臂控制产业化",
        project_title_en="Industrialising robot-arm control",
        requested_cny="4800000",
        year=year,
        actor=buyer_user,
        budget_lines=[
            subsidies.BudgetLineInput(
                "equipment", "Pilot line", "12000000", SimpleUploadedFile("quote.pdf", PDF)
            )
        ],
    )
    subsidies.application_submit(application=application, actor=buyer_user)
    subsidies.application_start_review(application=application, actor=official)
    finalised_review(application, manager, reviewer)
    subsidies.application_recognise(
        application=application, recognition_number="XH-2026-001", actor=official
    )

    errors: list[str] = []
    page = browser.new_page(locale="en-GB", viewport={"width": 1280, "height": 900})
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    login(page, live_server.url, "manager")
    page.goto(f"{live_server.url}/en/deals/{deal.pk}/")
    page.fill("#id_received_on", "2026-03-20")
    page.fill("form[action$='/payments/'] #id_amount_cny", "3750000.17")
    page.click("text=Record payment")
    page.click("text=Distribute…")
    # the preview: each share explained, nothing written until confirmed
    expect(page.locator("main [data-preview-net]")).to_have_text("¥3,750,000.17")
    expect(page.locator("main [data-rule]")).to_contain_text("70% to the team, 10% to the TTO")
    expect(page.locator("main [data-floor=respected]").first).to_contain_text(
        "the floor of 50% to the team"
    )
    shot(page, "landing-00-distribution-preview-en")
    page.click("text=Confirm and record this distribution")
    page.locator("main details[data-distribution-parts] summary").first.click()
    # team 2,625,000.12 split 60/40: 1,575,000.072 and 1,050,000.048; the fen left goes to the larger remainder
    expect(page.locator("main details[data-distribution-parts]").first).to_contain_text(
        "Li Ming: ¥1,575,000.07"
    )
    expect(page.locator("main details[data-distribution-parts]").first).to_contain_text(
        "Wang Fang: ¥1,050,000.05"
    )
    shot(page, "landing-01-deal-en")
    page.goto(f"{live_server.url}/en/dashboard/")
    expect(
        page.locator("[data-figure=money_received_value_cny][data-period=all_time]")
    ).to_have_text("¥3,750,000.17")
    shot(page, "landing-02-dashboard-en")
    page.goto(f"{live_server.url}/zh-hans/dashboard/")
    shot(page, "landing-03-dashboard-zh")
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "landing-04-dashboard-phone-zh")
    page.goto(f"{live_server.url}/zh-hans/deals/{deal.pk}/")
    shot(page, "landing-05-deal-phone-zh")

    page = browser.new_page(locale="en-GB", viewport={"width": 1280, "height": 900})
    login(page, live_server.url, "official")
    page.goto(f"{live_server.url}/en/subsidies/applications/{application.pk}/")
    page.fill("form[action$='/approve/'] #id_amount_cny", "5000000.01")
    page.click("form[action$='/approve/'] button")
    expect(page.locator(".messages")).to_contain_text("cap per project")
    page.fill("form[action$='/approve/'] #id_amount_cny", "4800000")
    page.click("form[action$='/approve/'] button")
    expect(page.locator("[data-status]")).to_have_text("Approved")
    shot(page, "landing-06-subsidy-en")
    page.goto(f"{live_server.url}/zh-hans/subsidies/dashboard/")
    shot(page, "landing-07-subsidies-dashboard-zh")
    assert errors == [], errors

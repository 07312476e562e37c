"""The subsidy application page with its expert review (a finalised round of the evaluation app),
in Chromium, in English and Chinese; screenshots go to ``$OPENTTO_TEST_ARTIFACTS`` (default
``test-artifacts/``) as ``subsidies-review-*.png``."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from playwright.sync_api import Browser, expect

from opentto.landing.services import deal_create, deal_sign
from opentto.results.services import result_onboard
from opentto.subsidies import services as subsidies

from ..conftest import make_user, result_input
from ..factories import EnterpriseFactory, MembershipFactory, OrganisationFactory, PersonFactory
from ..results.test_pipeline import to_landing
from ..subsidies.test_subsidies import finalised_review
from .conftest import PDF, login, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_application_page_shows_the_finalised_review_in_both_languages(
    live_server, browser: Browser
) -> None:
    institute = OrganisationFactory(
        kind="institute",
        name_zh="上海智能制造研究院",
        name_en="Shanghai Institute of Intelligent Manufacturing",
    )
    buyer = EnterpriseFactory(
        name_zh="徐汇精密机械有限公司", name_en="Xuhui Precision Machinery Co."
    )
    li = MembershipFactory(
        organisation=institute, person=PersonFactory(name_zh="李明", name_en="Li Ming")
    ).person
    manager = make_user("manager", first_name="Mei")
    official = make_user("official", username="official")
    reviewer = make_user("reviewer", username="expert", first_name="Siyuan", last_name="Lin")
    buyer_user = make_user("enterprise", buyer, username="buyer")
    result = to_landing(
        result_onboard(
            data=result_input(
                [institute],
                [(li, "100")],
                title_zh="机械臂自适应控制",
                title_en="Adaptive robot-arm control",
            ),
            actor=manager,
        ),
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
    review_round = finalised_review(application, manager, reviewer, score=4)

    errors: list[str] = []
    page = browser.new_page(locale="en-GB", viewport={"width": 1280, "height": 900})
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    login(page, live_server.url, "official")
    page.goto(f"{live_server.url}/en/subsidies/applications/{application.pk}/")
    review = page.locator("[data-review]")
    expect(review.locator("[data-round-status]")).to_have_text("Finalised")
    expect(review.locator("[data-outcome]")).to_have_text("Support")
    expect(review.locator("[data-overall]")).to_have_text(f"{review_round.overall_score} / 100")
    expect(review).to_contain_text("Siyuan Lin")
    expect(review.locator("[data-criterion]")).to_have_count(len(review_round.weights))
    page.fill("form[action$='/recognise/'] #id_recognition_number", "XH-2026-001")
    page.click("form[action$='/recognise/'] button")
    expect(page.locator("[data-status]")).to_have_text("Recognised")
    shot(page, "subsidies-review-01-official-en")
    page.goto(f"{live_server.url}/zh-hans/subsidies/applications/{application.pk}/")
    expect(page.locator("[data-review] [data-outcome]")).to_have_attribute(
        "data-outcome", "proceed"
    )
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    shot(page, "subsidies-review-02-official-zh")
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "subsidies-review-03-official-phone-zh")
    assert errors == [], errors

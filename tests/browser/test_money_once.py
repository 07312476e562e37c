"""Money moves once, in Chromium: a double click on *Record payment* records one payment; the same
payment entered again is held back until the manager confirms it; a second application for a
funded project shows what remains under the project's cap; the officials' dashboard lists each
project. Screenshots in both languages go to ``$OPENTTO_TEST_ARTIFACTS``."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from playwright.sync_api import Browser, expect

from opentto.landing.models import Payment
from opentto.landing.services import deal_create, deal_sign
from opentto.results.services import result_onboard
from opentto.subsidies import services as subsidies

from ..conftest import make_user, result_input
from ..factories import EnterpriseFactory, MembershipFactory, OrganisationFactory, PersonFactory
from ..results.test_pipeline import to_landing
from .conftest import PDF, login, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_payments_are_recorded_once_and_the_project_cap_is_shown(
    live_server, browser: Browser
) -> None:
    institute = OrganisationFactory(
        name_zh="交叉信息研究院",
        name_en="Institute for Interdisciplinary Information Sciences",
        kind="institute",
    )
    buyer = EnterpriseFactory(name_zh="智造机器人有限公司", name_en="SmartMake Robotics Ltd")
    li = MembershipFactory(
        organisation=institute, person=PersonFactory(name_zh="李明", name_en="Li Ming")
    ).person
    manager = make_user("manager", first_name="Mei")
    official = make_user("official", username="official")
    buyer_user = make_user("enterprise", buyer, username="buyer")
    result = to_landing(
        result_onboard(data=result_input([institute], [(li, "100")]), actor=manager), manager
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

    def application(requested: str, title: str) -> subsidies.Application:
        return subsidies.application_create(
            programme=programme,
            applicant=buyer,
            partners=[institute],
            results=[result],
            deal=deal,
            project_title_zh=title,
            project_title_en=title,
            requested_cny=requested,
            year=year,
            actor=buyer_user,
            budget_lines=[
                subsidies.BudgetLineInput(
                    "equipment", "Pilot line", "12000000", SimpleUploadedFile("quote.pdf", PDF)
                )
            ],
        )

    first = application("4000000", "Industrialising robot-arm control")
    subsidies.application_submit(application=first, actor=buyer_user)
    subsidies.application_start_review(application=first, actor=official)
    subsidies.application_review_override(
        application=first, reason="Reviewed by the district panel.", actor=official
    )
    subsidies.application_recognise(
        application=first, recognition_number="XH-2026-001", actor=official
    )
    subsidies.application_approve(application=first, amount_cny="4000000", actor=official)
    second = application("3000000", "Robot-arm control, phase 2")

    errors: list[str] = []
    page = browser.new_page(locale="en-GB", viewport={"width": 1280, "height": 900})
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    login(page, live_server.url, "manager")
    page.goto(f"{live_server.url}/en/deals/{deal.pk}/")
    page.fill("#id_received_on", "2026-03-20")
    page.fill("form[action$='/payments/'] #id_amount_cny", "3750000.17")
    page.dblclick("text=Record payment")  # two submissions of one form
    expect(page.locator("[data-received]")).to_have_text("¥3,750,000.17")
    assert Payment.objects.count() == 1
    # the same payment entered again, from a fresh form: held back until confirmed
    page.goto(f"{live_server.url}/en/deals/{deal.pk}/")
    page.fill("#id_received_on", "2026-03-20")
    page.fill("form[action$='/payments/'] #id_amount_cny", "3750000.17")
    page.click("text=Record payment")
    expect(page.locator(".messages")).to_contain_text(
        "An identical payment (3,750,000.17 yuan received on 2026-03-20) was already recorded"
    )
    expect(page.locator("#payment-form [name=confirm_duplicate]")).to_be_visible()
    expect(
        page.locator("#payment-form [name=confirm_duplicate]")
    ).to_be_focused()  # the page scrolls to it
    shot(page, "money-01-duplicate-payment-en")
    page.check("#payment-form [name=confirm_duplicate]")
    page.click("#payment-form button")
    expect(page.locator("[data-received]")).to_have_text("¥7,500,000.34")
    assert Payment.objects.count() == 2
    page.goto(f"{live_server.url}/zh-hans/deals/{deal.pk}/")
    page.fill("#id_received_on", "2026-03-20")
    page.fill("form[action$='/payments/'] #id_amount_cny", "3750000.17")
    page.click("#payment-form button")
    expect(page.locator(".messages")).to_contain_text("一笔相同的到账")
    shot(page, "money-02-duplicate-payment-zh")
    assert Payment.objects.count() == 2

    page = browser.new_page(locale="en-GB", viewport={"width": 1280, "height": 900})
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    login(page, live_server.url, "buyer")
    page.goto(f"{live_server.url}/en/subsidies/applications/{second.pk}/")
    expect(page.locator("[data-project-flag]")).to_contain_text(
        "This project already has ¥4,000,000.00 approved; ¥1,000,000.00 remains under the cap."
    )
    shot(page, "money-03-second-application-en")
    page.goto(f"{live_server.url}/zh-hans/subsidies/applications/{second.pk}/")
    expect(page.locator("[data-project-flag]")).to_contain_text(
        "该项目已获批 ¥4,000,000.00；上限内尚余 ¥1,000,000.00。"
    )
    page.click("form[action$='/submit/'] button")
    expect(page.locator("[data-check=project_cap]")).to_contain_text(
        "该项目（XH-2026-001）已获批 4,000,000.00 元"
    )
    shot(page, "money-04-second-application-submitted-zh")

    page = browser.new_page(locale="en-GB", viewport={"width": 1280, "height": 900})
    login(page, live_server.url, "official")
    page.goto(f"{live_server.url}/en/subsidies/dashboard/")
    row = page.locator(
        f"[data-project='{subsidies.Application.objects.get(pk=first.pk).project_id}']"
    )
    expect(row.locator("[data-project-remaining]")).to_have_text("¥1,000,000.00")
    shot(page, "money-05-dashboard-en")
    page.goto(f"{live_server.url}/zh-hans/subsidies/dashboard/")
    shot(page, "money-06-dashboard-zh")
    assert errors == [], errors

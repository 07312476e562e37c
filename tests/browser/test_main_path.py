"""The main path in Debian's Chromium: sign in as a manager, onboard a result with a patent, take it
to landed with a deal, and see the dashboard figures change. Screenshots go to
``$OPENTTO_TEST_ARTIFACTS`` (default ``test-artifacts/``), in both languages and on a phone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from opentto.accounts.models import UserRoleChoices

from ..conftest import PASSWORD, make_user
from ..factories import EnterpriseFactory, MembershipFactory, OrganisationFactory, PersonFactory
from .conftest import shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def figure(page: Page, key: str) -> str:
    return page.locator(f"[data-figure={key}][data-period=all_time]").inner_text().strip()


def test_manager_takes_a_result_from_onboarding_to_landed(live_server, browser: Browser) -> None:
    institute = OrganisationFactory(
        name_zh="交叉信息研究院",
        name_en="Institute for Interdisciplinary Information Sciences",
        kind="institute",
    )
    buyer = EnterpriseFactory(name_zh="智造机器人有限公司", name_en="SmartMake Robotics Ltd")
    person = MembershipFactory(
        organisation=institute, person=PersonFactory(name_zh="李明", name_en="Li Ming")
    ).person
    make_user(UserRoleChoices.MANAGER, first_name="Mei")
    errors: list[str] = []
    page = browser.new_page(locale="en-GB", viewport={"width": 1280, "height": 900})
    # The refused onboarding answers 422 on purpose; any other console error is a defect.
    page.on(
        "console",
        lambda m: errors.append(m.text) if m.type == "error" and "422" not in m.text else None,
    )

    page.goto(f"{live_server.url}/accounts/login/")
    expect(page).to_have_url(re.compile(r"/en/accounts/login/"))
    page.fill("#id_username", "manager")
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    expect(page).to_have_url(re.compile(r"/en/dashboard/"))
    assert figure(page, "results_landed") == "0"
    assert figure(page, "deals_signed_value_cny") == "¥0.00"
    shot(page, "01-dashboard-before-en")

    page.goto(f"{live_server.url}/en/results/new/")
    page.fill("#id_title_zh", "强化学习驱动的通用机械臂控制")
    page.fill("#id_title_en", "Generalisable robot-arm control by reinforcement learning")
    page.select_option("#id_kind", "invention_patent")
    page.select_option("#id_field", "ai")
    page.select_option("#id_trl", "4")
    page.check(f"input[name=owners][value='{institute.pk}']")
    page.check("#id_is_public_0")
    page.fill("#id_abstract_en", "Machines that make multi-step decisions like people.")
    page.select_option("#id_inventors-0-person", str(person.pk))
    page.fill("#id_inventors-0-share", "100")
    page.click("fieldset[data-formset=ip_assets] [data-add-row]")
    page.fill("#id_ip_assets-0-application_number", "CN202210123456.7")  # wrong check digit first
    shot(page, "02-onboarding-form-en")
    page.click(".form-actions button[type=submit]")
    expect(page.locator("p.error[data-field='ip_assets-0-application_number']")).to_contain_text(
        "should be 1"
    )
    shot(page, "03-onboarding-error-en")
    page.fill("#id_ip_assets-0-application_number", "CN202210123456.1")
    page.click(".form-actions button[type=submit]")
    expect(page).to_have_url(re.compile(r"/en/results/\d+/$"))
    expect(page.locator("h1")).to_have_text(
        "Generalisable robot-arm control by reinforcement learning"
    )

    page.click("button[data-transition=evaluation]")
    page.select_option("#id_decision", "proceed")
    page.select_option("#id_trl_assessed", "5")
    page.fill("#id_summary_en", "Strong team, clear industrial use.")
    page.click("text=Record evaluation")
    page.click("button[data-transition=planning]")
    page.select_option("#id_transfer_mode", "licence")
    page.fill("#id_summary_en", "Exclusive licence to a robot maker.")
    page.select_option("#id_licence_type", "exclusive")
    page.fill("#id_territory", "Mainland China")
    page.fill("#id_term_years", "8")
    page.fill("#id_royalty_rate", "0.05")
    page.click("text=Approve plan")
    page.click("button[data-transition=landing]")
    page.fill("#id_title", "Robot-arm control licence")
    page.select_option("#id_counterparty", str(buyer.pk))
    page.select_option("#id_deal_type", "licence_exclusive")
    page.fill("#id_amount_cny", "12500000.50")
    page.click("text=Record deal")
    page.locator("input[name=signed_on]").fill("2026-11-20")
    page.click("form[action*='/sign/'] button")
    expect(page.locator(".stage").first).to_have_text("Landed")
    expect(page.locator(".timeline li")).to_have_count(5)
    shot(page, "04-result-landed-en")

    page.goto(f"{live_server.url}/en/dashboard/")
    assert figure(page, "results_landed") == "1"
    assert figure(page, "results_onboarded") == "1"
    assert figure(page, "deals_signed_value_cny") == "¥12,500,000.50"
    shot(page, "05-dashboard-after-en")

    page.click(".lang-switch button")
    expect(page).to_have_url(re.compile(r"/zh-hans/dashboard/"))
    expect(page.locator("h1")).to_have_text("数据看板")
    shot(page, "06-dashboard-after-zh")
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "07-dashboard-phone-zh")
    page.goto(f"{live_server.url}/zh-hans/results/")
    shot(page, "08-results-phone-zh")
    assert errors == [], errors

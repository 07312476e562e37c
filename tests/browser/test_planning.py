"""Planning in Chromium: a manager drafts a transfer plan with a licence option, submits and
approves it, then calculates a valuation; screenshots in both languages and on a phone."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import Browser, expect

from opentto.accounts.models import UserRoleChoices
from opentto.planning.models import TransferPlan
from opentto.results.services import result_onboard

from ..conftest import PASSWORD, make_user, result_input
from ..factories import MembershipFactory, OrganisationFactory, PersonFactory
from ..planning.conftest import to_planning
from .conftest import shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_manager_plans_a_transfer_and_values_the_result(live_server, browser: Browser) -> None:
    institute = OrganisationFactory(kind="institute")
    person = MembershipFactory(organisation=institute, person=PersonFactory()).person
    manager = make_user(UserRoleChoices.MANAGER, first_name="Mei")
    result = to_planning(
        result_onboard(data=result_input([institute], [(person, "100")]), actor=manager), manager
    )
    errors: list[str] = []
    page = browser.new_page(locale="en-GB", viewport={"width": 1280, "height": 900})
    page.on(
        "console",
        lambda m: errors.append(m.text) if m.type == "error" and "400" not in m.text else None,
    )
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "manager")
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.goto(f"{live_server.url}/en/planning/results/{result.pk}/")
    page.select_option("#id_transfer_mode", "licence")
    page.fill("#id_summary_en", "Exclusive licence to a robot maker.")
    page.click("text=Create draft")
    expect(page.locator("[data-plan-status]")).to_have_text("Draft")
    page.click("summary:has-text('Add a transfer-mode option')")
    page.select_option("#id_mode", "licence")
    page.select_option("#id_licence_type", "exclusive")
    page.fill("#id_territory", "Mainland China")
    page.fill("#id_term_years", "8")
    page.fill("#id_royalty_rate", "5")  # a percentage instead of a fraction: refused in place
    page.click("text=Add option")
    expect(page.locator("p.error[data-field=royalty_rate]").first).to_contain_text(
        "Enter a rate as a fraction"
    )
    page.fill("#id_royalty_rate", "0.05")
    page.click("text=Add option")
    expect(page.locator(".option-card")).to_have_count(1)
    page.click("button[data-verb=submit]")
    page.click("button[data-verb=approve]")
    expect(page.locator("[data-plan-status]")).to_have_text("Approved")
    shot(page, "planning-01-plan-approved-en")
    assert TransferPlan.objects.get().status == "approved"

    page.goto(f"{live_server.url}/en/planning/results/{result.pk}/financing/")
    page.fill("#id_revenues", "1000000, 2000000")
    page.fill("#id_royalty_rate", "0.05")
    page.fill("#id_tax_rate", "0.25")
    page.fill("#id_discount_rate", "0.10")
    page.click("button[value=preview]")
    expect(page.locator("[data-value=rfr]")).to_have_text("¥96,074.38")
    shot(page, "planning-02-valuation-preview-en")
    page.click("button[value=save]")
    expect(page).to_have_url(re.compile(r"/financing/$"))
    assert result.valuations.get().concluded_value_cny == Decimal("96074.38")

    page.goto(f"{live_server.url}/zh-hans/planning/results/{result.pk}/")
    shot(page, "planning-03-plan-zh")
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "planning-04-plan-phone-zh")
    assert errors == []

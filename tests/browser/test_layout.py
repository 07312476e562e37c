"""Pages a person can read (issue 17), in Chromium on the demo story: the header is one row at
1366 px for every role in both languages; on a 390 px phone the main lists do not widen the page
and no badge or date wraps; a result whose plan is approved shows the plan, its one-step approval
form folded away. One browser, one page per role: the whole module takes well under a minute."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from opentto.demo.loader import load_demo
from opentto.planning.models import TransferPlan
from opentto.results.models import ResultStageChoices

from ..conftest import PASSWORD
from .conftest import login, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROLES = ("manager", "admin", "official", "enterprise", "inventor", "reviewer", "investor")
LANGUAGES = ("en", "zh-hans")
#: the main lists a manager reads on a phone
PHONE_LISTS = (
    "/results/",
    "/demands/",
    "/evaluations/",
    "/planning/",
    "/deals/",
    "/subsidies/applications/",
    "/organisations/",
    "/organisations/people/",
    "/my-work/",
    "/dashboard/",
    "/notifications/",
)

#: the header's rows: the distinct tops (to 8 px) of the brand, each main entry and each tool
HEADER_ROWS = """() => {
  const items = [...document.querySelectorAll('.site-header .brand, #site-nav > ul > li, .header-tools > *')]
    .filter(e => e.getClientRects().length);
  const mids = items.map(e => { const r = e.getBoundingClientRect(); return Math.round((r.top + r.bottom) / 16); });
  return {rows: new Set(mids).size, height: Math.round(document.querySelector('.site-header').getBoundingClientRect().height)};
}"""

#: what does not fit a phone: the page's overflow, and every badge, status or date set on more than one line
PHONE_PROBLEMS = """() => {
  const out = [];
  const over = document.documentElement.scrollWidth - window.innerWidth;
  if (over > 0) out.push('page wider by ' + over + ' px');
  document.querySelectorAll('main .badge, main .status, main .stage, main .flag, main .deal-status, main .app-status, main .round-status, main time, main td.date').forEach(el => {
    if (!el.getClientRects().length) return;
    const range = document.createRange(); range.selectNodeContents(el);
    const lines = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.bottom / 4)));
    if (el.getClientRects().length > 1 || lines.size > 1) out.push('wraps: ' + el.textContent.trim());
  });
  return out;
}"""


@pytest.fixture
def demo(db: None) -> None:
    load_demo(password=PASSWORD)


def _header_is_one_row(page: Page, where: str) -> None:
    header = page.evaluate(HEADER_ROWS)
    assert header["rows"] == 1 and header["height"] <= 60, f"{where}: {header}"


def test_pages_a_person_can_read(live_server, browser: Browser, demo: None) -> None:
    url = live_server.url
    page = browser.new_page(locale="en-GB", viewport={"width": 1366, "height": 768})
    for username in ROLES:
        page.context.clear_cookies()
        login(page, url, username)
        for lang in LANGUAGES:
            page.goto(
                f"{url}/{lang}/account/"
            )  # a light page: the header is the same on every page
            _header_is_one_row(page, f"{username} {lang}")
            if username == "manager":
                shot(page, f"layout-01-header-manager-{lang}")

    # The manager (the most entries) on a phone: every main list fits, no badge or date wraps.
    page.context.clear_cookies()
    login(page, url, "manager")
    page.set_viewport_size({"width": 390, "height": 844})
    problems: dict[str, list[str]] = {}
    for lang in LANGUAGES:
        for path in PHONE_LISTS:
            page.goto(f"{url}/{lang}{path}")
            found = page.evaluate(PHONE_PROBLEMS)
            if found:
                problems[f"{lang}{path}"] = found[:3]
    shot(page, "layout-02-notifications-phone-zh")
    assert problems == {}

    # A result in planning whose plan is approved shows the plan; the one-step form is folded.
    plan = (
        TransferPlan.objects.filter(status="approved", result__stage=ResultStageChoices.PLANNING)
        .order_by("pk")
        .first()
    )
    assert plan is not None
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{url}/en/results/{plan.result_id}/")
    expect(page.locator(f".planning-panel [data-plan='{plan.pk}'] .status")).to_have_text(
        "Approved"
    )
    folded = page.locator("details[data-plan-quick]")
    expect(folded).to_have_count(1)
    expect(folded).not_to_have_attribute("open", "")
    expect(page.locator("#plan-quick")).to_be_hidden()
    shot(page, "layout-03-approved-plan-en")
    # Opened, it shows only the terms of the mode chosen.
    page.click("details[data-plan-quick] > summary")
    expect(page.locator("#plan-quick")).to_be_visible()
    expect(page.locator("#plan-quick fieldset[data-terms-for]:visible")).to_have_count(0)
    page.select_option("#plan-quick #id_transfer_mode", "licence")
    expect(page.locator("#plan-quick fieldset[data-terms-for]:visible")).to_have_count(1)
    expect(page.locator("#plan-quick #id_licence_type")).to_be_visible()
    page.close()

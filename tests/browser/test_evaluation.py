"""Evaluation in Chromium: a manager opens a review round from the result page and invites a
reviewer; the reviewer declares no conflict, sees the confidential details and submits scores; the
manager finalises and the decision moves the result to planning; the report and its PDF open.
Screenshots go to ``$OPENTTO_TEST_ARTIFACTS`` (default ``test-artifacts/``)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from opentto.accounts.models import UserRoleChoices
from opentto.evaluation.installer import install_builtin_rubrics
from opentto.evaluation.models import Rubric
from opentto.results.pipeline import result_transition
from opentto.results.services import result_onboard

from ..conftest import PASSWORD, make_user, result_input
from ..factories import MembershipFactory, OrganisationFactory, PersonFactory
from .conftest import shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/en/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")


def test_a_review_round_from_opening_to_planning(live_server, browser: Browser) -> None:
    install_builtin_rubrics()  # a transactional test starts from a flushed database
    institute = OrganisationFactory(
        name_zh="交叉信息研究院",
        name_en="Institute for Interdisciplinary Information Sciences",
        kind="institute",
    )
    person = MembershipFactory(
        organisation=institute, person=PersonFactory(name_zh="李明", name_en="Li Ming")
    ).person
    manager = make_user(UserRoleChoices.MANAGER, first_name="Mei")
    expert_org = OrganisationFactory(name_zh="评估咨询中心", name_en="Assessment Consultancy")
    make_user(
        UserRoleChoices.REVIEWER, expert_org, username="expert", first_name="Ada", last_name="Zhao"
    )
    result = result_onboard(data=result_input([institute], [(person, "100")]), actor=manager)
    result_transition(result=result, target="evaluation", actor=manager)
    trl = Rubric.objects.get(key="trl", is_active=True)

    page = browser.new_page(locale="en-GB", viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    sign_in(page, live_server.url, "manager")
    page.goto(f"{live_server.url}/en/results/{result.pk}/")
    page.select_option("#id_round-rubric", str(trl.pk))
    page.select_option("#id_round-min_reviews", "1")
    page.click("text=Open review round")
    expect(page).to_have_url(re.compile(r"/en/evaluations/\d+/$"))
    round_url = page.url
    page.select_option("#id_assign-reviewer", label="Ada Zhao · Assessment Consultancy")
    page.click("form[action$='/assign/'] button")
    expect(page.locator("table.data")).to_contain_text("Invited: declaration pending")
    shot(page, "evaluation-01-round-en")

    reviewer_page = browser.new_page(locale="en-GB", viewport={"width": 390, "height": 844})
    sign_in(reviewer_page, live_server.url, "expert")
    reviewer_page.goto(f"{live_server.url}/en/evaluations/reviews/")
    reviewer_page.click(".card-title a")
    expect(reviewer_page.locator(".confidential-box")).to_have_count(0)
    reviewer_page.check("input[name=has_conflict][value=no]")
    reviewer_page.click("text=Make the declaration")
    expect(reviewer_page.locator(".confidential-box")).to_contain_text(
        "Policy network architecture"
    )
    reviewer_page.check("input[name=score-trl][value='5']")
    reviewer_page.fill("#j-trl", "Validated on three robot arms in a factory cell.")
    shot(reviewer_page, "evaluation-02-scoring-phone-en")
    reviewer_page.click("button[value=submit]")
    expect(reviewer_page.locator(".message-success")).to_be_visible()

    page.goto(round_url)
    expect(page.locator("#out-h")).to_be_visible()
    page.select_option("#id_final-recommendation", "proceed")
    page.check("input[name=final-transfer_modes][value=licence]")
    page.fill("#id_final-strengths_en", "Generalises across robot arms.")
    page.fill("#id_final-risks_en", "No pilot customer yet.")
    page.click("text=Finalise the evaluation")
    expect(page).to_have_url(re.compile(r"/report/$"))
    expect(page.locator(".facts")).to_contain_text("5 / 9")
    shot(page, "evaluation-03-report-en")
    with page.expect_download() as download:
        page.click("text=Download PDF")
    assert download.value.suggested_filename.endswith(".pdf")
    page.goto(f"{live_server.url}/en/results/{result.pk}/")
    expect(page.locator(".stage").first).to_have_text("Planning")
    assert errors == []

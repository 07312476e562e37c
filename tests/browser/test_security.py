"""Security in Debian's Chromium: an enterprise asks for NDA access from the result page, the
manager approves it, the enterprise reads the details, and the owner sees who looked."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from opentto.accounts.models import UserRoleChoices
from opentto.results.services import result_onboard

from ..conftest import PASSWORD, make_user, result_input
from ..factories import EnterpriseFactory, MembershipFactory, OrganisationFactory, PersonFactory
from .conftest import shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(browser: Browser, base: str, username: str, width: int = 1280) -> Page:
    page = browser.new_context(locale="en-GB", viewport={"width": width, "height": 900}).new_page()
    page.goto(f"{base}/en/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.form button[type=submit]")
    page.wait_for_url("**/dashboard/")
    return page


def test_nda_access_from_request_to_who_looked(live_server, browser: Browser) -> None:
    university = OrganisationFactory(name_en="Test Institute")
    person = MembershipFactory(
        organisation=university, person=PersonFactory(name_en="Li Ming")
    ).person
    manager = make_user(UserRoleChoices.MANAGER)
    make_user(UserRoleChoices.INVENTOR, university, person=person)
    make_user(UserRoleChoices.ENTERPRISE, EnterpriseFactory(name_en="SmartMake"))
    result = result_onboard(
        data=result_input([university], [(person, "100")], ip_assets=[]), actor=manager
    )
    base = live_server.url

    enterprise = sign_in(browser, base, "enterprise", width=390)
    enterprise.goto(f"{base}/en/results/{result.pk}/")
    assert "Policy network architecture" not in enterprise.content()
    enterprise.click("text=Ask for access under NDA")
    enterprise.fill("textarea[name=purpose]", "Evaluate an exclusive licence")
    enterprise.click("form.form button[type=submit]")  # forgot to accept the NDA
    assert "Accept the non-disclosure agreement" in enterprise.content()
    enterprise.check("input[name=accept_nda]")
    enterprise.click("form.form button[type=submit]")
    enterprise.wait_for_url("**/account/access/")
    shot(enterprise, "security-request-phone")

    staff = sign_in(browser, base, "manager")
    staff.goto(f"{base}/en/account/access/")
    staff.click("button[name=decision][value=approve]")
    assert "Access granted." in staff.content()

    enterprise.goto(f"{base}/en/results/{result.pk}/")
    assert "Policy network architecture" in enterprise.content()

    owner = sign_in(browser, base, "inventor")
    owner.goto(f"{base}/en/results/{result.pk}/")
    log = owner.locator(".access-log").inner_text()
    assert (
        "Who looked at this result" in log
        and "Read the confidential details" in log
        and "enterprise" in log
    )
    shot(owner, "security-who-looked")


def test_two_factor_sign_in_and_the_locked_answer(live_server, browser: Browser) -> None:
    """A two-factor user signs in with the password and the app's code; a locked sign-in shows
    the same message as a wrong password. No Content-Security-Policy violation on the way."""
    from ..accounts.helpers import current_code, enable_two_factor

    manager = make_user(UserRoleChoices.MANAGER)
    enable_two_factor(manager)
    base = live_server.url
    page = browser.new_context(locale="en-GB", viewport={"width": 390, "height": 900}).new_page()
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.goto(f"{base}/en/accounts/login/")
    page.fill("input[name=username]", "manager")
    page.fill("input[name=password]", PASSWORD)
    page.click("form.form button[type=submit]")
    page.wait_for_url("**/account/verify/")
    page.fill("input[name=code]", "000000")
    page.click("form.form button[type=submit]")
    expect(page.locator("main")).to_contain_text("That code is not right")
    page.wait_for_timeout(1500)  # the wait after a wrong code (django-otp's throttle)
    page.fill("input[name=code]", current_code(manager))
    page.click("form.form button[type=submit]")
    page.wait_for_url("**/dashboard/")
    shot(page, "two-factor-signed-in")
    other = browser.new_context(locale="en-GB").new_page()
    for attempt in range(11):
        other.goto(f"{base}/en/accounts/login/")
        other.fill("input[name=username]", "manager")
        other.fill("input[name=password]", PASSWORD if attempt == 10 else f"wrong-{attempt}")
        other.click("form.form button[type=submit]")
        expect(other.locator("main .form-errors")).to_contain_text(
            "Please enter a correct username and password"
        )
    assert violations == []

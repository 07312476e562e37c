"""What every browser test module shares: Debian's Chromium, signing in, screenshots (to
``$OPENTTO_TEST_ARTIFACTS``, default ``test-artifacts/``), and room for page assertions on a busy
2-core machine."""

import os

os.environ.setdefault(
    "DJANGO_ALLOW_ASYNC_UNSAFE", "true"
)  # Playwright's sync API runs an event loop

from playwright.sync_api import expect

# The first English query builds the translation lexicon (seconds on a busy machine).
expect.set_options(timeout=30_000)

import re  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from playwright.sync_api import Browser, Page, sync_playwright  # noqa: E402

from ..conftest import PASSWORD  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(os.environ.get("OPENTTO_TEST_ARTIFACTS", "test-artifacts"))
#: the smallest PDF the upload checks accept
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def shot(page: Page, name: str) -> None:
    """A full-page screenshot, ``<name>.png`` in the artifacts directory."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, once per test module."""
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"{CHROMIUM} is missing: install Debian's chromium package (scripts/ensure-chromium)"
        )
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-dev-shm-usage",
            ],
        )
        yield browser
        browser.close()


def login(page: Page, url: str, username: str) -> None:
    """Sign in through the form with the test password; lands on the dashboard."""
    page.goto(f"{url}/en/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    expect(page).to_have_url(re.compile(r"/dashboard/"))

"""One language per page: every page every role can open, in Chinese and in English, holds no fixed
text of the other language (``pages.wrong_language`` says what counts), on the permission
matrix's world (every kind of object, own and another organisation's)."""

from __future__ import annotations

import io
import os
import re
from typing import Any

import openpyxl
import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation
from pypdf.errors import PyPdfError

from opentto.core.pdf import extract_text
from tests.security.matrix import FIXTURES, OTHER_SECRETS, OWN_SECRETS, ROLES, build_world
from tests.security.test_permission_matrix import _exports, _matrix_routes, _urls

from .pages import data_values, explain, wrong_language

pytestmark = pytest.mark.django_db

PREFIX = {"zh-hans": "/zh-hans/", "en": "/en/"}
#: Pages still known to mix languages, each with its reason (remove the entry when fixed).
KNOWN: dict[re.Pattern[str], str] = {
    # none: the matching explanation marks what it quotes in the other language with ``lang``
}
#: Every role in both languages takes about 25 minutes: by default the TTO manager and the anonymous visitor (most
#: pages, and the public ones); OPENTTO_I18N_ALL_ROLES=1 checks every role.
ALL_ROLES = os.environ.get("OPENTTO_I18N_ALL_ROLES") == "1"


@pytest.fixture
def world(
    request, university, other_university, enterprise_org, researcher, onboarded
) -> dict[str, tuple[int, int]]:
    users = {role: request.getfixturevalue(name) for role, name in FIXTURES.items() if name}
    return build_world(users, university, other_university, enterprise_org, researcher, onboarded)


def _client(request: pytest.FixtureRequest, role: str, language: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    if FIXTURES[role]:
        client.force_login(request.getfixturevalue(FIXTURES[role]))
    return client


def _in(url: str, language: str) -> str:
    return PREFIX[language] + url[len("/en/") :] if url.startswith("/en/") else url


def _file_text(response: Any) -> str | None:
    """A PDF's text or a workbook's cells; None for anything else."""
    kind = response.get("Content-Type", "")
    raw = (
        b"".join(response.streaming_content)
        if getattr(response, "streaming", False)
        else response.content
    )
    if kind.startswith("application/pdf") and raw.startswith(b"%PDF"):
        try:
            return extract_text(raw)
        except (
            PyPdfError,
            ValueError,
        ):  # an uploaded test file that is barely a PDF: the user's, not ours
            return None
    if "spreadsheetml" in kind:
        book = openpyxl.load_workbook(io.BytesIO(raw), read_only=True)
        return "\n".join(
            str(c)
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
            for c in row
            if c is not None
        )
    return None


def pages(
    request: pytest.FixtureRequest, role: str, world: dict[str, tuple[int, int]], language: str
) -> list[str]:
    """Every failure of ``role``'s pages in ``language``: the URL and the lines with the other language's words."""
    client = _client(request, role, language)
    failures: list[str] = []
    data = data_values(
        language, tuple(OWN_SECRETS + OTHER_SECRETS)
    )  # personal data is stored encrypted
    seen: set[str] = set()
    urls = [
        url
        for route in _matrix_routes()
        for label, url in _urls(route, world)
        if label in {"get", "own"}
    ]
    urls += [url for url, _anonymous in _exports()]
    for url in urls:
        url = _in(url, language)
        # the API speaks JSON; the import/export files' columns are the import format's keys (the same in both languages)
        if (
            url in seen
            or url.startswith("/api/")
            or "/imports/export/" in url
            or any(p.match(url) for p in KNOWN)
        ):
            continue
        seen.add(url)
        response = client.get(url)
        if response.status_code != 200:
            continue
        kind = response.get("Content-Type", "")
        if kind.startswith("text/html"):
            html = response.content.decode()
        else:
            text = _file_text(response)
            if text is None:
                continue
            html = "<pre>" + text.replace("&", "&amp;").replace("<", "&lt;") + "</pre>"
        words = wrong_language(html, language, data, codes=url.endswith("/imports/"))
        if words:
            failures.append(
                f"{role} {url}: {words[:12]}\n    "
                + "\n    ".join(explain(html, language, data, words[:6]))
            )
    return failures


@pytest.mark.slow  # about 90 s per role and language
@pytest.mark.one_database  # what a page says does not depend on the database engine
@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("role", ROLES)
def test_every_page_speaks_one_language(request, world, role, language):
    if not ALL_ROLES and role not in {"anon", "manager"}:
        pytest.skip("set OPENTTO_I18N_ALL_ROLES=1 to check every role")
    with translation.override(language):
        failures = pages(request, role, world, language)
    assert not failures, (
        f"{len(failures)} pages in {language} with the other language's fixed text:\n"
        + "\n".join(failures)
    )

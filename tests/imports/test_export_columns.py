"""Exports are never wider than the page: the columns a page shows only to some users (a person's
e-mail, inventors and their shares) are exported only to them, by the same rule as the page and
the API; anonymous visitors export only what the showcase shows. Each test looks at the page, the
API and the export for the same user and asserts that they agree."""

from __future__ import annotations

import csv
import io
from typing import Any

import openpyxl
import pytest
from django.http import QueryDict

from opentto.accounts.models import User
from opentto.core.models import Grant
from opentto.imports.exports import EXPORTS, RESULT_COLUMNS, SHOWCASE_COLUMNS
from opentto.organisations.models import Organisation, Person
from opentto.results.models import Result
from opentto.results.pipeline import result_transition
from opentto.results.services import result_onboard
from tests.conftest import result_input

pytestmark = pytest.mark.django_db


def export(client: Any, what: str, **query: str) -> list[dict[str, str]]:
    response = client.get(f"/en/imports/export/{what}.csv", query)
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def export_text(client: Any, what: str) -> str:
    return b"".join(client.get(f"/en/imports/export/{what}.csv").streaming_content).decode(
        "utf-8-sig"
    )


def xlsx_headers(client: Any, what: str) -> list[str]:
    response = client.get(f"/en/imports/export/{what}.xlsx")
    assert response.status_code == 200
    return list(
        next(
            openpyxl.load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True)
        )
    )


@pytest.fixture
def withdrawn(manager: User, university: Organisation, researcher: Person) -> Result:
    """A public result that was withdrawn: on the public result list, not in the showcase."""
    result = result_onboard(
        data=result_input(
            [university],
            [(researcher, "100")],
            title_zh="撤回的成果",
            title_en="Withdrawn public result",
            ip_assets=[],
        ),
        actor=manager,
        confirm_duplicates=True,
    )
    return result_transition(
        result=result, target="withdrawn", actor=manager, reason="The team left."
    )


def test_anonymous_visitors_export_the_showcase(
    client: Any,
    onboarded: Result,
    confidential_result: Result,
    withdrawn: Result,
    researcher: Person,
) -> None:
    # the public result list still lists the withdrawn result; the showcase does not, nor does the export
    assert withdrawn.title_en in client.get("/en/results/").content.decode()
    assert withdrawn.title_en not in client.get("/en/showcase/").content.decode()
    rows = export(client, "results")
    assert [int(r["id"]) for r in rows] == [onboarded.pk]
    assert list(rows[0]) == [c.header for c in SHOWCASE_COLUMNS] == xlsx_headers(client, "results")
    assert {
        "stage",
        "public",
        "inventors",
        "filing_date",
        "publication_number",
        "grant_date",
    }.isdisjoint(rows[0])
    assert (
        rows[0]["owners"] == "交叉信息研究院"
        and rows[0]["application_number"] == "CN202210123456.1"
    )
    # inventors: not on the anonymous result page, not in the API, not in the export
    body = export_text(client, "results")
    assert researcher.name_zh not in body and researcher.name_en not in body
    page = client.get(f"/en/results/{onboarded.pk}/").content.decode()
    assert "Inventors" not in page and researcher.name_en not in page
    assert client.get(f"/api/v1/results/{onboarded.pk}/").json()["inventors"] == []
    # the filters of the page still apply
    assert export(client, "results", field="biomedicine") == []


@pytest.mark.parametrize(
    "who", ["manager", "inventor", "enterprise_user", "reviewer", "official", "investor"]
)
def test_signed_in_users_see_inventors_on_the_page_the_api_and_the_export(
    client: Any, onboarded: Result, withdrawn: Result, researcher: Person, who: str, request: Any
) -> None:
    client.force_login(request.getfixturevalue(who))
    page = client.get(f"/en/results/{onboarded.pk}/").content.decode()
    assert "Inventors" in page and researcher.name_en in page
    assert client.get(f"/api/v1/results/{onboarded.pk}/").json()["inventors"] == [
        {
            "person": {"id": researcher.pk, "name_zh": "李明", "name_en": "Li Ming"},
            "share": "100.00",
        }
    ]
    rows = {int(r["id"]): r for r in export(client, "results")}
    assert list(rows[onboarded.pk]) == [c.header for c in RESULT_COLUMNS]
    assert (
        rows[onboarded.pk]["inventors"] == "李明:100"
        and rows[onboarded.pk]["stage"] == "onboarding"
    )
    assert rows[withdrawn.pk]["stage"] == "withdrawn"  # as the result list shows them


def test_without_the_directory_grant_no_inventors_anywhere(
    client: Any, enterprise_user: User, onboarded: Result, researcher: Person
) -> None:
    Grant.objects.filter(role="enterprise", object_type="organisations.person").update(
        enabled=False
    )
    client.force_login(enterprise_user)
    page = client.get(f"/en/results/{onboarded.pk}/").content.decode()
    assert "Inventors" not in page and researcher.name_en not in page
    assert client.get(f"/api/v1/results/{onboarded.pk}/").json()["inventors"] == []
    rows = export(client, "results")
    assert "inventors" not in rows[0] and "inventors" not in xlsx_headers(client, "results")
    assert researcher.name_zh not in export_text(client, "results")


@pytest.fixture
def reachable(researcher: Person) -> Person:
    researcher.email = "li.ming@example.edu.cn"
    researcher.save(update_fields=["email"])
    return researcher


@pytest.mark.parametrize(
    ("who", "sees_email"),
    [
        ("manager", True),
        ("admin_user", True),
        ("inventor", False),
        ("enterprise_user", False),
        ("reviewer", False),
        ("official", False),
        ("investor", False),
    ],
)
def test_the_people_export_has_email_addresses_exactly_where_the_person_page_shows_them(
    client: Any, reachable: Person, who: str, sees_email: bool, request: Any
) -> None:
    client.force_login(request.getfixturevalue(who))
    page = client.get(f"/en/organisations/people/{reachable.pk}/").content.decode()
    assert ("li.ming@example.edu.cn" in page) is sees_email
    rows = export(client, "people")
    assert ("email" in rows[0]) is sees_email and (
        "email" in xlsx_headers(client, "people")
    ) is sees_email
    assert ("li.ming@example.edu.cn" in export_text(client, "people")) is sees_email
    assert (
        "email" not in client.get(f"/api/v1/people/{reachable.pk}/").json()
    )  # the API never shows it


def test_a_disabled_email_grant_takes_the_address_off_the_page_and_the_export(
    client: Any, manager: User, reachable: Person
) -> None:
    Grant.objects.filter(role="manager", object_type="organisations.person").update(
        actions=["view"]
    )
    client.force_login(manager)
    assert (
        "li.ming@example.edu.cn"
        not in client.get(f"/en/organisations/people/{reachable.pk}/").content.decode()
    )
    assert "email" not in export(client, "people")[0]


def test_matches_are_exported_without_the_engines_score(manager: User) -> None:
    headers, _rows = EXPORTS["matches"].rows(manager, QueryDict(""))
    assert "score" not in headers and headers[:3] == ["id", "result", "result_title_zh"]

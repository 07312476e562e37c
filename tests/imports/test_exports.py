"""Exports hold exactly what the list shows the user: nothing they may not see."""

from __future__ import annotations

import csv
import io
from typing import Any

import openpyxl
import pytest

from opentto.accounts.models import User
from opentto.organisations.models import Organisation
from opentto.results.models import Result

pytestmark = pytest.mark.django_db


def rows(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_results_csv_honours_permissions_and_filters(
    client: Any,
    onboarded: Result,
    confidential_result: Result,
    inventor: User,
    enterprise_user: User,
) -> None:
    assert [r["id"] for r in rows(client.get("/en/imports/export/results.csv"))] == [
        str(onboarded.pk)
    ]
    client.force_login(enterprise_user)
    assert [r["id"] for r in rows(client.get("/en/imports/export/results.csv"))] == [
        str(onboarded.pk)
    ]
    client.force_login(inventor)
    mine = rows(client.get("/en/imports/export/results.csv", {"public": "confidential"}))
    assert [r["id"] for r in mine] == [str(confidential_result.pk)]
    assert (
        mine[0]["public"] == "no" and "details_zh" not in mine[0]
    )  # never the confidential details
    everything = rows(client.get("/en/imports/export/results.csv", {"sort": "oldest"}))
    assert [r["id"] for r in everything] == [str(onboarded.pk), str(confidential_result.pk)]
    assert (
        everything[0]["application_number"] == "CN202210123456.1"
        and everything[0]["inventors"] == "李明:100"
    )


def test_results_xlsx_and_the_export_reimports_as_nothing_new(
    client: Any, manager: User, onboarded: Result
) -> None:
    from django.core.files.base import ContentFile

    from opentto.imports.services import import_job_create, import_job_run

    client.force_login(manager)
    response = client.get("/en/imports/export/results.xlsx")
    assert response.status_code == 200 and response["Content-Type"].startswith(
        "application/vnd.openxmlformats"
    )
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][:3] == ("id", "title_zh", "title_en") and values[1][0] == onboarded.pk
    job = import_job_run(
        job=import_job_create(
            kind="results",
            file=ContentFile(response.content, name="export.xlsx"),
            actor=manager,
            dry_run=False,
        )
    )
    assert (job.created_count, job.unchanged_count, job.error_count) == (0, 1, 0)


def test_directory_exports_need_a_signed_in_user(
    client: Any, enterprise_user: User, university: Organisation
) -> None:
    assert client.get("/en/imports/export/organisations.csv").status_code == 404
    assert client.get("/en/imports/export/people.xlsx").status_code == 404
    client.force_login(enterprise_user)
    names = [
        r["name_zh"]
        for r in rows(client.get("/en/imports/export/organisations.csv", {"q": "交叉"}))
    ]
    assert names == ["交叉信息研究院"]


def test_formulas_are_written_as_text(client: Any, manager: User) -> None:
    Organisation.objects.create(name_zh='=HYPERLINK("http://evil")', kind="enterprise")
    client.force_login(manager)
    exported = rows(client.get("/en/imports/export/organisations.csv"))
    assert exported[0]["name_zh"].startswith("'=")


def test_list_pages_link_to_their_exports(client: Any, manager: User) -> None:
    client.force_login(manager)
    page = client.get("/en/results/", {"stage": "onboarding"}).content.decode()
    assert (
        "/en/imports/export/results.csv?stage=onboarding" in page
        and "/en/imports/export/results.xlsx?stage=onboarding" in page
    )
    assert (
        "/en/imports/export/organisations.csv" in client.get("/en/organisations/").content.decode()
    )

"""The import pages: staff only; upload → mapping → dry run → import."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from opentto.accounts.models import User
from opentto.imports.models import ImportJob
from opentto.organisations.models import Organisation, Person
from opentto.results.models import Result

from .helpers import RESULT_HEADERS, result_rows, xlsx_file

pytestmark = pytest.mark.django_db


def test_anonymous_and_non_staff_get_nothing(client: Any, inventor: User) -> None:
    assert client.get("/en/imports/").status_code == 302
    client.force_login(inventor)
    assert client.get("/en/imports/").status_code == 404
    assert client.get("/en/imports/template/results.xlsx").status_code == 404
    upload = SimpleUploadedFile("r.csv", b"title_zh\nx\n")
    assert client.post("/en/imports/", {"kind": "results", "file": upload}).status_code == 404
    assert ImportJob.objects.count() == 0


def test_upload_map_dry_run_then_import(
    client: Any,
    manager: User,
    university: Organisation,
    researcher: Person,
    django_capture_on_commit_callbacks: Any,
) -> None:
    client.force_login(manager)
    assert client.get("/en/imports/template/results.xlsx").status_code == 200
    headers = ["标题", *RESULT_HEADERS[1:]]
    upload = SimpleUploadedFile(
        "r.xlsx", xlsx_file(headers, result_rows(6, university.name_zh, researcher.name_zh, {2}))
    )
    response = client.post("/en/imports/", {"kind": "results", "file": upload})
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/en/imports/{job.token}/"
    page = client.get(f"/en/imports/{job.token}/").content.decode()
    assert (
        'name="col_0"' in page and '<option value="title_zh" selected' in page
    )  # "标题" recognised
    mapping = {f"col_{i}": key for i, key in enumerate(RESULT_HEADERS)}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/en/imports/{job.token}/", {**mapping, "action": "dry_run"})
    assert response.status_code == 302
    job.refresh_from_db()
    assert (job.status, job.created_count, job.error_count) == ("checked", 5, 1)
    assert Result.objects.count() == 0
    page = client.get(f"/en/imports/{job.token}/").content.decode()
    assert "Rows with errors" in page and '<td class="num">4</td>' in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/en/imports/{job.token}/repeat/", {"dry_run": "0"})
    real = ImportJob.objects.exclude(pk=job.pk).get()
    assert (real.status, real.created_count) == ("done", 5)
    assert Result.objects.count() == 5
    errors = client.get(f"/en/imports/{real.token}/errors.csv").content.decode("utf-8-sig")
    assert errors.splitlines()[1].startswith("4,")


def test_mapping_must_name_the_required_columns(client: Any, manager: User) -> None:
    client.force_login(manager)
    client.post(
        "/en/imports/",
        {"kind": "results", "file": SimpleUploadedFile("r.csv", "标题,备注\nx,y\n".encode())},
    )
    job = ImportJob.objects.get()
    page = client.post(
        f"/en/imports/{job.token}/", {"col_0": "title_zh", "action": "dry_run"}
    ).content.decode()
    assert "Choose the header that holds" in page
    job.refresh_from_db()
    assert job.status == "pending"

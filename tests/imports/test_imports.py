"""Bulk import: dry run names the bad rows, the real run stores no bad row, reruns create nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.utils import translation

from opentto.accounts.models import User
from opentto.imports.models import ImportJob
from opentto.imports.services import import_job_create, import_job_repeat, import_job_run
from opentto.organisations.models import Organisation, Person
from opentto.results.models import IPAsset, Result

from .helpers import RESULT_HEADERS, cn_number, credit_code, csv_file, result_rows, xlsx_file

pytestmark = pytest.mark.django_db


def run(
    kind: str,
    raw: bytes,
    name: str,
    actor: User,
    dry_run: bool = False,
    language: str = "en",
    **options: Any,
) -> ImportJob:
    job = import_job_create(
        kind=kind,
        file=ContentFile(raw, name=name),
        actor=actor,
        dry_run=dry_run,
        language=language,
        options=options,
    )
    return import_job_run(job=job)


def test_dry_run_names_exactly_the_bad_rows_then_the_real_run_stores_only_good_ones(
    manager: User, university: Organisation, researcher: Person
) -> None:
    bad = {3, 17, 18, 40, 99}
    raw = xlsx_file(RESULT_HEADERS, result_rows(120, university.name_zh, researcher.name_zh, bad))
    dry = run("results", raw, "results.xlsx", manager, dry_run=True)
    assert dry.status == "checked" and dry.total_rows == 120
    assert dry.created_count == 115 and dry.error_count == 5
    assert sorted({e["row"] for e in dry.errors}) == sorted(
        i + 2 for i in bad
    )  # row 1 is the header
    assert Result.objects.count() == 0 and IPAsset.objects.count() == 0
    by_row = {e["row"]: e for e in dry.errors}
    assert by_row[5]["column"] == "application_number" and "check digit" in by_row[5]["message"]
    assert (
        by_row[19]["column"] == "trl"
        and by_row[19]["message"] == "The TRL is a whole number from 1 to 9 (found “12”)."
    )
    assert by_row[20]["column"] == "field"
    assert by_row[42]["column"] == "owners" and "不存在的大学" in by_row[42]["message"]
    assert by_row[101]["column"] == "inventors" and "100%" in by_row[101]["message"]

    real = import_job_repeat(job=dry, dry_run=False, actor=manager)
    real = import_job_run(job=real)
    assert real.status == "done" and real.created_count == 115 and real.error_count == 5
    assert Result.objects.count() == 115
    stored = set(Result.objects.values_list("title_en", flat=True))
    assert not {f"Test result {i + 1}" for i in bad} & stored
    result = Result.objects.get(title_en="Test result 1")
    assert (
        result.is_public and result.stage == "onboarding" and result.keywords_zh == ["测试", "导入"]
    )
    assert list(result.ip_assets.values_list("application_number", flat=True)) == [cn_number(1)]

    again = import_job_run(job=import_job_repeat(job=real, dry_run=False, actor=manager))
    assert (again.created_count, again.unchanged_count, again.error_count) == (0, 115, 5)
    assert Result.objects.count() == 115


def test_errors_are_in_the_users_language(
    manager: User, university: Organisation, researcher: Person
) -> None:
    raw = xlsx_file(RESULT_HEADERS, result_rows(3, university.name_zh, researcher.name_zh, {1}))
    job = run("results", raw, "r.xlsx", manager, dry_run=True, language="zh-hans")
    assert job.errors == [
        {
            "row": 3,
            "column": "application_number",
            "message": f"{cn_number(2)[:-1]}{'0' if cn_number(2)[-1] != '0' else '1'} 的校验位有误，应为 {cn_number(2)[-1]}。",
        }
    ]


def test_strict_refuses_the_whole_file(
    manager: User, university: Organisation, researcher: Person
) -> None:
    raw = xlsx_file(RESULT_HEADERS, result_rows(10, university.name_zh, researcher.name_zh, {9}))
    job = run("results", raw, "r.xlsx", manager, strict=True)
    assert job.status == "refused" and job.error_count == 1
    assert Result.objects.count() == 0


def test_patent_database_csv_in_gb18030_with_chinese_headers(
    manager: User, university: Organisation
) -> None:
    headers = [
        "申请号",
        "申请日",
        "公开(公告)号",
        "发明名称",
        "摘要",
        "申请(专利权)人",
        "发明人",
        "法律状态",
    ]
    rows = [
        [
            cn_number(7, 2020),
            "2020.05.06",
            "CN111000007A",
            "一种柔性机械臂",
            "摘要一",
            university.name_zh,
            "张三;李四",
            "实质审查",
        ],
        [
            cn_number(8, 2020, "2"),
            "20200507",
            "CN211000008U",
            "一种夹具",
            "摘要二",
            university.credit_code or university.name_zh,
            "王五",
            "授权",
        ],
    ]
    job = run(
        "patents",
        csv_file(headers, rows, "gb18030"),
        "cnipa.csv",
        manager,
        default_trl=2,
        default_field="ai",
    )
    assert job.status == "done", job.errors
    assert job.created_count == 2
    flexible = Result.objects.get(title_zh="一种柔性机械臂")
    assert (flexible.kind, flexible.field, flexible.trl, flexible.is_public) == (
        "invention_patent",
        "ai",
        2,
        False,
    )
    assert sorted(p.name_zh for p in flexible.inventors.all()) == ["张三", "李四"]
    asset = IPAsset.objects.get(application_number=cn_number(8, 2020, "2"))
    assert (asset.ip_kind, asset.status, asset.result.kind) == (
        "utility",
        "granted",
        "utility_model",
    )
    # The same records again, one with news from the patent office: it is updated, nothing created.
    rows[0][7] = "授权"
    again = run("patents", csv_file(headers, rows, "gb18030"), "cnipa.csv", manager)
    assert (again.created_count, again.updated_count, again.unchanged_count) == (0, 1, 1)
    assert IPAsset.objects.get(application_number=cn_number(7, 2020)).status == "granted"
    assert Result.objects.count() == 2


PATENT_XML = """<?xml version="1.0" encoding="UTF-8"?>
<patent-documents>
  <cn-patent-document lang="zh">
    <cn-bibliographic-data>
      <cn-publication-reference><document-id><country>CN</country><doc-number>115000001</doc-number><kind>A</kind><date>20220902</date></document-id></cn-publication-reference>
      <application-reference><document-id><country>CN</country><doc-number>{number}</doc-number><date>20220105</date></document-id></application-reference>
      <invention-title lang="zh">一种导管瓣膜夹合装置</invention-title>
      <invention-title lang="en">Transcatheter valve clip</invention-title>
      <parties>
        <applicants><applicant><addressbook><name>{owner}</name></addressbook></applicant></applicants>
        <inventors><inventor><addressbook><name>赵六</name></addressbook></inventor><inventor><addressbook><name>钱七</name></addressbook></inventor></inventors>
      </parties>
    </cn-bibliographic-data>
    <abstract lang="zh"><p>一种用于二尖瓣修复的夹合装置。</p></abstract>
  </cn-patent-document>
</patent-documents>
"""


def test_patent_xml(manager: User, university: Organisation) -> None:
    number = cn_number(123, 2022)
    raw = PATENT_XML.format(number=number[2:], owner=university.name_zh).encode()
    job = run("patents", raw, "export.xml", manager, default_field="medical_devices")
    assert job.file_format == "xml" and job.status == "done", job.errors
    result = Result.objects.get()
    assert (result.title_zh, result.title_en, result.field) == (
        "一种导管瓣膜夹合装置",
        "Transcatheter valve clip",
        "medical_devices",
    )
    assert result.abstract_zh == "一种用于二尖瓣修复的夹合装置。"
    asset = result.ip_assets.get()
    assert (asset.application_number, str(asset.filing_date), asset.publication_number) == (
        number,
        "2022-01-05",
        "CN115000001A",
    )
    assert (
        result.inventorships.count() == 2
        and sum(i.share for i in result.inventorships.all()) == 100
    )


def test_xml_with_entities_is_refused(manager: User) -> None:
    evil = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><patent-document>&e;</patent-document>'
    with pytest.raises(Exception) as excinfo:
        import_job_create(kind="patents", file=ContentFile(evil, name="evil.xml"), actor=manager)
    assert "file" in excinfo.value.message_dict  # type: ignore[attr-defined]


def test_organisations_and_people_idempotent_by_credit_code_and_email(manager: User) -> None:
    org_headers = ["名称", "name", "类型", "统一社会信用代码"]
    org_rows = [
        ["甲公司", "Alpha Ltd", "enterprise", credit_code(1)],
        ["乙研究所", "", "研究所", ""],
        [
            "丙公司",
            "",
            "enterprise",
            credit_code(2)[:-1] + "0" if credit_code(2)[-1] != "0" else credit_code(2)[:-1] + "1",
        ],
    ]
    with translation.override("en"):
        job = run("organisations", csv_file(org_headers, org_rows), "orgs.csv", manager)
    assert (job.created_count, job.error_count) == (2, 1)
    assert job.errors[0]["row"] == 4 and job.errors[0]["column"] == "credit_code"
    assert Organisation.objects.get(credit_code=credit_code(1)).kind == "enterprise"
    assert Organisation.objects.get(name_zh="乙研究所").kind == "institute"
    again = run("organisations", csv_file(org_headers, org_rows[:2]), "orgs.csv", manager)
    assert (again.created_count, again.unchanged_count) == (0, 2)

    people = csv_file(
        ["姓名", "email", "单位", "role"],
        [["孙八", "sun@example.org", credit_code(1), "staff"], ["周九", "", "不存在", ""]],
    )
    job = run("people", people, "people.csv", manager)
    assert (job.created_count, job.error_count) == (1, 1) and job.errors[0][
        "column"
    ] == "organisation"
    sun = Person.objects.get(email="sun@example.org")
    assert sun.memberships.get().role == "staff"
    assert run("people", people, "people.csv", manager).unchanged_count == 1


def test_only_staff_import(inventor: User) -> None:
    with pytest.raises(PermissionError):
        import_job_create(
            kind="results", file=ContentFile(b"title_zh\nx\n", name="x.csv"), actor=inventor
        )
    assert ImportJob.objects.count() == 0


def test_a_file_that_is_not_a_table(manager: User) -> None:
    with pytest.raises(Exception) as excinfo:
        import_job_create(
            kind="results",
            file=ContentFile(b"\x89PNG\r\n\x1a\n\x00\x00binary", name="x.csv"),
            actor=manager,
        )
    assert "file" in excinfo.value.message_dict  # type: ignore[attr-defined]

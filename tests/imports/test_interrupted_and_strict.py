"""A killed import is recorded as interrupted in the database (its process is gone, or — from
another machine — it has been silent too long) and shown so in both languages; a ``--strict``
refusal says plainly that nothing was written."""

from __future__ import annotations

import io
import signal
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from opentto.accounts.models import User
from opentto.core.models import AuditEvent
from opentto.core.processes import process_identity
from opentto.imports.models import ImportJob
from opentto.imports.services import import_job_create, import_jobs_mark_interrupted
from opentto.organisations.models import Organisation, Person
from opentto.results.models import Result

from .helpers import RESULT_HEADERS, result_rows, xlsx_file

pytestmark = pytest.mark.django_db


def _dead_identity() -> str:
    """The identity of a process that has since been killed."""
    proc = subprocess.Popen(["sleep", "30"])
    identity = process_identity(proc.pid)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    return identity


def _running_job(
    manager: User,
    university: Organisation,
    researcher: Person,
    *,
    worker: str,
    silent_for: timedelta = timedelta(0),
    language: str = "en",
) -> ImportJob:
    raw = xlsx_file(RESULT_HEADERS, result_rows(3, university.name_zh, researcher.name_zh))
    job = import_job_create(
        kind="results",
        file=ContentFile(raw, name="r.xlsx"),
        actor=manager,
        dry_run=False,
        language=language,
    )
    beat = timezone.now() - silent_for
    ImportJob.objects.filter(pk=job.pk).update(
        status="running", started_at=beat, heartbeat_at=beat, worker=worker
    )
    job.refresh_from_db()
    return job


def test_a_job_whose_process_was_killed_is_marked_interrupted(manager, university, researcher):
    job = _running_job(manager, university, researcher, worker=_dead_identity(), language="zh-hans")
    assert job.is_interrupted  # at once: no need to wait for a heartbeat to go stale
    assert [j.pk for j in import_jobs_mark_interrupted()] == [job.pk]
    job.refresh_from_db()
    assert job.status == "interrupted" and job.is_finished and job.finished_at is not None
    assert job.message == "处理这次导入的进程在完成前停止了：没有导入任何数据。请重新运行。"
    event = AuditEvent.objects.get(action="import.interrupted")
    assert (
        event.object_id == str(job.pk)
        and event.payload["worker"] == job.worker
        and event.actor is None
    )
    assert import_jobs_mark_interrupted() == []  # recorded once


def test_a_job_whose_process_runs_is_not_interrupted_however_long_it_takes(
    manager, university, researcher
):
    """On SQLite an import cannot write a heartbeat while it holds the write lock: its process is
    what tells."""
    job = _running_job(
        manager, university, researcher, worker=process_identity(), silent_for=timedelta(hours=2)
    )
    assert not job.is_interrupted
    assert import_jobs_mark_interrupted() == []
    assert ImportJob.objects.get(pk=job.pk).status == "running"


def test_a_job_on_another_machine_is_judged_by_its_heartbeat(manager, university, researcher):
    elsewhere = "worker-2.example/0f0e/pid:[1]/4242/123"
    fresh = _running_job(
        manager, university, researcher, worker=elsewhere, silent_for=timedelta(minutes=1)
    )
    stale = _running_job(
        manager, university, researcher, worker=elsewhere, silent_for=timedelta(minutes=4)
    )
    assert not fresh.is_interrupted and stale.is_interrupted
    assert [j.pk for j in import_jobs_mark_interrupted()] == [stale.pk]
    assert ImportJob.objects.get(pk=fresh.pk).status == "running"


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "Interrupted: nothing was imported. Run it again."),
        ("zh-hans", "已中断：未导入任何数据。请重新运行。"),
    ],
)
def test_the_job_page_records_and_shows_it(manager, university, researcher, language, text):
    job = _running_job(manager, university, researcher, worker=_dead_identity())
    client = Client()
    client.force_login(manager)
    response = client.get(f"/{language}/imports/{job.token}/")
    assert response.status_code == 200
    assert text in response.content.decode()
    assert (
        ImportJob.objects.get(pk=job.pk).status == "interrupted"
    )  # recorded on read, not only shown
    listing = client.get(f"/{language}/imports/").content.decode()
    assert {"en": "Interrupted: nothing imported", "zh-hans": "已中断：未导入任何数据"}[
        language
    ] in listing


def test_an_unpermitted_user_triggers_nothing(manager, inventor, university, researcher):
    job = _running_job(manager, university, researcher, worker=_dead_identity())
    client = Client()
    client.force_login(inventor)
    assert client.get(f"/en/imports/{job.token}/").status_code == 404
    assert ImportJob.objects.get(pk=job.pk).status == "running"


def _strict_import(
    tmp_path: Path, university: Organisation, researcher: Person, language: str
) -> tuple[int, str]:
    path = tmp_path / "r.xlsx"
    path.write_bytes(
        xlsx_file(RESULT_HEADERS, result_rows(4, university.name_zh, researcher.name_zh, {1, 2}))
    )
    out = io.StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command(
            "import",
            str(path),
            "--strict",
            "--user",
            "manager",
            "--language",
            language,
            stdout=out,
            stderr=io.StringIO(),
        )
    return int(exit_info.value.code or 0), out.getvalue()


def test_a_strict_refusal_says_nothing_was_written(manager, university, researcher, tmp_path):
    code, out = _strict_import(tmp_path, university, researcher, "en")
    lines = out.strip().splitlines()
    assert code == 1 and Result.objects.count() == 0
    assert lines[-2].startswith(
        "Refused: nothing imported: 2 would be created, 0 would be updated, 0 unchanged, 2 rows refused ("
    )
    assert lines[-2].endswith(
        " s) — 2 rows have errors and you chose to refuse the whole file: nothing was written."
    )
    assert lines[-1] == "Nothing was written to the database."


def test_a_strict_refusal_in_chinese(manager, university, researcher, tmp_path):
    code, out = _strict_import(tmp_path, university, researcher, "zh-hans")
    lines = out.strip().splitlines()
    assert code == 1 and Result.objects.count() == 0
    assert lines[-2].endswith("2 行有错误，且您选择了整个文件拒绝导入：没有写入任何数据。")
    assert lines[-1] == "没有向数据库写入任何数据。"


def test_a_refused_job_page_says_nothing_was_written(manager, university, researcher, tmp_path):
    _strict_import(tmp_path, university, researcher, "en")
    job = ImportJob.objects.get()
    client = Client()
    client.force_login(manager)
    body = client.get(f"/zh-hans/imports/{job.token}/").content.decode()
    assert "部分行有错误，且您选择了整个文件拒绝导入：没有写入任何数据。" in body
    assert "将新建" in body  # counts of what would have been created, not "created"

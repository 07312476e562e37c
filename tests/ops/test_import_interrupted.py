"""Killing an import midway leaves the database as it was and the job is recorded as interrupted;
running it again completes."""

from __future__ import annotations

import signal
import time
from pathlib import Path

from tests.imports.helpers import RESULT_HEADERS, result_rows, xlsx_file

from .conftest import Site

ROWS = 400

COUNTS = "from opentto.results.models import Result, IPAsset; from opentto.organisations.models import Person; print(Result.objects.count(), IPAsset.objects.count(), Person.objects.count())"


def test_kill_midway_then_rerun(site: Site, tmp_path: Path) -> None:
    path = tmp_path / "results.xlsx"
    path.write_bytes(
        xlsx_file(RESULT_HEADERS, result_rows(ROWS, "测试大学", "李明;新人甲", bad=()))
    )
    before = site.python(COUNTS)
    assert before == "0 0 1"

    proc = site.popen("import", str(path), "--user", "importer", stderr=-1, stdout=-1)
    assert proc.stderr is not None
    seen = ""
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        chunk = proc.stderr.read(64)
        if not chunk:
            break
        seen += chunk
        # The progress bar reports rows done: kill once a few hundred rows are written in the transaction.
        if any(f"] {n}/{ROWS}" in seen for n in range(100, ROWS, 50)):
            break
    assert proc.poll() is None, f"the import ended before it could be killed: {seen[-500:]}"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)

    assert site.python(COUNTS) == before  # nothing half-saved: not one result, patent or new person
    state = site.python(
        "from opentto.imports.models import ImportJob; j = ImportJob.objects.get(); print(j.status, j.is_interrupted)"
    )
    assert (
        state == "running True"
    )  # its process is gone: interrupted at once, no heartbeat to wait for

    done = site.command("import", str(path), "--user", "importer", "--language", "en")
    assert "was interrupted earlier: nothing of it was imported" in done.stderr
    assert f"{ROWS} created" in done.stdout, done.stdout + done.stderr
    assert site.python(COUNTS) == f"{ROWS} {ROWS} 2"
    recorded = "from opentto.imports.models import ImportJob; print(*ImportJob.objects.order_by('pk').values_list('status', flat=True))"
    assert site.python(recorded) == "interrupted done"
    assert (
        site.python(
            "from opentto.core.models import AuditEvent; print(AuditEvent.objects.filter(action='import.interrupted').count())"
        )
        == "1"
    )

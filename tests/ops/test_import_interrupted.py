"""Killing an import midway leaves the database as it was; running it again completes."""

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
    path.write_bytes(xlsx_file(RESULT_HEADERS, result_rows(ROWS, "测试大学", "李明;新人甲", bad=())))
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
    status = site.python("from opentto.imports.models import ImportJob; print(ImportJob.objects.get().status)")
    assert status == "running"  # shown as "interrupted" once its heartbeat is stale

    done = site.command("import", str(path), "--user", "importer")
    assert f"{ROWS} created" in done.stdout, done.stdout + done.stderr
    assert site.python(COUNTS) == f"{ROWS} {ROWS} 2"

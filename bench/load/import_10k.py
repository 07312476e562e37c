"""The import check at full size: an xlsx of 10,000 results with 50 bad rows.

1. a dry run names exactly those 50 rows (and stores nothing);
2. the real run stores the 9,950 good rows and none of the bad ones;
3. the same file again creates nothing (idempotent by application number).

Runs ``opentto import`` against a scratch database (SQLite file by default; ``--database-url``
for PostgreSQL, which must be empty). Too slow for ``make test`` (the suite has a 120-row version:
tests/imports/test_imports.py).

    .venv/bin/python bench/load/import_10k.py
"""

from __future__ import annotations

import argparse
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.imports.helpers import RESULT_HEADERS, result_rows, xlsx_file  # noqa: E402

SETUP = """
from opentto.accounts.models import User
from opentto.organisations.models import Organisation, Person, Membership
User.objects.create_user("importer", password="x-very-long-password", role="manager")
org = Organisation.objects.create(name_zh="测试大学", name_en="Test University", kind="university")
p = Person.objects.create(name_zh="李明", name_en="Li Ming")
Membership.objects.create(person=p, organisation=org)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--bad", type=int, default=50)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="opentto-import-"))
    url = args.database_url or f"sqlite:///{tmp / 'db.sqlite3'}"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "OPENTTO_VAR_DIR": str(tmp / "var"),
        "LOG_FORMAT": "plain",
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "opentto.settings.dev",
        "CELERY_BROKER_URL": "",
    }

    def opentto(*cmd: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "opentto", *cmd],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )

    opentto("migrate", "--noinput", "-v0").check_returncode()
    opentto("shell", "--no-imports", "-c", SETUP).check_returncode()
    bad = set(random.Random(8).sample(range(args.rows), args.bad))
    path = tmp / "results.xlsx"
    path.write_bytes(xlsx_file(RESULT_HEADERS, result_rows(args.rows, "测试大学", "李明", bad)))
    expected_rows = {i + 2 for i in bad}
    print(
        f"{path}: {args.rows} rows, {args.bad} bad, {path.stat().st_size / 1e6:.1f} MB ({url.split(':')[0]})"
    )

    t = time.monotonic()
    dry = opentto("import", str(path), "--user", "importer", "--dry-run", "--language", "en")
    named = {int(m) for m in re.findall(r"^row (\d+):", dry.stdout, re.M)}
    print(f"dry run: {time.monotonic() - t:.0f} s — {dry.stdout.strip().splitlines()[-1]}")
    assert named == expected_rows, f"dry run named {sorted(named ^ expected_rows)} wrongly"
    count = "from opentto.results.models import Result; print(Result.objects.count())"
    assert opentto("shell", "--no-imports", "-c", count).stdout.strip() == "0"

    t = time.monotonic()
    real = opentto("import", str(path), "--user", "importer", "--language", "en")
    print(f"real run: {time.monotonic() - t:.0f} s — {real.stdout.strip().splitlines()[-1]}")
    stored = opentto(
        "shell",
        "--no-imports",
        "-c",
        "from opentto.results.models import Result; print(Result.objects.count(), "
        "Result.objects.filter(title_en__in=["
        + ",".join(f"'Test result {i + 1}'" for i in bad)
        + "]).count())",
    ).stdout.split()
    assert stored == [str(args.rows - args.bad), "0"], stored

    t = time.monotonic()
    again = opentto("import", str(path), "--user", "importer", "--language", "en")
    print(f"again: {time.monotonic() - t:.0f} s — {again.stdout.strip().splitlines()[-1]}")
    assert f"0 created, 0 updated, {args.rows - args.bad} unchanged" in again.stdout
    print(
        "OK: the dry run named exactly the bad rows; no bad row stored; the rerun created nothing"
    )


if __name__ == "__main__":
    main()

"""``opentto backup PATH``: the whole platform in one file.

The file is a gzipped tar archive holding ``manifest.json`` (format, database engine, time, the
applied migrations, row counts and the figures at backup time), the database — ``database.pgdump``
(``pg_dump --format=custom``) on PostgreSQL, ``database.sqlite3`` (SQLite's online backup API,
consistent while the site runs) on SQLite — and ``media/`` (uploaded attachments and import files).
``opentto restore PATH`` puts it back into the database ``DATABASE_URL`` names.
"""

from __future__ import annotations

import io
import json
import os
import sqlite3
import subprocess
import tarfile
import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

FORMAT = "opentto-backup/1"
#: Tables whose rows mean "this database holds data" (restore refuses without --force).
DATA_TABLES = ("accounts_user", "organisations_organisation", "results_result", "core_auditevent")


def pg_env_and_args(db: Any) -> tuple[dict[str, str], list[str]]:
    env = {**os.environ}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    args = ["--host", str(db.get("HOST") or "127.0.0.1"), "--port", str(db.get("PORT") or 5432), "--dbname", str(db["NAME"])]
    if db.get("USER"):
        args += ["--username", str(db["USER"])]
    return env, args


def row_counts() -> dict[str, int]:
    counts = {}
    existing = set(connection.introspection.table_names())
    with connection.cursor() as cursor:
        for table in DATA_TABLES:
            if table in existing:
                cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608 - a constant table name
                counts[table] = int(cursor.fetchone()[0])
    return counts


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(timezone.now().timestamp())
    archive.addfile(info, io.BytesIO(data))


class Command(BaseCommand):
    help = "Write the database and uploaded files to one backup file (PostgreSQL or SQLite)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="The backup file to write (e.g. opentto-2026-11-29.tar.gz).")
        parser.add_argument("--no-media", action="store_true", help="Leave out uploaded files.")

    def handle(self, *args: Any, **options: Any) -> None:
        from opentto.dashboard.selectors import figures

        path = Path(options["path"])
        if path.exists() and path.is_dir():
            raise CommandError(f"{path} is a directory: give a file name")
        db = settings.DATABASES["default"]
        vendor = connection.vendor
        if vendor not in {"postgresql", "sqlite"}:
            raise CommandError(f"backups support PostgreSQL and SQLite, not {vendor}")
        manifest = {
            "format": FORMAT,
            "engine": vendor,
            "created_at": timezone.now().isoformat(),
            "migrations": sorted(f"{a}.{n}" for a, n in MigrationRecorder.Migration.objects.values_list("app", "name")),
            "rows": row_counts(),
            "figures": figures(None).as_json(),
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial")
        with tempfile.TemporaryDirectory() as tmp:
            dump = Path(tmp) / ("database.pgdump" if vendor == "postgresql" else "database.sqlite3")
            if vendor == "postgresql":
                env, conn_args = pg_env_and_args(db)
                done = subprocess.run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", "--file", str(dump), *conn_args],  # noqa: S603,S607 - fixed arguments
                                      env=env, capture_output=True, text=True)
                if done.returncode != 0:
                    raise CommandError(f"pg_dump failed: {done.stderr.strip()}")
            else:
                source = sqlite3.connect(str(db["NAME"]))
                target = sqlite3.connect(str(dump))
                try:
                    source.backup(target)
                finally:
                    target.close()
                    source.close()
            with tarfile.open(partial, "w:gz") as archive:
                _add_bytes(archive, "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2).encode())
                archive.add(dump, arcname=dump.name)
                media = Path(settings.MEDIA_ROOT)
                if not options["no_media"] and media.is_dir():
                    archive.add(media, arcname="media")
        partial.replace(path)  # the backup file appears only once complete
        path.chmod(0o600)
        size = path.stat().st_size
        self.stdout.write(f"{path}: {vendor} backup, {size / 1e6:.1f} MB, {manifest['rows']}")

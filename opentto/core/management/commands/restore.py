"""``opentto restore PATH``: put a backup (``opentto backup``) into the database ``DATABASE_URL``
names — an empty or freshly migrated one. A database that holds data (users, organisations,
results or audit events) is refused unless ``--force`` is given, which replaces it entirely.
Uploaded files in the backup are put back under ``MEDIA_ROOT``. The engine must match the
backup's (a PostgreSQL backup goes into PostgreSQL, an SQLite one into SQLite)."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from pathlib import Path, PurePosixPath
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, connections

from .backup import FORMAT, pg_env_and_args, row_counts


def _safe_members(archive: tarfile.TarFile) -> list[tarfile.TarInfo]:
    members = []
    for member in archive.getmembers():
        name = PurePosixPath(member.name)
        if name.is_absolute() or ".." in name.parts or not (member.isfile() or member.isdir()):
            raise CommandError(f"refusing a suspicious entry in the backup: {member.name}")
        members.append(member)
    return members


class Command(BaseCommand):
    help = "Restore a backup file into the database DATABASE_URL names (refuses a database holding data without --force)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path")
        parser.add_argument("--force", action="store_true", help="Replace a database that holds data.")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["path"])
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        vendor = connection.vendor
        with tempfile.TemporaryDirectory() as tmp, tarfile.open(path, "r:gz") as archive:
            members = _safe_members(archive)
            names = {m.name for m in members}
            if "manifest.json" not in names:
                raise CommandError(f"{path} is not an OpenTTO backup (no manifest)")
            manifest = json.loads(archive.extractfile("manifest.json").read())  # type: ignore[union-attr]
            if manifest.get("format") != FORMAT:
                raise CommandError(f"unknown backup format {manifest.get('format')!r}")
            if manifest["engine"] != vendor:
                raise CommandError(f"this is a {manifest['engine']} backup; DATABASE_URL names a {vendor} database")
            held = {t: n for t, n in row_counts().items() if n}
            if held and not options["force"]:
                raise CommandError(
                    f"the database holds data ({', '.join(f'{t}: {n}' for t, n in held.items())}); "
                    "restore into an empty database, or give --force to replace it"
                )
            archive.extractall(tmp, members=members, filter="data")
            if vendor == "postgresql":
                self._restore_postgresql(Path(tmp) / "database.pgdump")
            else:
                self._restore_sqlite(Path(tmp) / "database.sqlite3")
            media = Path(tmp) / "media"
            if media.is_dir():
                target = Path(settings.MEDIA_ROOT)
                if target.exists() and options["force"]:
                    shutil.rmtree(target)
                shutil.copytree(media, target, dirs_exist_ok=True)
        # Figures cached from the database that was replaced are stale now.
        from opentto.dashboard.cache import bump_figures_version

        bump_figures_version()
        self.stdout.write(f"restored {path} ({manifest['engine']}, made {manifest['created_at']}): {manifest['rows']}")

    def _restore_postgresql(self, dump: Path) -> None:
        db = settings.DATABASES["default"]
        connections.close_all()
        env, conn_args = pg_env_and_args(db)
        # --clean drops what the backup holds before recreating it, and --single-transaction makes
        # the whole restore one transaction: if anything fails, the database is left as it was.
        done = subprocess.run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges", "--exit-on-error",  # noqa: S603,S607 - fixed arguments
                               "--single-transaction", *conn_args, str(dump)],
                              env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise CommandError(f"pg_restore failed: {done.stderr.strip()}")

    def _restore_sqlite(self, dump: Path) -> None:
        connections.close_all()
        source = sqlite3.connect(str(dump))
        target = sqlite3.connect(str(settings.DATABASES["default"]["NAME"]))
        try:
            source.backup(target)  # page by page, in one transaction: all or nothing
        finally:
            target.close()
            source.close()

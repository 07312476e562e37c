"""``opentto backup PATH``: the whole platform in one file.

The file is a gzipped tar archive holding ``manifest.json``, the database — ``database.pgdump``
(``pg_dump --format=custom``) on PostgreSQL, ``database.sqlite3`` (SQLite's online backup API,
consistent while the site runs) on SQLite — and ``media/`` (uploaded attachments and import files).

The manifest describes exactly what the dump holds: on PostgreSQL it is read in the REPEATABLE
READ transaction whose snapshot ``pg_dump --snapshot`` dumps; on SQLite it is read from the copy
that goes into the archive. It gives the format, engine and time, the applied migrations, the row
count of every table, the figures, the audit chain's head and the anchor of that moment
(:mod:`opentto.core.audit_anchor`), and the size and SHA-256 of the database file, so that
``opentto restore`` can refuse a damaged file before it touches anything.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, connections, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

FORMAT = "opentto-backup/2"
#: Formats ``opentto restore`` reads (1: no checksums, counts of four tables only).
READABLE_FORMATS = ("opentto-backup/1", FORMAT)
#: Tables whose rows mean "this database holds data" (restore refuses without --force).
DATA_TABLES = ("accounts_user", "organisations_organisation", "results_result", "core_auditevent")
DUMP_NAMES = {"postgresql": "database.pgdump", "sqlite": "database.sqlite3"}


def pg_env_and_args(db: Any) -> tuple[dict[str, str], list[str]]:
    env = {**os.environ}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    args = [
        "--host",
        str(db.get("HOST") or "127.0.0.1"),
        "--port",
        str(db.get("PORT") or 5432),
        "--dbname",
        str(db["NAME"]),
    ]
    if db.get("USER"):
        args += ["--username", str(db["USER"])]
    return env, args


def first_line(text: str) -> str:
    """The first non-empty line of a tool's error output (messages stay on one line)."""
    return next((line.strip() for line in text.splitlines() if line.strip()), "no message")


def row_counts(tables: tuple[str, ...] | None = None) -> dict[str, int]:
    """Rows per table: the given tables, or every table of an installed model."""
    existing = set(connection.introspection.table_names())
    wanted = (
        tables
        if tables is not None
        else sorted(connection.introspection.django_table_names(only_existing=True))
    )
    counts = {}
    with connection.cursor() as cursor:
        for table in wanted:
            if table in existing:
                cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608 - a table name from the schema
                counts[table] = int(cursor.fetchone()[0])
    return counts


def audit_state() -> dict[str, Any]:
    """The audit chain as the current transaction sees it, and the anchor file of the moment."""
    from opentto.core.audit_anchor import AnchorError, anchor_read
    from opentto.core.models import AuditEvent

    head = AuditEvent.objects.order_by("-id").values_list("id", "hash").first()
    try:
        anchor = anchor_read(check_signature=False)
        anchor_json: Any = anchor.as_json() if anchor else None
    except AnchorError as exc:
        anchor_json = {"error": str(exc)}
    return {
        "entries": AuditEvent.objects.count(),
        "head": {"id": head[0], "hash": head[1]} if head else None,
        "anchor": anchor_json,
    }


def file_digest(path: Path) -> dict[str, Any]:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return {"size": path.stat().st_size, "sha256": digest.hexdigest()}


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(timezone.now().timestamp())
    info.mode = 0o600
    archive.addfile(info, io.BytesIO(data))


@contextlib.contextmanager
def reading_sqlite_file(path: Path) -> Iterator[None]:
    """Point the default connection at another SQLite file for the duration (this process only)."""
    wrapper = connections["default"]
    original = wrapper.settings_dict["NAME"]
    wrapper.close()
    wrapper.settings_dict["NAME"] = str(path)
    try:
        yield
    finally:
        wrapper.close()
        wrapper.settings_dict["NAME"] = original


class Command(BaseCommand):
    help = "Write the database and uploaded files to one backup file (PostgreSQL or SQLite)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "path", help="The backup file to write (e.g. opentto-2026-11-29.tar.gz)."
        )
        parser.add_argument("--no-media", action="store_true", help="Leave out uploaded files.")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["path"])
        if path.is_dir():
            raise CommandError(f"{path} is a directory: give a file name")
        vendor = connection.vendor
        if vendor not in DUMP_NAMES:
            raise CommandError(f"backups support PostgreSQL and SQLite, not {vendor}")
        if connection.in_atomic_block:
            raise CommandError("a backup takes its own snapshot: run it outside a transaction")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CommandError(f"cannot write {path}: {exc.strerror}") from exc
        media = [] if options["no_media"] else self._media_files()
        partial = path.with_name(path.name + ".partial")
        try:
            with tempfile.TemporaryDirectory() as tmp:
                dump = Path(tmp) / DUMP_NAMES[vendor]
                manifest = (
                    self._dump_postgresql(dump)
                    if vendor == "postgresql"
                    else self._dump_sqlite(dump)
                )
                manifest["files"] = {dump.name: file_digest(dump)}
                manifest["media"] = {
                    "files": len(media),
                    "bytes": sum(size for _p, _n, size in media),
                }
                with tarfile.open(partial, "w:gz") as archive:
                    _add_bytes(
                        archive,
                        "manifest.json",
                        json.dumps(manifest, ensure_ascii=False, indent=2).encode(),
                    )
                    archive.add(dump, arcname=dump.name)
                    for file, name, _size in media:
                        archive.add(file, arcname=name, recursive=False)
            partial.chmod(0o600)
            partial.replace(path)  # the backup file appears only once complete
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise CommandError(f"cannot write {path}: {exc.strerror or exc}") from exc
        rows = manifest["rows"]
        self.stdout.write(
            f"{path}: {vendor} backup, {path.stat().st_size / 1e6:.1f} MB, {len(rows)} tables, {sum(rows.values())} rows "
            f"({', '.join(f'{t}: {rows.get(t, 0)}' for t in DATA_TABLES)}), {len(media)} media files"
        )

    @staticmethod
    def _media_files() -> list[tuple[Path, str, int]]:
        """Uploaded files as (path, name in the archive, size), listed once so the manifest's count
        is the archive's."""
        root = Path(settings.MEDIA_ROOT)
        if not root.is_dir():
            return []
        found = []
        for file in sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink()):
            found.append((file, f"media/{file.relative_to(root).as_posix()}", file.stat().st_size))
        return found

    def _manifest(self, vendor: str, snapshot: str) -> dict[str, Any]:
        """What the database holds, read in the transaction (or from the copy) that is dumped."""
        from opentto.core.backup_manifest import manifest_sections

        return {
            "format": FORMAT,
            "engine": vendor,
            "created_at": timezone.now().isoformat(),
            "snapshot": snapshot,
            "migrations": sorted(
                f"{a}.{n}"
                for a, n in MigrationRecorder.Migration.objects.values_list("app", "name")
            ),
            "rows": row_counts(),
            **manifest_sections(),  # "figures": registered by the dashboard
            "audit": audit_state(),
        }

    def _dump_postgresql(self, dump: Path) -> dict[str, Any]:
        env, conn_args = pg_env_and_args(settings.DATABASES["default"])
        connection.ensure_connection()
        with transaction.atomic():
            with connection.cursor() as cursor:
                # One snapshot for the dump and the manifest: pg_dump imports the one exported here
                # while this transaction stays open, and the counts are read in it.
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                cursor.execute("SELECT pg_export_snapshot()")
                snapshot = str(cursor.fetchone()[0])
            manifest = self._manifest("postgresql", snapshot)
            done = subprocess.run(
                [
                    "pg_dump",
                    "--format=custom",
                    "--no-owner",
                    "--no-privileges",
                    f"--snapshot={snapshot}",
                    "--file",
                    str(dump),
                    *conn_args,
                ],
                env=env,
                capture_output=True,
                text=True,
            )
            if done.returncode != 0:
                raise CommandError(f"pg_dump failed: {first_line(done.stderr)}")
        return manifest

    def _dump_sqlite(self, dump: Path) -> dict[str, Any]:
        source = sqlite3.connect(str(settings.DATABASES["default"]["NAME"]))
        target = sqlite3.connect(str(dump))
        try:
            source.backup(target)  # in one step: one consistent read of the whole database
        except sqlite3.Error as exc:
            raise CommandError(f"cannot copy the SQLite database: {exc}") from exc
        finally:
            target.close()
            source.close()
        with reading_sqlite_file(dump):
            manifest = self._manifest("sqlite", "copy")
        for leftover in (dump.with_name(dump.name + "-wal"), dump.with_name(dump.name + "-shm")):
            leftover.unlink(missing_ok=True)
        return manifest

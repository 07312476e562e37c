"""``opentto restore PATH``: put a backup (``opentto backup``) into the database ``DATABASE_URL``
names — an empty or freshly migrated one. A database that holds data (users, organisations,
results or audit events) is refused unless ``--force`` is given, which replaces it entirely.
Uploaded files in the backup are put back under ``MEDIA_ROOT``. The engine must match the
backup's (a PostgreSQL backup goes into PostgreSQL, an SQLite one into SQLite).

Nothing is touched until the whole file has been read and checked: the gzip stream to its end (a
truncated or damaged file fails its length or CRC check), the tar entries, the manifest (format,
engine, migrations this code knows), the database file against the manifest's size and SHA-256,
and the dump itself (``pg_restore --list``; SQLite's integrity check). Each refusal is one line
ending in "nothing was restored". Afterwards the rows are counted again and compared with the
manifest, the audit chain is checked against the head the backup recorded, and the anchor is set
to it.
"""

from __future__ import annotations

import gzip
import json
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from pathlib import Path, PurePosixPath
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError, connection, connections

from .backup import (
    DATA_TABLES,
    DUMP_NAMES,
    READABLE_FORMATS,
    file_digest,
    first_line,
    pg_env_and_args,
    row_counts,
)


class Refused(CommandError):
    """A backup that is not restored; the database and the files are as they were."""

    def __init__(self, message: str) -> None:
        super().__init__(f"{message}; nothing was restored")


def _safe_members(archive: tarfile.TarFile) -> list[tarfile.TarInfo]:
    members = []
    for member in archive.getmembers():
        name = PurePosixPath(member.name)
        if name.is_absolute() or ".." in name.parts or not (member.isfile() or member.isdir()):
            raise Refused(f"refusing a suspicious entry in the backup: {member.name}")
        members.append(member)
    return members


def _check_stream(path: Path) -> None:
    """Read the gzip stream to its end: its trailer's length and CRC catch truncation and damage."""
    try:
        with gzip.open(path) as stream:
            while stream.read(1 << 20):
                pass
    except EOFError as exc:
        raise Refused(
            f"{path} is truncated: the file ends before the backup does (an interrupted copy?)"
        ) from exc
    except gzip.BadGzipFile as exc:
        if "CRC" in str(exc) or "length" in str(exc).lower():
            raise Refused(f"{path} is damaged: its checksum does not match its content") from exc
        raise Refused(f"{path} is not an OpenTTO backup: it is not a gzip-compressed file") from exc
    except zlib.error as exc:
        raise Refused(f"{path} is damaged: its compressed data cannot be read ({exc})") from exc
    except OSError as exc:
        raise Refused(f"{path} cannot be read: {exc.strerror or exc}") from exc


def unpack(path: Path, into: Path, vendor: str) -> dict[str, Any]:
    """Extract and check a backup file into ``into`` for a ``vendor`` database; return its
    manifest. Raises :class:`Refused`."""
    if path.is_dir():
        raise Refused(f"{path} is a directory, not a backup file")
    if not path.is_file():
        raise Refused(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise Refused(f"{path} is empty")
    _check_stream(path)
    try:
        with tarfile.open(path, "r:gz") as archive:
            members = _safe_members(archive)
            if "manifest.json" not in {m.name for m in members}:
                raise Refused(f"{path} is not an OpenTTO backup: it has no manifest.json")
            archive.extractall(into, members=members, filter="data")
    except tarfile.TarError as exc:
        raise Refused(f"{path} is not an OpenTTO backup: not a tar archive inside ({exc})") from exc
    except (EOFError, zlib.error) as exc:
        raise Refused(f"{path} is damaged: {exc}") from exc
    except OSError as exc:
        raise Refused(f"{path} cannot be unpacked: {exc.strerror or exc}") from exc
    try:
        manifest = json.loads((into / "manifest.json").read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise Refused(f"{path} is damaged: its manifest.json is not valid JSON") from exc
    if not isinstance(manifest, dict) or not isinstance(manifest.get("format"), str):
        raise Refused(f"{path} is damaged: its manifest.json does not say which format it is")
    if manifest["format"] not in READABLE_FORMATS:
        raise Refused(
            f"{path} is in format {manifest['format']!r}, which this OpenTTO does not read "
            f"(it reads {', '.join(READABLE_FORMATS)}): restore it with the version that made it, or a newer one"
        )
    engine = manifest.get("engine")
    if engine not in DUMP_NAMES:
        raise Refused(
            f"{path} is damaged: its manifest names no known database engine ({engine!r})"
        )
    if engine != vendor:
        raise Refused(f"{path} is a {engine} backup; DATABASE_URL names a {vendor} database")
    dump = into / DUMP_NAMES[engine]
    if not dump.is_file():
        raise Refused(f"{path} is incomplete: it has no {dump.name}")
    expected = (manifest.get("files") or {}).get(dump.name)
    if expected is not None:
        actual = file_digest(dump)
        if actual != expected:
            raise Refused(
                f"{path} is damaged: {dump.name} does not match the size and SHA-256 in its manifest"
            )
    elif manifest["format"] != READABLE_FORMATS[0]:
        raise Refused(f"{path} is damaged: its manifest has no checksum of {dump.name}")
    media = manifest.get("media")
    if isinstance(media, dict) and isinstance(media.get("files"), int):
        extracted = (
            sum(1 for p in (into / "media").rglob("*") if p.is_file())
            if (into / "media").is_dir()
            else 0
        )
        if extracted != media["files"]:
            raise Refused(
                f"{path} is incomplete: {extracted} uploaded files where its manifest lists {media['files']}"
            )
    return manifest


def check_dump(dump: Path) -> None:
    """The dump is readable by the tool that will restore it."""
    if dump.name == DUMP_NAMES["postgresql"]:
        done = subprocess.run(["pg_restore", "--list", str(dump)], capture_output=True, text=True)
        if done.returncode != 0:
            raise Refused(
                f"{dump.name} in the backup cannot be read by pg_restore: {first_line(done.stderr)}"
            )
        return
    try:
        db = sqlite3.connect(f"file:{dump}?mode=ro", uri=True)
        try:
            problems = [row[0] for row in db.execute("PRAGMA integrity_check").fetchall()]
        finally:
            db.close()
    except sqlite3.DatabaseError as exc:
        raise Refused(
            f"{dump.name} in the backup is not a readable SQLite database ({exc})"
        ) from exc
    if problems != ["ok"]:
        raise Refused(
            f"{dump.name} in the backup is damaged: SQLite's integrity check says {problems[0]}"
        )


class Command(BaseCommand):
    help = "Restore a backup file into the database DATABASE_URL names (refuses a database holding data without --force)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path")
        parser.add_argument(
            "--force", action="store_true", help="Replace a database that holds data."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["path"])
        vendor = connection.vendor
        with tempfile.TemporaryDirectory() as tmp:
            staged = Path(tmp)
            manifest = unpack(path, staged, vendor)
            self._check_migrations(path, manifest)
            dump = staged / DUMP_NAMES[vendor]
            check_dump(dump)
            try:
                held = {t: n for t, n in row_counts(DATA_TABLES).items() if n}
            except DatabaseError as exc:
                raise Refused(
                    f"the database DATABASE_URL names cannot be read: {first_line(str(exc))}"
                ) from exc
            if held and not options["force"]:
                raise Refused(
                    f"the database holds data ({', '.join(f'{t}: {n}' for t, n in held.items())}); "
                    "restore into an empty database, or give --force to replace it"
                )
            if vendor == "postgresql":
                self._restore_postgresql(dump)
            else:
                self._restore_sqlite(dump)
            media_files = self._restore_media(staged / "media", force=options["force"])
        self._report(path, manifest, media_files)

    @staticmethod
    def _check_migrations(path: Path, manifest: dict[str, Any]) -> None:
        from django.db.migrations.loader import MigrationLoader

        known = {
            f"{app}.{name}"
            for app, name in MigrationLoader(None, ignore_no_migrations=True).disk_migrations
        }
        unknown = sorted(set(manifest.get("migrations") or []) - known)
        if unknown:
            more = f" and {len(unknown) - 3} more" if len(unknown) > 3 else ""
            raise Refused(
                f"{path} was made by a newer OpenTTO (migrations this one does not have: {', '.join(unknown[:3])}{more}): upgrade first"
            )

    def _restore_postgresql(self, dump: Path) -> None:
        db = settings.DATABASES["default"]
        connections.close_all()
        env, conn_args = pg_env_and_args(db)
        # --clean drops what the backup holds before recreating it, and --single-transaction makes
        # the whole restore one transaction: if anything fails, the database is left as it was.
        done = subprocess.run(
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                "--single-transaction",
                *conn_args,
                str(dump),
            ],
            env=env,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise Refused(
                f"pg_restore failed, the database is as it was: {first_line(done.stderr)}"
            )

    def _restore_sqlite(self, dump: Path) -> None:
        connections.close_all()
        source = sqlite3.connect(str(dump))
        target = sqlite3.connect(str(settings.DATABASES["default"]["NAME"]), timeout=20)
        try:
            source.backup(target)  # page by page, in one transaction: all or nothing
        except sqlite3.Error as exc:
            raise Refused(f"SQLite refused the copy, the database is as it was: {exc}") from exc
        finally:
            target.close()
            source.close()

    @staticmethod
    def _restore_media(media: Path, *, force: bool) -> int:
        if not media.is_dir():
            return 0
        target = Path(settings.MEDIA_ROOT)
        if target.exists() and force:
            shutil.rmtree(target)
        shutil.copytree(media, target, dirs_exist_ok=True)
        return sum(1 for p in media.rglob("*") if p.is_file())

    def _report(self, path: Path, manifest: dict[str, Any], media_files: int) -> None:
        """Read back what the database now holds and compare it with the manifest."""
        from opentto.core.audit import audit_record, audit_verify
        from opentto.core.audit_anchor import anchor_advance
        from opentto.core.cache import bump_figures_version
        from opentto.core.models import AuditEvent

        bump_figures_version()  # figures cached from the database that was replaced are stale now
        restored = row_counts()
        expected = manifest.get("rows") or {}
        differ = {
            t: (restored.get(t, 0), n) for t, n in expected.items() if restored.get(t, 0) != n
        }
        chain = audit_verify(anchored=False)
        head = AuditEvent.objects.order_by("-id").values_list("id", "hash").first()
        backed_up = (manifest.get("audit") or {}).get("head")
        total = sum(restored.values())
        self.stdout.write(
            f"restored {path} ({manifest['engine']}, made {manifest.get('created_at', '?')}): "
            f"{len(restored)} tables, {total} rows ({', '.join(f'{t}: {restored.get(t, 0)}' for t in DATA_TABLES)}), "
            f"{media_files} media files"
        )
        if differ:
            listed = ", ".join(
                f"{t}: {got} rows, the manifest says {want}"
                for t, (got, want) in sorted(differ.items())[:5]
            )
            raise CommandError(
                f"restored, but the database does not hold what the backup lists ({listed})"
            )
        self.stdout.write(f"row counts match the backup's manifest ({len(expected)} tables)")
        if not chain.ok:
            self.stderr.write(
                f"warning: the restored audit chain is broken at entry #{chain.first_bad.pk if chain.first_bad else '?'} "
                "(it was so in the backup); run opentto audit verify"
            )
        elif backed_up is not None and (
            head is None or [head[0], head[1]] != [backed_up.get("id"), backed_up.get("hash")]
        ):
            raise CommandError(
                "restored, but the audit chain's head is not the one the backup recorded"
            )
        else:
            self.stdout.write(
                f"audit chain: {chain.checked} entries, intact"
                + (f", head #{head[0]} as in the backup" if head else "")
            )
        if head is not None and chain.ok:
            anchor_advance(
                head[0], head[1], reset=True
            )  # the anchor now describes the restored chain
        audit_record(
            actor=None,
            action="backup.restore",
            payload={
                "file": path.name,
                "made_at": manifest.get("created_at"),
                "engine": manifest["engine"],
                "rows": total,
            },
        )

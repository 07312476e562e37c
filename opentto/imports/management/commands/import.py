"""``opentto import FILE``: import a CSV, xlsx or patent XML file, with a progress bar.

    opentto import results.xlsx --user manager --dry-run
    opentto import results.xlsx --user manager
    opentto import patents.xml --kind patents --default-trl 3 --default-field ai

Exit status 0: done (or dry run finished); 1: refused or failed — nothing was stored, and the last
line says so. Before it starts, imports left "running" by a process that is gone are recorded as
interrupted.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation
from django.utils.translation import gettext as _

from opentto.accounts.models import User
from opentto.imports.columns import COLUMNS
from opentto.imports.models import ImportKindChoices, ImportStatusChoices
from opentto.imports.services import (
    default_import_actor,
    import_job_create,
    import_job_run,
    import_jobs_mark_interrupted,
    mapping_problems,
)


class Command(BaseCommand):
    help = "Import results, patents, organisations or people from a CSV, xlsx or patent XML file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument(
            "--kind",
            choices=ImportKindChoices.values,
            help="What the file holds (default: patents for XML, else results).",
        )
        parser.add_argument(
            "--user",
            help="The acting user (a TTO manager or admin; default: the first active user who may import).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Check every row and store nothing."
        )
        parser.add_argument(
            "--strict", action="store_true", help="Store nothing if any row is refused."
        )
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="HEADER=COLUMN",
            help="Map a header to a column (repeatable).",
        )
        parser.add_argument(
            "--default-trl", type=int, default=3, help="Patents: the TRL of records that give none."
        )
        parser.add_argument(
            "--default-field", default="other", help="Patents: the field of records that give none."
        )
        parser.add_argument(
            "--public", action="store_true", help="Patents: records are public results."
        )
        parser.add_argument(
            "--language", default="", help="Language of the messages (zh-hans or en)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        if options["user"]:
            actor = User.objects.filter(username=options["user"], is_active=True).first()
            if actor is None:
                raise CommandError(f"no active user {options['user']!r}")
        else:
            actor = default_import_actor()
            if actor is None:
                raise CommandError("give --user: there is no active user who may import")
        for stale in import_jobs_mark_interrupted():
            self.stderr.write(
                f"job {stale.token} ({stale.original_name}) was interrupted earlier: nothing of it was imported"
            )
        raw = path.read_bytes()
        kind = options["kind"] or (
            ImportKindChoices.PATENTS
            if raw.lstrip(b"\xef\xbb\xbf \r\n\t").startswith(b"<")
            else ImportKindChoices.RESULTS
        )
        language = options["language"] or actor.language or "zh-hans"
        with translation.override(language):
            try:
                job = import_job_create(
                    kind=kind,
                    file=ContentFile(raw, name=path.name),
                    actor=actor,
                    dry_run=options["dry_run"],
                    language=language,
                    options={
                        "strict": options["strict"],
                        "default_trl": options["default_trl"],
                        "default_field": options["default_field"],
                        "public": options["public"],
                    },
                )
            except (ValidationError, PermissionError) as exc:
                raise CommandError("; ".join(getattr(exc, "messages", [str(exc)]))) from exc
            if options["map"]:
                from opentto.imports.services import job_headers

                headers = job_headers(job)
                valid = {c.key for c in COLUMNS[kind]}
                for item in options["map"]:
                    header, _sep, column = item.partition("=")
                    if header not in headers or column not in valid:
                        raise CommandError(f"--map {item}: unknown header or column")
                    job.mapping = {i: k for i, k in job.mapping.items() if k != column}
                    job.mapping[str(headers.index(header))] = column
                job.save(update_fields=["mapping"])
            problems = mapping_problems(kind, job.mapping)
            if problems:
                raise CommandError("; ".join(problems))
            self.stderr.write(
                f"{path.name}: {job.total_rows} rows, {'dry run' if job.dry_run else 'import'} (job {job.token})"
            )
            started = time.monotonic()
            job = import_job_run(job=job, progress=self._bar(started))
            sys.stderr.write("\n")
            for error in job.errors:
                self.stdout.write(
                    f"row {error['row']}: {error['column'] or '-'}: {error['message']}"
                )
            would = job.dry_run or job.status == ImportStatusChoices.REFUSED
            template = (
                _(
                    "%(status)s: %(created)d would be created, %(updated)d would be updated, %(unchanged)d unchanged, %(refused)d rows refused (%(seconds).1f s)"
                )
                if would
                else _(
                    "%(status)s: %(created)d created, %(updated)d updated, %(unchanged)d unchanged, %(refused)d rows refused (%(seconds).1f s)"
                )
            )
            summary = template % {
                "status": job.get_status_display(),
                "created": job.created_count,
                "updated": job.updated_count,
                "unchanged": job.unchanged_count,
                "refused": job.error_count,
                "seconds": time.monotonic() - started,
            }
            if job.message:
                summary += f" — {job.message}"
            written = job.status == ImportStatusChoices.DONE
            closing = "" if written else _("Nothing was written to the database.")
        self.stdout.write(summary)
        if closing:
            self.stdout.write(closing)
        if job.status in {ImportStatusChoices.REFUSED, ImportStatusChoices.FAILED}:
            raise SystemExit(1)

    def _bar(self, started: float) -> Any:
        def show(done: int, total: int) -> None:
            width = 30
            filled = int(width * done / total) if total else width
            rate = done / max(time.monotonic() - started, 1e-6)
            sys.stderr.write(
                f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} rows  {rate:.0f}/s"
            )
            sys.stderr.flush()

        return show

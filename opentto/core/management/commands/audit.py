"""``opentto audit verify`` checks the audit log's hash chain; ``opentto audit export`` writes it
as CSV (to a file or standard output): the whole log for the operator, or with ``--user`` only the
entries that user may export (``export`` on ``core.auditevent``: the TTO every entry)."""

from __future__ import annotations

import sys
from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.dateparse import parse_date

from opentto.core.audit import audit_export_csv, audit_verify
from opentto.core.models import AuditEvent
from opentto.core.permissions import restrict


class Command(BaseCommand):
    help = "Check the audit log's hash chain (verify) or export it as CSV (export)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        sub.add_parser("verify", help="Walk the chain; exit 1 and name the first bad entry if it is broken.")
        export = sub.add_parser("export", help="Write the log as CSV.")
        export.add_argument("--output", "-o", default="-", help="File to write (default: standard output).")
        export.add_argument("--since", help="Only entries on or after this date (YYYY-MM-DD).")
        export.add_argument("--action", help="Only entries with this action, e.g. result.view_details.")
        export.add_argument("--user", help="Only the entries this user (a username) may export; none if they have no grant.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "verify":
            result = audit_verify()
            if result.ok:
                self.stdout.write(f"OK: {result.checked} audit entries, chain intact.")
                return
            bad = result.first_bad
            assert bad is not None
            what = "does not link to the entry before it" if result.problem == "link" else "was changed after it was written"
            self.stderr.write(
                f"BROKEN: audit entry #{bad.pk} ({bad.occurred_at:%Y-%m-%d %H:%M:%S} UTC {bad.action} "
                f"{bad.object_type}#{bad.object_id}) {what}; {result.checked} entries before it are intact."
            )
            sys.exit(1)
        qs = AuditEvent.objects.all()
        if options.get("user"):
            from django.contrib.auth import get_user_model

            user = get_user_model()._default_manager.filter(username=options["user"], is_active=True).first()
            if user is None:
                raise CommandError(f"no active user {options['user']!r}")
            qs = restrict(qs, user, "export")
        if options.get("since"):
            day = parse_date(options["since"])
            if day is None:
                raise CommandError("--since takes a date as YYYY-MM-DD.")
            qs = qs.filter(occurred_at__gte=datetime(day.year, day.month, day.day).astimezone())
        if options.get("action"):
            qs = qs.filter(action=options["action"])
        if options["output"] == "-":
            count = audit_export_csv(self.stdout, qs)  # type: ignore[arg-type]  # OutputWrapper writes like a text file
        else:
            with open(options["output"], "w", newline="", encoding="utf-8") as handle:
                count = audit_export_csv(handle, qs)
            self.stderr.write(f"{count} entries written to {options['output']}.")

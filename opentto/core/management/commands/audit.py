"""``opentto audit verify`` checks the audit log's hash chain and that it still reaches the anchored
head (:mod:`opentto.core.audit_anchor`); ``opentto audit anchor`` shows the anchor, or with
``--reset`` anchors the current head after checking the chain (after a deliberate change: a new
anchor key, a database replaced by hand); ``opentto audit export`` writes it as CSV (to a file or
standard output): the whole log for the operator, or with ``--user`` only the entries that user
may export (``export`` on ``core.auditevent``: the TTO every entry)."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.dateparse import parse_date

from opentto.core.audit import VerifyResult, audit_export_csv, audit_verify
from opentto.core.audit_anchor import AnchorError, anchor_advance, anchor_path, anchor_read
from opentto.core.models import AuditEvent
from opentto.core.permissions import restrict


class Command(BaseCommand):
    help = "Check the audit log's hash chain (verify) or export it as CSV (export)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        verify = sub.add_parser(
            "verify",
            help="Walk the chain; exit 1 and name the first bad entry, or the missing anchored head.",
        )
        verify.add_argument(
            "--anchor",
            metavar="FILE",
            help="Check against this copy of an anchor (e.g. from a backup's manifest) instead of the site's anchor file.",
        )
        anchor = sub.add_parser(
            "anchor",
            help="Show the anchored head; --reset anchors the current head after checking the chain.",
        )
        anchor.add_argument(
            "--reset",
            action="store_true",
            help="Anchor the current head even if that moves the anchor back (the chain must be intact).",
        )
        export = sub.add_parser("export", help="Write the log as CSV.")
        export.add_argument(
            "--output", "-o", default="-", help="File to write (default: standard output)."
        )
        export.add_argument("--since", help="Only entries on or after this date (YYYY-MM-DD).")
        export.add_argument(
            "--action", help="Only entries with this action, e.g. result.view_details."
        )
        export.add_argument(
            "--user",
            help="Only the entries this user (a username) may export; none if they have no grant.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "verify":
            anchor_file = Path(options["anchor"]) if options.get("anchor") else None
            if anchor_file is not None and not anchor_file.is_file():
                raise CommandError(f"{anchor_file}: no such file")
            result = audit_verify(anchor_file=anchor_file)
            if result.ok:
                self.stdout.write(
                    f"OK: {result.checked} audit entries, chain intact; {self._anchor_state(result)}."
                )
                return
            self.stderr.write(f"BROKEN: {self._problem(result)}")
            sys.exit(1)
        if options["subcommand"] == "anchor":
            self._anchor(reset=options["reset"])
            return
        qs = AuditEvent.objects.all()
        if options.get("user"):
            from django.contrib.auth import get_user_model

            user = (
                get_user_model()
                ._default_manager.filter(username=options["user"], is_active=True)
                .first()
            )
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

    @staticmethod
    def _anchor_state(result: VerifyResult) -> str:
        if anchor_path() is None and result.anchor is None:
            return "anchoring is off (OPENTTO_AUDIT_ANCHOR_FILE)"
        if result.anchor is None:
            return "no anchor yet (one is written at the next commit that records an audit entry)"
        after = f", {result.after_anchor} written since" if result.after_anchor else ""
        return f"it reaches the head anchored {result.anchor.at} (entry #{result.anchor.entry_id}{after})"

    @staticmethod
    def _problem(result: VerifyResult) -> str:
        if result.problem == "anchor":
            return f"{result.anchor_error}; the {result.checked} entries in the database link up."
        bad = result.first_bad
        assert bad is not None
        what = (
            "does not link to the entry before it"
            if result.problem == "link"
            else "was changed after it was written"
        )
        return (
            f"audit entry #{bad.pk} ({bad.occurred_at:%Y-%m-%d %H:%M:%S} UTC {bad.action} "
            f"{bad.object_type}#{bad.object_id}) {what}; {result.checked} entries before it are intact."
        )

    def _anchor(self, *, reset: bool) -> None:
        if anchor_path() is None:
            raise CommandError("anchoring is off: set OPENTTO_AUDIT_ANCHOR_FILE")
        if not reset:
            try:
                anchor = anchor_read()
            except AnchorError as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(
                json.dumps(anchor.as_json(), sort_keys=True) if anchor else "no anchor yet"
            )
            return
        result = audit_verify(anchored=False)
        if not result.ok:
            raise CommandError(f"not re-anchored: {self._problem(result)}")
        head = AuditEvent.objects.order_by("-id").values_list("id", "hash").first()
        if head is None:
            raise CommandError("the audit log is empty: nothing to anchor")
        anchor = anchor_advance(head[0], head[1], reset=True)
        assert anchor is not None
        self.stdout.write(f"anchored entry #{anchor.entry_id} ({anchor.hash[:12]}…) at {anchor.at}")

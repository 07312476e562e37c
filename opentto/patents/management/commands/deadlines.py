"""``opentto deadlines``: every patent due date derived from filing, priority and grant dates."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from opentto.patents.deadlines import KINDS, DeadlineError, compute_deadlines, format_table


def _date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError as exc:
        raise CommandError(f"{option}: {value!r} is not a date (use YYYY-MM-DD)") from exc


class Command(BaseCommand):
    help = (
        "Derive patent deadlines (Paris priority, PCT, national phase, Chinese examination "
        "request and annuities, US maintenance, EP renewals, terms) with their legal sources."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="print a JSON list")
        parser.add_argument(
            "--kind", required=True, choices=KINDS, help="invention, utility (model) or design"
        )
        parser.add_argument(
            "--filing-date",
            required=True,
            help="filing date of the application in question (with --pct: the PCT application's)",
        )
        parser.add_argument(
            "--priority-date", help="date of the first filing whose priority is claimed"
        )
        parser.add_argument("--grant-date", help="grant date (applies to every office listed)")
        parser.add_argument("--pct", action="store_true", help="international (PCT) route")
        parser.add_argument(
            "--offices",
            help="comma-separated offices, e.g. CN,EP,US,JP,KR (default: the first office)",
        )
        parser.add_argument(
            "--first-office", default="CN", help="office of the first filing (default CN)"
        )
        parser.add_argument(
            "--compensation-days",
            type=int,
            default=0,
            help="Chinese patent-term compensation granted, in days (inventions)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        filing_date = _date(options["filing_date"], "--filing-date")
        assert filing_date is not None
        try:
            rows = compute_deadlines(
                kind=options["kind"],
                filing_date=filing_date,
                priority_date=_date(options["priority_date"], "--priority-date"),
                grant_date=_date(options["grant_date"], "--grant-date"),
                pct=options["pct"],
                offices=options["offices"],
                first_office=options["first_office"],
                compensation_days=options["compensation_days"],
            )
        except DeadlineError as exc:
            raise CommandError(str(exc)) from exc
        if options["json"]:
            self.stdout.write(
                json.dumps([row.as_dict() for row in rows], ensure_ascii=False, indent=2)
            )
        else:
            self.stdout.write(format_table(rows))

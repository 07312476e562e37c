"""``opentto tax --year Y --org ID [--json]``: one institution's tax year, for the whole platform.

The JSON carries every amount as a decimal string to the fen. A bad year or organisation exits
with status 2 and a one-line error on standard error."""

from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from opentto.organisations.models import Organisation
from opentto.tax.selectors import tax_year_report


class Command(BaseCommand):
    help = "Print an institution's tax year: the EIT relief on technology-transfer income and the inventors' rewards."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--year", required=True, help="the tax year, e.g. 2025")
        parser.add_argument("--org", required=True, help="the institution's id")
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def _fail(self, message: str) -> None:
        sys.stderr.write(f"opentto tax: {message}\n")
        sys.exit(2)

    def handle(self, *args: Any, **options: Any) -> None:
        raw_year, raw_org = str(options["year"]).strip(), str(options["org"]).strip()
        if not raw_year.isdigit() or not 1990 <= int(raw_year) <= 2100:
            self._fail(f"--year must be a year between 1990 and 2100, not {raw_year!r}")
        if not raw_org.isdigit():
            self._fail(f"--org must be an organisation id, not {raw_org!r}")
        organisation = Organisation.objects.filter(pk=int(raw_org)).first()
        if organisation is None:
            self._fail(f"no organisation with id {raw_org}")
        assert organisation is not None
        report = tax_year_report(None, int(raw_year), organisation)
        if options["json"]:
            self.stdout.write(json.dumps(report.as_json(), ensure_ascii=False, sort_keys=True))
            return
        t = report.table
        self.stdout.write(f"{organisation.name} — {report.year}")
        self.stdout.write(
            f"resident enterprise: {'yes' if report.profile.resident_enterprise else 'no'}; "
            f"non-profit research: {'yes' if report.profile.non_profit_research else 'no'}"
        )
        self.stdout.write(
            f"{'deal':<40} {'income':>16} {'costs':>14} {'taxes':>14} {'transfer income':>16}  qualifies"
        )
        for row in t.rows:
            why = (
                ""
                if row.qualifies
                else " (" + ", ".join(r.code for r in row.reasons if not r.ok) + ")"
            )
            self.stdout.write(
                f"{row.label[:40]:<40} {row.income:>16,.2f} {row.costs:>14,.2f} {row.taxes:>14,.2f} "
                f"{row.taxable_income:>16,.2f}  {'yes' if row.qualifies else 'no'}{why}"
            )
        for label, value in (
            ("qualifying transfer income", t.qualifying_income),
            ("exempt (up to 5,000,000.00)", t.exempt),
            ("above the limit", t.above),
            ("tax at 25 % without relief", t.tax_without_relief),
            ("tax due (12.5 % above)", t.tax_due),
            ("relief", t.relief),
            ("excluded transfer income", t.excluded_income),
            ("tax on excluded (25 %)", t.tax_on_excluded),
        ):
            self.stdout.write(f"{label:<30} {value:>18,.2f}")
        self.stdout.write(
            f"rewards paid: {report.rewards_total:,.2f}; taxable: {report.rewards_taxable:,.2f}"
        )
        for w in report.rewards:
            self.stdout.write(
                f"  {w.person[:30]:<30} {w.answer.amount:>14,.2f} {'half' if w.answer.half_taxable else 'full':>5} {w.answer.taxable:>14,.2f}"
            )

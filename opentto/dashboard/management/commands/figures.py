from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from opentto.core.http import YEAR_MAX, YEAR_MIN
from opentto.dashboard.selectors import figures, headline


class Command(BaseCommand):
    help = "Print the district's figures (results incubated, projects landed, transaction value, funnel)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="print one JSON object")
        parser.add_argument(
            "--year",
            type=int,
            help="the tables of one year (Asia/Shanghai), with its headline figures beside all time",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        year = options.get("year")
        if year is not None and not YEAR_MIN <= year <= YEAR_MAX:
            raise CommandError(f"--year: give a year between {YEAR_MIN} and {YEAR_MAX}")
        data = figures(None, year).as_json()
        if year is not None:
            data["headline"] = headline(None, year).as_json()
        if options["json"]:
            self.stdout.write(json.dumps(data, ensure_ascii=False, sort_keys=True))
            return
        self.stdout.write(f"results incubated: {data['results_incubated']}")
        self.stdout.write(f"projects landed:   {data['projects_landed']}")
        self.stdout.write(f"transaction value: {data['transaction_value_cny']} CNY")
        for stage, count in data["funnel"].items():
            self.stdout.write(f"  {stage:<11} {count}")

"""``opentto distribute``: split a deal's net income between team, TTO and organisation."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from opentto.landing.distribution import (
    DistributionError,
    check_rule,
    distribute,
    parse_amount,
    parse_inventors,
)


class Command(BaseCommand):
    help = (
        "Distribute the net income (amount - costs) of a transfer or licence: team and TTO "
        "shares rounded half up to the fen, the rest to the organisation, the team's amount "
        "split among the inventors by largest remainder."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="print JSON")
        parser.add_argument(
            "--amount", required=True, help="income received, yuan (e.g. 1000000.01)"
        )
        parser.add_argument("--costs", required=True, help="costs deducted, yuan")
        parser.add_argument("--team-share", required=True, help="team's fraction of the net, 0..1")
        parser.add_argument("--tto-share", default="0", help="TTO's fraction of the net, 0..1")
        parser.add_argument(
            "--inventors",
            required=True,
            help="NAME:SHARE,... with percentage shares summing to 100",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            team_share = parse_amount(options["team_share"], "--team-share")
            result = distribute(
                amount=parse_amount(options["amount"], "--amount"),
                costs=parse_amount(options["costs"], "--costs"),
                team_share=team_share,
                tto_share=parse_amount(options["tto_share"], "--tto-share"),
                inventors=parse_inventors(options["inventors"]),
            )
            warnings = check_rule("transfer_or_licence", team_share)
        except DistributionError as exc:
            raise CommandError(str(exc)) from exc
        for warning in warnings:
            self.stderr.write(f"warning: {warning}")
        data = result.as_dict()
        if options["json"]:
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
            return
        for key in ("net", "team", "tto", "organisation"):
            self.stdout.write(f"{key:<14}{data[key]:>20}")
        self.stdout.write("inventors:")
        for name, amount in data["inventors"].items():
            self.stdout.write(f"  {name:<12}{amount:>20}")

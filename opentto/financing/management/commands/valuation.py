"""``opentto valuation``: relief-from-royalty value with a sensitivity grid."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from opentto.financing.valuation import (
    ValuationError,
    parse_decimal,
    parse_decimal_list,
    relief_from_royalty,
    sensitivity_grid,
)


class Command(BaseCommand):
    help = (
        "Relief-from-royalty value (Decimal, exact, rounded once to the fen) with a "
        "royalty-rate x discount-rate sensitivity grid. Rates are fractions (0.05 = 5%)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="print JSON")
        parser.add_argument("--revenue", required=True, help="revenues of years 1..n: R1,R2,...")
        parser.add_argument("--royalty-rate", required=True, help="royalty rate, in [0, 1)")
        parser.add_argument("--tax-rate", required=True, help="tax rate, in [0, 1]")
        parser.add_argument("--discount-rate", required=True, help="discount rate, in (-1, 1)")
        parser.add_argument("--decay", default="0", help="yearly decay of the royalty, in [0, 1)")
        parser.add_argument(
            "--max-years", type=int, help="economic life cap (at most the remaining patent term)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            revenues = parse_decimal_list(options["revenue"], "--revenue")
            royalty = parse_decimal(options["royalty_rate"], "--royalty-rate")
            tax = parse_decimal(options["tax_rate"], "--tax-rate")
            discount = parse_decimal(options["discount_rate"], "--discount-rate")
            decay = parse_decimal(options["decay"], "--decay")
            kwargs: dict[str, Any] = {"decay": decay, "max_years": options["max_years"]}
            result = relief_from_royalty(revenues, royalty, tax, discount, **kwargs)
            grid = sensitivity_grid(revenues, royalty, tax, discount, **kwargs)
        except ValuationError as exc:
            raise CommandError(str(exc)) from exc
        years = [row.as_dict() for row in result.years]
        data = {
            "relief_from_royalty_cny": str(result.value),
            "years": years,
            "sensitivity": [cell.as_dict() for cell in grid],
        }
        if options["json"]:
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
            return
        self.stdout.write(f"Relief-from-royalty value: CNY {result.value}")
        columns = (
            "year",
            "revenue",
            "royalty",
            "after_tax_royalty",
            "discount_factor",
            "present_value",
        )
        self.stdout.write("  ".join(f"{c:>17}" for c in columns))
        for row in years:
            self.stdout.write("  ".join(f"{row[c]!s:>17}" for c in columns))
        self.stdout.write("Sensitivity (royalty rate x discount rate):")
        discounts = sorted({cell.discount_rate for cell in grid})
        self.stdout.write("r \\ d".rjust(8) + "".join(f"{d!s:>16}" for d in discounts))
        for r in sorted({cell.royalty_rate for cell in grid}):
            values = {cell.discount_rate: cell.value for cell in grid if cell.royalty_rate == r}
            self.stdout.write(
                f"{r!s:>8}" + "".join(f"{values.get(d, '-')!s:>16}" for d in discounts)
            )

"""Valuation helpers for transfer planning: income, cost and market approaches.

Pure logic, ``Decimal`` in and out, never ``float``. Intermediate results are exact
:class:`fractions.Fraction` values; money is rounded ONCE, at the end, to the fen (0.01 yuan)
with ROUND_HALF_UP. Per-year figures shown in tables are rounded for display only.

Approaches (see GB/T 42748-2023 for the patent-evaluation context; the approaches themselves
are the standard income / market / cost trio):

* :func:`relief_from_royalty` — income approach. The value is the present value of the
  royalties the owner is relieved from paying::

      value = sum_{k=1..n} R_k * r * (1 - g)^(k-1) * (1 - t) / (1 + d)^k

  with revenues ``R_k``, royalty rate ``r``, optional yearly decay ``g`` of the royalty
  (technical obsolescence; 0 by default), tax rate ``t`` and discount rate ``d``, discounted
  at the end of each year. ``max_years`` caps the economic life (it should not exceed the
  remaining patent term).
* :func:`sensitivity_grid` — the same value over royalty rate x discount rate.
* :func:`cost_approach` — reproduction (or replacement) costs less obsolescence.
* :func:`market_approach` — median of comparable deal values, each adjusted, then scaled.
* :func:`rule_of_thumb_25_percent` — NOT a valuation; a labelled rule of thumb only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any, Final

__all__ = [
    "DEFAULT_DISCOUNT_STEPS",
    "DEFAULT_ROYALTY_STEPS",
    "FEN",
    "ReliefFromRoyalty",
    "RuleOfThumb",
    "SensitivityCell",
    "ValuationError",
    "YearRow",
    "cost_approach",
    "fraction_to_decimal",
    "market_approach",
    "parse_decimal",
    "parse_decimal_list",
    "relief_from_royalty",
    "round_half_up",
    "rule_of_thumb_25_percent",
    "sensitivity_grid",
]

FEN: Final = Decimal("0.01")
#: Royalty rate offsets for the sensitivity grid: -2, -1, 0, +1, +2 percentage points.
DEFAULT_ROYALTY_STEPS: Final[tuple[Decimal, ...]] = tuple(
    Decimal(s) for s in ("-0.02", "-0.01", "0", "0.01", "0.02")
)
#: Discount rate offsets for the sensitivity grid: -4, -2, 0, +2, +4 percentage points.
DEFAULT_DISCOUNT_STEPS: Final[tuple[Decimal, ...]] = tuple(
    Decimal(s) for s in ("-0.04", "-0.02", "0", "0.02", "0.04")
)
DISCOUNT_FACTOR_PLACES: Final = 6

Number = Decimal | int


class ValuationError(ValueError):
    """Raised for inputs a valuation refuses (the message is meant for the user)."""


# --- exact arithmetic helpers ---------------------------------------------------------------


def _fraction(value: Number, name: str) -> Fraction:
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise ValuationError(f"{name} must be a Decimal, not {type(value).__name__}")
    if isinstance(value, Decimal) and not value.is_finite():
        raise ValuationError(f"{name} must be a finite number, not {value}")
    return Fraction(value)


def fraction_to_decimal(value: Fraction, places: int = 2) -> Decimal:
    """Round an exact value to ``places`` decimals, half away from zero (ROUND_HALF_UP)."""
    scaled = abs(value) * 10**places
    # floor(scaled + 1/2) in integers
    units = (2 * scaled.numerator + scaled.denominator) // (2 * scaled.denominator)
    sign = 1 if value < 0 and units else 0
    digits = tuple(int(c) for c in str(units))
    return Decimal((sign, digits, -places))


def round_half_up(value: Number | Fraction, places: int = 2) -> Decimal:
    """``value`` rounded to ``places`` decimals with ROUND_HALF_UP, computed exactly."""
    if isinstance(value, Fraction):
        return fraction_to_decimal(value, places)
    return fraction_to_decimal(_fraction(value, "value"), places)


def parse_decimal(text: str, name: str) -> Decimal:
    """Parse a finite decimal number (no floats, no NaN or Infinity)."""
    try:
        value = Decimal(text.strip().replace("_", ""))
    except InvalidOperation as exc:
        raise ValuationError(f"{name}: {text!r} is not a number") from exc
    if not value.is_finite():
        raise ValuationError(f"{name}: {text!r} is not a finite number")
    return value


def parse_decimal_list(text: str, name: str) -> list[Decimal]:
    """Parse ``"100,200.5,300"`` into Decimals."""
    parts = [part for part in (p.strip() for p in text.split(",")) if part]
    if not parts:
        raise ValuationError(f"{name}: give at least one value")
    return [parse_decimal(part, name) for part in parts]


# --- validation ---------------------------------------------------------------------------


def _check_revenues(revenues: Sequence[Number], max_years: int | None) -> list[Fraction]:
    if max_years is not None and (
        isinstance(max_years, bool) or not isinstance(max_years, int) or max_years < 1
    ):
        raise ValuationError("max_years must be a whole number of at least 1")
    values = [_fraction(r, f"revenue for year {i}") for i, r in enumerate(revenues, start=1)]
    if not values:
        raise ValuationError("give revenues for at least one year")
    for year, value in enumerate(values, start=1):
        if value < 0:
            raise ValuationError(f"revenue for year {year} is negative ({value})")
    if max_years is not None:
        values = values[:max_years]
    return values


def _check_rates(
    royalty_rate: Number, tax_rate: Number, discount_rate: Number, decay: Number
) -> tuple[Fraction, Fraction, Fraction, Fraction]:
    r = _fraction(royalty_rate, "royalty rate")
    t = _fraction(tax_rate, "tax rate")
    d = _fraction(discount_rate, "discount rate")
    g = _fraction(decay, "decay")
    if not 0 <= r < 1:
        raise ValuationError(f"royalty rate must be a fraction in [0, 1), got {royalty_rate}")
    if not 0 <= t <= 1:
        raise ValuationError(f"tax rate must be a fraction in [0, 1], got {tax_rate}")
    if not -1 < d < 1:
        raise ValuationError(f"discount rate must be a fraction in (-1, 1), got {discount_rate}")
    if not 0 <= g < 1:
        raise ValuationError(f"decay must be a fraction in [0, 1), got {decay}")
    return r, t, d, g


# --- relief from royalty --------------------------------------------------------------------


@dataclass(frozen=True)
class YearRow:
    """One year of a relief-from-royalty calculation, exact."""

    year: int
    revenue: Fraction
    royalty: Fraction
    after_tax_royalty: Fraction
    discount_factor: Fraction
    present_value: Fraction

    def as_dict(self) -> dict[str, Any]:
        """Display strings: money to the fen, the discount factor to 6 decimals."""
        return {
            "year": self.year,
            "revenue": str(fraction_to_decimal(self.revenue)),
            "royalty": str(fraction_to_decimal(self.royalty)),
            "after_tax_royalty": str(fraction_to_decimal(self.after_tax_royalty)),
            "discount_factor": str(
                fraction_to_decimal(self.discount_factor, DISCOUNT_FACTOR_PLACES)
            ),
            "present_value": str(fraction_to_decimal(self.present_value)),
        }


@dataclass(frozen=True)
class ReliefFromRoyalty:
    """Result: ``value`` (rounded once, to the fen) and the exact ``exact`` sum."""

    value: Decimal
    exact: Fraction
    years: tuple[YearRow, ...]


def relief_from_royalty(
    revenues: Sequence[Number],
    royalty_rate: Number,
    tax_rate: Number,
    discount_rate: Number,
    *,
    decay: Number = Decimal(0),
    max_years: int | None = None,
) -> ReliefFromRoyalty:
    """Relief-from-royalty value, end-of-year discounting, rounded once to the fen.

    ``revenues`` are the revenues of years 1..n attributable to the result (non-negative);
    rates are fractions (0.05 = 5 %). ``decay`` reduces the royalty by that fraction each
    year after the first; ``max_years`` caps the economic life (no longer than the remaining
    patent term).
    """
    values = _check_revenues(revenues, max_years)
    r, t, d, g = _check_rates(royalty_rate, tax_rate, discount_rate, decay)
    rows: list[YearRow] = []
    total = Fraction(0)
    for year, revenue in enumerate(values, start=1):
        royalty = revenue * r * (1 - g) ** (year - 1)
        after_tax = royalty * (1 - t)
        factor = 1 / (1 + d) ** year
        present = after_tax * factor
        total += present
        rows.append(YearRow(year, revenue, royalty, after_tax, factor, present))
    return ReliefFromRoyalty(value=fraction_to_decimal(total), exact=total, years=tuple(rows))


@dataclass(frozen=True)
class SensitivityCell:
    royalty_rate: Decimal
    discount_rate: Decimal
    value: Decimal

    def as_dict(self) -> dict[str, str]:
        return {
            "royalty_rate": str(self.royalty_rate),
            "discount_rate": str(self.discount_rate),
            "value_cny": str(self.value),
        }


def sensitivity_grid(
    revenues: Sequence[Number],
    royalty_rate: Decimal,
    tax_rate: Number,
    discount_rate: Decimal,
    *,
    royalty_steps: Sequence[Decimal] = DEFAULT_ROYALTY_STEPS,
    discount_steps: Sequence[Decimal] = DEFAULT_DISCOUNT_STEPS,
    decay: Number = Decimal(0),
    max_years: int | None = None,
) -> list[SensitivityCell]:
    """Relief-from-royalty values over royalty rate x discount rate.

    Royalty-major order. Combinations outside the valid ranges (royalty rate in [0, 1),
    discount rate in (-1, 1)) are skipped; the base inputs themselves must be valid.
    """
    relief_from_royalty(
        revenues, royalty_rate, tax_rate, discount_rate, decay=decay, max_years=max_years
    )
    cells: list[SensitivityCell] = []
    for royalty_step in royalty_steps:
        r = royalty_rate + royalty_step
        if not 0 <= r < 1:
            continue
        for discount_step in discount_steps:
            d = discount_rate + discount_step
            if not -1 < d < 1:
                continue
            result = relief_from_royalty(revenues, r, tax_rate, d, decay=decay, max_years=max_years)
            cells.append(SensitivityCell(r, d, result.value))
    return cells


# --- cost and market approaches -------------------------------------------------------------


def cost_approach(
    reproduction_costs: Sequence[Number], obsolescence_rates: Sequence[Number] = ()
) -> Decimal:
    """Sum of reproduction (or replacement) costs less obsolescence, to the fen.

    ``obsolescence_rates`` are fractions in [0, 1] (e.g. technical, functional, economic),
    applied one after another: value = sum(costs) x prod(1 - rate).
    """
    costs = [_fraction(c, f"cost {i}") for i, c in enumerate(reproduction_costs, start=1)]
    if not costs:
        raise ValuationError("give at least one reproduction cost")
    if any(c < 0 for c in costs):
        raise ValuationError("reproduction costs cannot be negative")
    value = sum(costs, Fraction(0))
    for i, rate in enumerate(obsolescence_rates, start=1):
        o = _fraction(rate, f"obsolescence rate {i}")
        if not 0 <= o <= 1:
            raise ValuationError(f"obsolescence rate {i} must be a fraction in [0, 1], got {rate}")
        value *= 1 - o
    return fraction_to_decimal(value)


def market_approach(
    deal_values: Sequence[Number],
    *,
    adjustments: Sequence[Number] | None = None,
    scale: Number = Decimal(1),
) -> Decimal:
    """Median of comparable deal values, each times its adjustment factor, times ``scale``.

    ``adjustments`` (one factor per deal, default 1) correct each comparable for differences
    (date, field, exclusivity, ...); ``scale`` adapts the median to the result at hand. With
    an even number of comparables the median is the mean of the middle two. To the fen.
    """
    values = [_fraction(v, f"deal value {i}") for i, v in enumerate(deal_values, start=1)]
    if not values:
        raise ValuationError("give at least one comparable deal value")
    if any(v < 0 for v in values):
        raise ValuationError("comparable deal values cannot be negative")
    if adjustments is not None:
        if len(adjustments) != len(values):
            raise ValuationError("give one adjustment factor per comparable deal")
        factors = [_fraction(a, f"adjustment {i}") for i, a in enumerate(adjustments, start=1)]
        if any(f < 0 for f in factors):
            raise ValuationError("adjustment factors cannot be negative")
        values = [v * f for v, f in zip(values, factors, strict=True)]
    s = _fraction(scale, "scale")
    if s < 0:
        raise ValuationError("scale cannot be negative")
    ordered = sorted(values)
    middle = len(ordered) // 2
    median = ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
    return fraction_to_decimal(median * s)


# --- rule of thumb (not a valuation) --------------------------------------------------------

RULE_OF_THUMB_LABEL: Final = "25% rule of thumb — NOT a valuation"


@dataclass(frozen=True)
class RuleOfThumb:
    label: str
    amount: Decimal
    warning: str


def rule_of_thumb_25_percent(expected_operating_profit: Number) -> RuleOfThumb:
    """The "25% rule": a licensee keeps 75% of the expected profit, the licensor gets 25%.

    This is a rule of thumb, NOT a valuation and never to be used as the value of a result:
    the US Court of Appeals for the Federal Circuit held it a fundamentally flawed tool,
    inadmissible as a basis for damages (Uniloc USA v. Microsoft, Fed. Cir. 2011). It is
    offered only as a labelled conversation starter beside a real valuation.
    """
    profit = _fraction(expected_operating_profit, "expected operating profit")
    return RuleOfThumb(
        label=RULE_OF_THUMB_LABEL,
        amount=fraction_to_decimal(profit / 4),
        warning=(
            "rule of thumb only, rejected as evidence of damages in Uniloc v. Microsoft "
            "(Fed. Cir. 2011); use an income, market or cost approach for the value"
        ),
    )

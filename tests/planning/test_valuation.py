"""Tests for the valuation helpers: exact Decimal/Fraction arithmetic, rounded once."""

from __future__ import annotations

import json
from decimal import Decimal
from fractions import Fraction
from io import StringIO

import pytest
from django.apps import apps

from opentto.financing import valuation
from opentto.financing.valuation import (
    ValuationError,
    cost_approach,
    fraction_to_decimal,
    market_approach,
    parse_decimal,
    parse_decimal_list,
    relief_from_royalty,
    round_half_up,
    rule_of_thumb_25_percent,
    sensitivity_grid,
)

M = Decimal


# --- rounding -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Fraction(5, 1000), "0.01"),  # half up, where banker's rounding would give 0.00
        (Fraction(25, 1000), "0.03"),  # half up, where banker's rounding would give 0.02
        (Fraction(-5, 1000), "-0.01"),  # half away from zero
        (Fraction(1, 3), "0.33"),
        (Fraction(2, 3), "0.67"),
        (Fraction(4999, 1000000), "0.00"),
        (Fraction(0), "0.00"),
        (Fraction(-1, 1000), "0.00"),  # no negative zero
        (Fraction(10**30 + 5, 1000), "1" + "0" * 27 + ".01"),  # beyond 28 digits, exact
    ],
)
def test_fraction_to_decimal_half_up(value: Fraction, expected: str) -> None:
    assert str(fraction_to_decimal(value)) == expected


def test_round_half_up_decimal_and_places() -> None:
    assert round_half_up(M("2.675")) == M("2.68")  # exact: a float would give 2.67
    assert round_half_up(M("0.1234565"), 6) == M("0.123457")


def test_parse_decimal() -> None:
    assert parse_decimal(" 1_000.50 ", "x") == M("1000.50")
    assert parse_decimal_list("100, 200.5,,300", "r") == [M(100), M("200.5"), M(300)]
    for bad in ("abc", "NaN", "Infinity"):
        with pytest.raises(ValuationError):
            parse_decimal(bad, "x")
    with pytest.raises(ValuationError, match="at least one"):
        parse_decimal_list(" , ", "r")


# --- relief from royalty: hand-computed worked examples -------------------------------------


def test_worked_example_three_years() -> None:
    # R = 1,000,000 / 1,200,000 / 1,500,000; r = 5 %; t = 25 %; d = 10 %.
    # Year 1: 1,000,000 x 0.05 x 0.75 / 1.1     = 37,500 / (11/10)      = 375,000 / 11
    # Year 2: 1,200,000 x 0.05 x 0.75 / 1.1^2   = 45,000 / (121/100)    = 4,500,000 / 121
    # Year 3: 1,500,000 x 0.05 x 0.75 / 1.1^3   = 56,250 / (1331/1000)  = 56,250,000 / 1331
    # Sum = (375,000 x 121 + 4,500,000 x 11 + 56,250,000) / 1331
    #     = (45,375,000 + 49,500,000 + 56,250,000) / 1331 = 151,125,000 / 1331
    #     = 113,542.4492...  ->  113,542.45
    hand = Fraction(375_000, 11) + Fraction(4_500_000, 121) + Fraction(56_250_000, 1331)
    assert hand == Fraction(151_125_000, 1331)
    result = relief_from_royalty(
        [M(1_000_000), M(1_200_000), M(1_500_000)], M("0.05"), M("0.25"), M("0.10")
    )
    assert result.exact == hand
    assert result.value == M("113542.45")
    assert isinstance(result.value, Decimal)
    assert [row.as_dict()["present_value"] for row in result.years] == [
        "34090.91",  # 375,000 / 11
        "37190.08",  # 4,500,000 / 121
        "42261.46",  # 56,250,000 / 1331
    ]
    assert result.years[0].as_dict() == {
        "year": 1,
        "revenue": "1000000.00",
        "royalty": "50000.00",
        "after_tax_royalty": "37500.00",
        "discount_factor": "0.909091",
        "present_value": "34090.91",
    }


def test_worked_example_with_decay() -> None:
    # R = 100,000 each year; r = 10 %; decay 20 %; t = 25 %; d = 5 %.
    # Year 1: 100,000 x 0.10 x 0.75 / 1.05                = 7,500 / (21/20)       = 50,000 / 7
    # Year 2: 100,000 x 0.10 x 0.80 x 0.75 / 1.05^2       = 6,000 / (441/400)     = 2,400,000 / 441
    # Sum = (50,000 x 63 + 2,400,000) / 441 = 5,550,000 / 441 = 12,585.034...  ->  12,585.03
    hand = Fraction(50_000, 7) + Fraction(2_400_000, 441)
    assert hand == Fraction(5_550_000, 441)
    result = relief_from_royalty(
        [M(100_000), M(100_000)], M("0.10"), M("0.25"), M("0.05"), decay=M("0.20")
    )
    assert result.exact == hand
    assert result.value == M("12585.03")


def test_zero_tax_zero_discount_is_plain_sum() -> None:
    result = relief_from_royalty([M("333.33"), M("333.34")], M("0.03"), M(0), M(0))
    # (333.33 + 333.34) x 0.03 = 666.67 x 0.03 = 20.0001 -> 20.00
    assert result.exact == Fraction(200_001, 10_000)
    assert result.value == M("20.00")


def test_half_up_edge_case_on_the_total() -> None:
    # 0.0125 x 0.5 / 1.25 = 0.005 exactly -> 0.01 (ROUND_HALF_UP; half-even would give 0.00)
    result = relief_from_royalty([M("0.0125")], M("0.5"), M(0), M("0.25"))
    assert result.exact == Fraction(5, 1000)
    assert result.value == M("0.01")


def test_rounded_once_not_per_year() -> None:
    # three years of 0.08 x 0.05 = 0.004: each year shows 0.00, the exact total 0.012 -> 0.01
    result = relief_from_royalty([M("0.08")] * 3, M("0.05"), M(0), M(0))
    assert [row.as_dict()["present_value"] for row in result.years] == ["0.00"] * 3
    assert result.exact == Fraction(12, 1000)
    assert result.value == M("0.01")


def test_max_years_caps_economic_life() -> None:
    full = relief_from_royalty([M(1000)] * 5, M("0.1"), M(0), M(0))
    capped = relief_from_royalty([M(1000)] * 5, M("0.1"), M(0), M(0), max_years=2)
    assert full.value == M("500.00")
    assert capped.value == M("200.00")
    assert len(capped.years) == 2


def test_negative_discount_rate_allowed_above_minus_one() -> None:
    # d = -0.5: factor 1 / 0.5 = 2
    result = relief_from_royalty([M(100)], M("0.1"), M(0), M("-0.5"))
    assert result.value == M("20.00")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"revenues": []}, "at least one year"),
        ({"revenues": [M(1), M(-1)]}, "year 2 is negative"),
        ({"royalty_rate": M(1)}, "royalty rate"),
        ({"royalty_rate": M("-0.01")}, "royalty rate"),
        ({"tax_rate": M("1.01")}, "tax rate"),
        ({"tax_rate": M("-0.1")}, "tax rate"),
        ({"discount_rate": M(-1)}, "discount rate"),
        ({"discount_rate": M(1)}, "discount rate"),
        ({"decay": M(1)}, "decay"),
        ({"max_years": 0}, "max_years"),
        ({"royalty_rate": 0.05}, "Decimal"),  # floats refused
        ({"revenues": [M("NaN")]}, "finite"),
    ],
)
def test_relief_from_royalty_refusals(kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {
        "revenues": [M(1000)],
        "royalty_rate": M("0.05"),
        "tax_rate": M("0.25"),
        "discount_rate": M("0.1"),
    }
    extra = {k: kwargs.pop(k) for k in ("decay", "max_years") if k in kwargs}
    args.update(kwargs)
    with pytest.raises(ValuationError, match=message):
        relief_from_royalty(**args, **extra)  # type: ignore[arg-type]


def test_tax_rate_one_gives_zero() -> None:
    assert relief_from_royalty([M(1000)], M("0.05"), M(1), M("0.1")).value == M("0.00")


# --- sensitivity ------------------------------------------------------------------------------


def test_sensitivity_grid_shape_and_centre() -> None:
    revenues = [M(1_000_000), M(1_200_000), M(1_500_000)]
    grid = sensitivity_grid(revenues, M("0.05"), M("0.25"), M("0.10"))
    assert len(grid) == 25
    royalty = [str(c.royalty_rate) for c in grid[::5]]
    discount = [str(c.discount_rate) for c in grid[:5]]
    assert royalty == ["0.03", "0.04", "0.05", "0.06", "0.07"]
    assert discount == ["0.06", "0.08", "0.10", "0.12", "0.14"]
    centre = grid[12]
    assert (centre.royalty_rate, centre.discount_rate) == (M("0.05"), M("0.10"))
    assert centre.value == M("113542.45")
    assert centre.as_dict() == {
        "royalty_rate": "0.05",
        "discount_rate": "0.10",
        "value_cny": "113542.45",
    }
    # value rises with the royalty rate and falls with the discount rate
    for i in range(5):
        row = [c.value for c in grid[i * 5 : i * 5 + 5]]
        assert row == sorted(row, reverse=True)


def test_sensitivity_grid_skips_invalid_values() -> None:
    # r = 0.01: r - 0.02 < 0 is skipped (r - 0.01 = 0 is valid); d = -0.98: d - 0.04 and
    # d - 0.02 are <= -1 and skipped
    grid = sensitivity_grid([M(1000)], M("0.01"), M(0), M("-0.98"))
    assert len(grid) == 4 * 3
    assert min(c.royalty_rate for c in grid) == M("0.00")
    assert min(c.discount_rate for c in grid) == M("-0.98")
    grid = sensitivity_grid([M(1000)], M("0.99"), M(0), M("0.98"))
    assert {c.royalty_rate for c in grid} == {M("0.97"), M("0.98"), M("0.99")}
    assert {c.discount_rate for c in grid} == {M("0.94"), M("0.96"), M("0.98")}


def test_sensitivity_refuses_invalid_base() -> None:
    with pytest.raises(ValuationError):
        sensitivity_grid([M(1000)], M("1.5"), M(0), M("0.1"))


# --- cost and market approaches, rule of thumb ---------------------------------------------------


def test_cost_approach() -> None:
    # (100,000 + 50,000.50) x (1 - 0.2) x (1 - 0.1) = 150,000.50 x 0.72 = 108,000.36
    assert cost_approach([M(100_000), M("50000.50")], [M("0.2"), M("0.1")]) == M("108000.36")
    assert cost_approach([M("10.005")]) == M("10.01")
    with pytest.raises(ValuationError):
        cost_approach([])
    with pytest.raises(ValuationError):
        cost_approach([M(-1)])
    with pytest.raises(ValuationError):
        cost_approach([M(1)], [M("1.1")])


def test_market_approach() -> None:
    assert market_approach([M(300), M(100), M(200)]) == M("200.00")
    assert market_approach([M(100), M(400), M(200), M(300)]) == M("250.00")
    # adjusted: 100 x 2 = 200, 300 x 0.5 = 150, 200 x 1 = 200 -> median 200; x 1.5 = 300
    assert market_approach(
        [M(100), M(300), M(200)], adjustments=[M(2), M("0.5"), M(1)], scale=M("1.5")
    ) == M("300.00")
    assert market_approach([M("0.01"), M("0.02")]) == M("0.02")  # 0.015 half up
    with pytest.raises(ValuationError):
        market_approach([])
    with pytest.raises(ValuationError):
        market_approach([M(1)], adjustments=[M(1), M(2)])
    with pytest.raises(ValuationError):
        market_approach([M(1)], scale=M(-1))


def test_rule_of_thumb_is_labelled_not_a_valuation() -> None:
    result = rule_of_thumb_25_percent(M("1000000.02"))
    assert result.amount == M("250000.01")  # 250,000.005 half up
    assert "NOT a valuation" in result.label
    assert "Uniloc" in result.warning
    doc = rule_of_thumb_25_percent.__doc__ or ""
    assert "not a valuation" in doc.lower()
    assert "Uniloc" in doc and "2011" in doc


def test_module_never_uses_float() -> None:
    import inspect

    source = inspect.getsource(valuation)
    assert "float(" not in source


# --- the management command ------------------------------------------------------------------------

needs_django = pytest.mark.skipif(
    not apps.ready, reason="Django settings (opentto.settings.test) are not loaded"
)


def run(*args: str) -> str:
    from django.core.management import call_command

    out = StringIO()
    call_command("valuation", *args, stdout=out)
    return out.getvalue()


@needs_django
def test_command_json() -> None:
    data = json.loads(
        run(
            "--json",
            "--revenue",
            "1000000,1200000,1500000",
            "--royalty-rate",
            "0.05",
            "--tax-rate",
            "0.25",
            "--discount-rate",
            "0.10",
        )
    )
    assert data["relief_from_royalty_cny"] == "113542.45"
    assert [y["year"] for y in data["years"]] == [1, 2, 3]
    assert set(data["years"][0]) == {
        "year",
        "revenue",
        "royalty",
        "after_tax_royalty",
        "discount_factor",
        "present_value",
    }
    assert len(data["sensitivity"]) == 25
    assert set(data["sensitivity"][0]) == {"royalty_rate", "discount_rate", "value_cny"}
    assert all(isinstance(c["value_cny"], str) for c in data["sensitivity"])


@needs_django
def test_command_table_and_errors() -> None:
    from django.core.management.base import CommandError

    out = run(
        "--revenue", "1000", "--royalty-rate", "0.05", "--tax-rate", "0", "--discount-rate", "0"
    )
    assert "50.00" in out
    with pytest.raises(CommandError, match="royalty rate"):
        run("--revenue", "1000", "--royalty-rate", "1.2", "--tax-rate", "0", "--discount-rate", "0")
    with pytest.raises(CommandError, match="not a number"):
        run(
            "--revenue",
            "1000,x",
            "--royalty-rate",
            "0.1",
            "--tax-rate",
            "0",
            "--discount-rate",
            "0",
        )
    with pytest.raises(CommandError, match="negative"):
        run("--revenue", "-5", "--royalty-rate", "0.1", "--tax-rate", "0", "--discount-rate", "0")

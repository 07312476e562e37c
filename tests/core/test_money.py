"""The one money parser (opentto.core.money.parse_yuan) and the services' field helper (yuan_field)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from opentto.core.money import MAX_AMOUNT, MoneyError, parse_yuan, to_yuan, yuan_field


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1,234.50", "1234.50"),
        ("1,234.5", "1234.50"),
        ("¥12", "12.00"),
        (" 7 ", "7.00"),
        ("0.005", "0.01"),  # half up to the fen
        ("１２３", "123.00"),  # full-width digits, as Decimal reads them
        (Decimal("3.1"), "3.10"),
        (42, "42.00"),
    ],
)
def test_it_reads_what_people_type(text: object, expected: str) -> None:
    amount = parse_yuan(text)
    assert isinstance(amount, Decimal)
    assert str(amount) == expected
    assert to_yuan(text) == amount


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("abc", "invalid"),
        ("", "invalid"),
        ("NaN", "not_finite"),
        ("Infinity", "not_finite"),
        ("-inf", "not_finite"),
    ],
)
def test_it_refuses_what_is_not_an_amount(text: str, reason: str) -> None:
    with pytest.raises(MoneyError) as caught:
        parse_yuan(text)
    assert caught.value.reason == reason
    assert isinstance(caught.value, ValueError)  # callers that caught ValueError still do


def test_a_float_is_never_money() -> None:
    with pytest.raises(TypeError):
        parse_yuan(1.5)


def test_the_bounds_are_the_callers() -> None:
    assert parse_yuan("-5") == Decimal("-5.00")  # no bound asked
    with pytest.raises(MoneyError, match="negative"):
        parse_yuan("-5", minimum=Decimal("0"))
    assert parse_yuan("-0.001", minimum=Decimal("0")) == Decimal(
        "0.00"
    )  # the stored amount, to the fen
    with pytest.raises(MoneyError) as zero:
        parse_yuan("0", positive=True)
    assert zero.value.reason == "zero"
    with pytest.raises(MoneyError) as large:
        parse_yuan("100000000000000", maximum=MAX_AMOUNT)
    assert large.value.reason == "too_large"
    with pytest.raises(MoneyError) as huge:
        parse_yuan("1e40")  # more digits than a Decimal holds at two places
    assert huge.value.reason == "too_large"
    assert parse_yuan(str(MAX_AMOUNT), maximum=MAX_AMOUNT) == MAX_AMOUNT


def test_exact_refuses_a_third_decimal_and_blank_has_a_value() -> None:
    with pytest.raises(MoneyError) as caught:
        parse_yuan("1.234", exact=True)
    assert caught.value.reason == "too_precise"
    assert parse_yuan("1.23", exact=True) == Decimal("1.23")
    assert parse_yuan("", blank=Decimal("0")) == Decimal("0.00")


def test_the_field_helper_keeps_the_services_messages() -> None:
    errors: dict[str, list[str]] = {}
    assert yuan_field("1,200", "amount", errors) == Decimal("1200.00")
    assert yuan_field("", "optional", errors, required=False) is None
    assert errors == {}
    assert yuan_field("", "amount", errors) is None
    assert yuan_field("NaN", "nan", errors) is None
    assert yuan_field("-1", "low", errors) is None
    assert yuan_field("0", "zero", errors, positive=True) is None
    assert (
        yuan_field("x", "own", errors, invalid="Enter an amount in yuan, e.g. 500000.00.") is None
    )
    assert errors == {
        "amount": ["Enter an amount in yuan, e.g. 1200000.00."],
        "nan": ["Enter an amount in yuan, e.g. 1200000.00."],
        "low": ["The amount must be between 0 and 99,999,999,999,999.99 yuan."],
        "zero": ["The amount must be more than 0 and at most 99,999,999,999,999.99 yuan."],
        "own": ["Enter an amount in yuan, e.g. 500000.00."],
    }

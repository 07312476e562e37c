import pytest
from django.core.exceptions import ValidationError

from opentto.core.money import format_yuan, to_yuan
from opentto.core.validators import (
    cn_application_check_char,
    uscc_check_char,
    validate_cn_application_number,
    validate_unified_social_credit_code,
)


def test_cn_check_digit_worked_example_from_the_standard():
    # 2·2+0·3+2·4+2·5+1·6+0·7+1·8+2·9+3·2+4·3+5·4+6·5 = 122; 122 mod 11 = 1
    assert cn_application_check_char("202210123456") == "1"


def test_cn_check_digit_ten_is_written_x():
    digits = next(
        f"2021100{n:05d}"
        for n in range(100000)
        if cn_application_check_char(f"2021100{n:05d}") == "X"
    )
    assert validate_cn_application_number(f"CN{digits}.X") == f"CN{digits}.X"


@pytest.mark.parametrize(
    "raw, normalised",
    [
        ("CN202210123456.1", "CN202210123456.1"),
        ("202210123456.1", "CN202210123456.1"),
        ("cn 2022 1012 3456.1", "CN202210123456.1"),
        ("ZL202210123456.1", "CN202210123456.1"),
        ("CN2022101234561", "CN202210123456.1"),
    ],
)
def test_cn_numbers_are_normalised(raw, normalised):
    assert validate_cn_application_number(raw) == normalised


def test_cn_wrong_check_digit_names_the_right_one():
    with pytest.raises(ValidationError) as exc:
        validate_cn_application_number("CN202210123456.2")
    assert exc.value.code == "check_digit"
    assert "1" in exc.value.messages[0]


@pytest.mark.parametrize(
    "bad", ["CN2022101234562", "CN20221012345.1", "US17123456", "", "CN202250123456.1"]
)
def test_cn_malformed_numbers_are_refused(bad):
    with pytest.raises(ValidationError):
        validate_cn_application_number(bad)


def test_uscc_known_valid_code():
    # 91350100M000100Y43 is the example printed in GB 32100-2015's explanatory material.
    assert uscc_check_char("91350100M000100Y4") == "3"
    assert validate_unified_social_credit_code("91350100m000100y43") == "91350100M000100Y43"


def test_uscc_wrong_check_character_is_refused():
    with pytest.raises(ValidationError) as exc:
        validate_unified_social_credit_code("91350100M000100Y44")
    assert exc.value.code == "check_char"


@pytest.mark.parametrize("bad", ["91350100M000100Y4", "91350100M000100I43", "913501000000100Y43X"])
def test_uscc_malformed_codes_are_refused(bad):
    with pytest.raises(ValidationError):
        validate_unified_social_credit_code(bad)


def test_money_is_decimal_with_two_places_and_never_float():
    assert str(to_yuan("1,234.5")) == "1234.50"
    assert str(to_yuan("0.005")) == "0.01"
    assert format_yuan(to_yuan("512345678.5")) == "¥512,345,678.50"
    with pytest.raises(TypeError):
        to_yuan(1.5)
    with pytest.raises(ValueError):
        to_yuan("abc")

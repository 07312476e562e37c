"""Money is ``Decimal`` in yuan (CNY) with two places, never float."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

FEN = Decimal("0.01")


def to_yuan(value: object) -> Decimal:
    """Parse a money amount (``"1,234.5"``, ``Decimal``, ``int``) into yuan with two places."""
    if isinstance(value, float):
        raise TypeError("money must not be a float")
    try:
        amount = Decimal(str(value).replace(",", "").replace("¥", "").strip())
    except InvalidOperation as exc:
        raise ValueError(f"not an amount: {value!r}") from exc
    if not amount.is_finite():
        raise ValueError(f"not an amount: {value!r}")
    return amount.quantize(FEN, rounding=ROUND_HALF_UP)


def format_yuan(value: Decimal | int | None) -> str:
    """``Decimal("512345678.5")`` → ``¥512,345,678.50``."""
    if value is None:
        return "—"
    amount = Decimal(value).quantize(FEN, rounding=ROUND_HALF_UP)
    sign = "-" if amount < 0 else ""
    return f"{sign}¥{abs(amount):,.2f}"


def _plain_number(value: Decimal) -> str:
    """``Decimal("12.5000")`` → ``12.5``; ``Decimal("100.00")`` → ``100`` (no exponent, no trailing zeros)."""
    text = f"{value.normalize():f}"
    return "0" if text in ("-0", "") else text


def format_percent(value: Any, *, points: bool = False) -> str:
    """A rate or share as people write it: ``0.03`` → ``3%``, ``0.125`` → ``12.5%`` (``points``:
    the value is already in percent, ``60.000`` → ``60%``). Empty for None; ``—`` for what is not a
    number. The same in both languages (中文 also writes 3%)."""
    if value is None or value == "":
        return ""
    try:
        number = Decimal(str(value))
    except (ArithmeticError, ValueError):
        return "—"
    if not number.is_finite():
        return "—"
    return f"{_plain_number(number if points else number * 100)}%"

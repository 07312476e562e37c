"""Money is ``Decimal`` in yuan (CNY) with two places, never float."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

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

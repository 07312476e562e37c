"""Money is ``Decimal`` in yuan (CNY) with two places, never float."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

FEN = Decimal("0.01")
#: The largest amount a money column holds (``max_digits=16, decimal_places=2``).
MAX_AMOUNT = Decimal("99999999999999.99")


class MoneyError(ValueError):
    """Not an acceptable amount. ``reason``: ``invalid`` (not a number), ``not_finite`` (NaN or
    infinity), ``negative``, ``zero`` (when a positive amount is asked), ``too_large`` or
    ``too_precise`` (more than two decimals, when ``exact``)."""

    def __init__(self, reason: str, value: object) -> None:
        super().__init__(f"not an amount ({reason}): {value!r}")
        self.reason = reason


def parse_yuan(
    value: object,
    *,
    minimum: Decimal | None = None,
    positive: bool = False,
    maximum: Decimal | None = None,
    exact: bool = False,
    blank: Decimal | None = None,
) -> Decimal:
    """The one parser of an amount in yuan: ``"1,234.5"``, ``"¥12"``, ``Decimal``, ``int`` (and digits
    of any script ``Decimal`` reads, e.g. full-width ``"１２３"``) → ``Decimal`` with two places,
    rounded half-up (``exact``: more than two decimals is refused instead). Never a float
    (``TypeError``). ``blank``: what an empty text is (refused when ``None``). Refuses (``MoneyError``)
    NaN and infinity always, and, when asked, an amount below ``minimum``, not above 0
    (``positive``) or above ``maximum``."""
    if isinstance(value, float):
        raise TypeError("money must not be a float")
    text = str(value).replace(",", "").replace("¥", "").strip()
    if not text and blank is not None:
        return blank.quantize(FEN, rounding=ROUND_HALF_UP)
    try:
        amount = Decimal(text)
    except InvalidOperation as exc:
        raise MoneyError("invalid", value) from exc
    if not amount.is_finite():
        raise MoneyError("not_finite", value)
    if not exact:  # the bounds apply to the amount as stored, to the fen
        try:
            amount = amount.quantize(FEN, rounding=ROUND_HALF_UP)
        except InvalidOperation as exc:  # more digits than a Decimal holds
            raise MoneyError("too_large", value) from exc
    if minimum is not None and amount < minimum:
        raise MoneyError("negative", value)
    if positive and amount <= 0:
        raise MoneyError("zero" if amount == 0 else "negative", value)
    if maximum is not None and amount > maximum:
        raise MoneyError("too_large", value)
    if exact:
        try:
            if amount != amount.quantize(FEN):
                raise MoneyError("too_precise", value)
        except InvalidOperation as exc:
            raise MoneyError("too_large", value) from exc
    return amount.quantize(FEN, rounding=ROUND_HALF_UP)


def to_yuan(value: object) -> Decimal:
    """Parse a money amount (``"1,234.5"``, ``Decimal``, ``int``) into yuan with two places (no range
    check: :func:`parse_yuan` without bounds)."""
    return parse_yuan(value)


def yuan_field(
    value: Any,
    field: str,
    errors: dict[str, list[str]],
    *,
    required: bool = True,
    positive: bool = False,
    maximum: Decimal = MAX_AMOUNT,
    invalid: str | None = None,
    out_of_range: str | None = None,
) -> Decimal | None:
    """A service's money input: the amount, or ``None`` with the field's error added to ``errors``
    (an empty value is an error when ``required``, else ``None``). The messages are the app's when
    it gives them."""
    if value in (None, ""):
        if required:
            errors.setdefault(field, []).append(
                invalid or _("Enter an amount in yuan, e.g. 1200000.00.")
            )
        return None
    try:
        return parse_yuan(value, minimum=Decimal("0"), positive=positive, maximum=maximum)
    except (TypeError, MoneyError) as exc:
        if isinstance(exc, TypeError) or exc.reason in ("invalid", "not_finite"):
            message = invalid or _("Enter an amount in yuan, e.g. 1200000.00.")
        elif positive:
            message = out_of_range or _(
                "The amount must be more than 0 and at most 99,999,999,999,999.99 yuan."
            )
        else:
            message = out_of_range or _(
                "The amount must be between 0 and 99,999,999,999,999.99 yuan."
            )
        errors.setdefault(field, []).append(message)
        return None


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

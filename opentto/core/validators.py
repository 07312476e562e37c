"""Validators for the identifiers OpenTTO handles.

- Chinese patent application numbers (CNIPA, since 2003): year (4 digits), type (1 digit), serial
  (7 digits), then ``.`` and a check character: the 12 digits weighted 2,3,4,5,6,7,8,9,2,3,4,5,
  summed, modulo 11; 10 is written ``X``. Numbers before 2003 have 8 digits weighted 2..9.
- Unified social credit codes (统一社会信用代码, GB 32100-2015): 18 characters from a 31-character
  set; the 18th is a check character computed with weights 3^(i) mod 31.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

CN_APPLICATION_WEIGHTS_12 = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)
CN_APPLICATION_WEIGHTS_8 = (2, 3, 4, 5, 6, 7, 8, 9)
CN_APPLICATION_TYPES = {
    "1": "invention",
    "2": "utility",
    "3": "design",
    "8": "pct_invention",
    "9": "pct_utility",
}
_CN_APPLICATION_RE = re.compile(r"^(?:CN)?(?P<digits>\d{12}|\d{8})\.?(?P<check>[\dX])$")

USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def cn_application_check_char(digits: str) -> str:
    """The check character of a Chinese application number's 12 (or 8) digits."""
    weights = CN_APPLICATION_WEIGHTS_12 if len(digits) == 12 else CN_APPLICATION_WEIGHTS_8
    if len(digits) != len(weights) or not digits.isdigit():
        raise ValueError("expected 12 or 8 digits")
    remainder = sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11
    return "X" if remainder == 10 else str(remainder)


def normalise_cn_application_number(value: str) -> str:
    """``CN 2022 1012 3456.1`` → ``CN202210123456.1`` (no validation of the check)."""
    return re.sub(r"[\s\-]", "", value or "").upper().replace("ZL", "CN", 1)


def validate_cn_application_number(value: str) -> str:
    """Validate and normalise a Chinese application number; returns ``CN<digits>.<check>``."""
    normalised = normalise_cn_application_number(value)
    match = _CN_APPLICATION_RE.match(normalised)
    if not match:
        raise ValidationError(
            _("“%(value)s” is not a Chinese application number: write it like CN202210123456.1."),
            code="format",
            params={"value": value},
        )
    digits, check = match.group("digits"), match.group("check")
    if len(digits) == 12 and digits[4] not in CN_APPLICATION_TYPES:
        raise ValidationError(
            _("The type digit %(digit)s of %(value)s is not 1, 2, 3, 8 or 9."),
            code="type",
            params={"digit": digits[4], "value": value},
        )
    expected = cn_application_check_char(digits)
    if check != expected:
        raise ValidationError(
            _("The check digit of %(value)s is wrong: it should be %(expected)s."),
            code="check_digit",
            params={"value": value, "expected": expected},
        )
    return f"CN{digits}.{check}"


def uscc_check_char(first17: str) -> str:
    """The 18th character of a unified social credit code (GB 32100-2015)."""
    if len(first17) != 17 or any(c not in USCC_CHARSET for c in first17):
        raise ValueError("expected 17 characters from the GB 32100 character set")
    total = sum(USCC_CHARSET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_CHARSET[(31 - total % 31) % 31]


def validate_unified_social_credit_code(value: str) -> str:
    code = (value or "").strip().upper()
    if len(code) != 18 or any(c not in USCC_CHARSET for c in code):
        raise ValidationError(
            _(
                "A unified social credit code has 18 characters (digits and capital letters except I, O, S, V, Z)."
            ),
            code="format",
        )
    expected = uscc_check_char(code[:17])
    if code[17] != expected:
        raise ValidationError(
            _("The check character of this credit code is wrong: it should be %(expected)s."),
            code="check_char",
            params={"expected": expected},
        )
    return code

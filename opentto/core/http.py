"""Typing helpers for requests that pass through our middleware."""

from __future__ import annotations

from django.http import HttpRequest


def is_htmx(request: HttpRequest) -> bool:
    """True for requests sent by htmx (``django_htmx.middleware.HtmxMiddleware`` sets ``htmx``)."""
    return bool(getattr(request, "htmx", False))


def id_param(value: str | None) -> int | None:
    """A database id from a query parameter (``0 < id < 2**62``, the API's bound), or ``None``
    when it is not one: a list page ignores a filter it cannot read."""
    number = int_param(value, low=1, high=ID_MAX - 1)
    return number


#: The bounds every number read from a request respects (ids: the API's and the database keys').
ID_MAX = 2**62
YEAR_MIN, YEAR_MAX = 1900, 2200


def int_param(value: str | None, *, low: int, high: int) -> int | None:
    """An integer from a query parameter or form value within ``[low, high]``, or ``None``:
    ASCII digits only (no ``1_000``, no full-width or Arabic-Indic digits), no float notation."""
    text = (value or "").strip()
    if (
        not text
        or len(text) > 24
        or not text.lstrip("-").isascii()
        or not text.lstrip("-").isdigit()
    ):
        return None
    number = int(text)
    return number if low <= number <= high else None


def year_param(value: str | None) -> int | None:
    """A calendar year (1900–2200) or ``None``."""
    return int_param(value, low=YEAR_MIN, high=YEAR_MAX)


def float_param(value: str | None, *, low: float, high: float) -> float | None:
    """A finite float within ``[low, high]`` or ``None`` (``nan``, ``inf``, ``1e309`` are not numbers)."""
    import math

    text = (value or "").strip()
    if not text or len(text) > 32 or not text.isascii():
        return None
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) and low <= number <= high else None

"""Typing helpers for requests that pass through our middleware."""

from __future__ import annotations

from django.http import HttpRequest


def is_htmx(request: HttpRequest) -> bool:
    """True for requests sent by htmx (``django_htmx.middleware.HtmxMiddleware`` sets ``htmx``)."""
    return bool(getattr(request, "htmx", False))


def id_param(value: str | None) -> int | None:
    """A database id from a query parameter (``0 < id < 2**62``, the API's bound), or ``None``
    when it is not one: a list page ignores a filter it cannot read."""
    try:
        number = int(value or "")
    except ValueError:
        return None
    return number if 0 < number < 2**62 else None

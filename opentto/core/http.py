"""Typing helpers for requests that pass through our middleware."""

from __future__ import annotations

from django.http import HttpRequest


def is_htmx(request: HttpRequest) -> bool:
    """True for requests sent by htmx (``django_htmx.middleware.HtmxMiddleware`` sets ``htmx``)."""
    return bool(getattr(request, "htmx", False))

"""Pages of higher apps that answer under the ``accounts:`` URL names (``/account/...``), without
accounts importing them.

An app registers its patterns from its ``AppConfig.ready`` (``register_account_urls([...])``; the
access app: the account overview, the copy of one's data, consents, access requests under NDA and
the grants page); ``opentto/accounts/urls.py`` adds them to its own when Django loads the URLconf,
which is after every app is ready.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.urls import URLPattern, URLResolver

_PATTERNS: list[URLPattern | URLResolver] = []


def register_account_urls(patterns: Iterable[URLPattern | URLResolver]) -> None:
    """Add patterns under ``/account/`` (named in the ``accounts`` namespace). A pattern of the
    same name registered again replaces the earlier one (``ready`` may run more than once in tests)."""
    for pattern in patterns:
        name = getattr(pattern, "name", None)
        if name is not None:
            _PATTERNS[:] = [p for p in _PATTERNS if getattr(p, "name", None) != name]
        _PATTERNS.append(pattern)


def account_urls() -> list[URLPattern | URLResolver]:
    """The registered patterns, in registration order."""
    return list(_PATTERNS)

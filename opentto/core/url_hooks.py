"""Pages of higher apps that answer under a lower app's URL namespace, without the lower app
importing them (an app imports only from the layers below it: docs/architecture.md, "Layers").

A higher app registers its patterns from its ``AppConfig.ready`` (``register_urls("accounts",
[...])``); the lower app's ``urls.py`` adds ``registered_urls("accounts")`` to its own patterns when
Django loads the URLconf, which is after every app is ready. Registered today:

* ``accounts`` (``/account/...``), by ``opentto.access``: the account overview, the copy of one's
  data, consents, access requests under NDA, the grants page;
* ``results`` (``/results/<pk>/...``), by ``opentto.evaluation`` (record an evaluation) and
  ``opentto.landing`` (a new deal for a result).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.urls import URLPattern, URLResolver

_PATTERNS: dict[str, list[URLPattern | URLResolver]] = {}


def register_urls(namespace: str, patterns: Iterable[URLPattern | URLResolver]) -> None:
    """Add patterns to ``namespace``'s URLconf. A pattern registered again under the same name
    replaces the earlier one (``ready`` may run more than once in tests)."""
    registered = _PATTERNS.setdefault(namespace, [])
    for pattern in patterns:
        name = getattr(pattern, "name", None)
        if name is not None:
            registered[:] = [p for p in registered if getattr(p, "name", None) != name]
        registered.append(pattern)


def registered_urls(namespace: str) -> list[URLPattern | URLResolver]:
    """The patterns registered for ``namespace``, in registration order."""
    return list(_PATTERNS.get(namespace, []))

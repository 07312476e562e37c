"""What a backup's manifest records besides the tables, the audit chain and the files: sections
that higher apps register from their ``AppConfig.ready`` (the dashboard: ``"figures"``, the public
figures at the moment of the dump), so ``opentto backup`` in core imports no app."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

#: name -> () -> a JSON-able value, read in the transaction (or from the copy) that is dumped.
_SECTIONS: dict[str, Callable[[], Any]] = {}


def register_manifest_section(name: str, read: Callable[[], Any]) -> None:
    """Add (or replace, under the same name) a section of every backup's manifest."""
    _SECTIONS[name] = read


def manifest_sections() -> dict[str, Any]:
    """Every registered section's value, in registration order."""
    return {name: read() for name, read in _SECTIONS.items()}

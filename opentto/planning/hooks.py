"""Outcomes from apps above planning that the plan reads, without planning importing them.

An app above planning (e.g. ``opentto.poc``: a proof-of-concept project's go/no-go outcome)
registers an :class:`OutcomeSource` in its ``AppConfig.ready``. The plan page shows each source's
panel (``panel(user, result)``: a template and its context, or ``None`` when the viewer may see
nothing of it), and plan creation and approval record each source's outcomes for the result
(``outcomes(result)``: plain values) in their audit events, so the decision says what it knew.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class OutcomeSource:
    key: str
    #: ``(user, result) -> {"template": ..., **context}`` or ``None``: the plan page's panel.
    panel: Callable[[Any, Any], dict[str, Any] | None]
    #: ``(result) -> [ {...}, ... ]``: JSON-able outcomes for the audit record of a plan decision.
    outcomes: Callable[[Any], list[dict[str, Any]]]


_SOURCES: dict[str, OutcomeSource] = {}


def register_outcome_source(source: OutcomeSource) -> None:
    _SOURCES[source.key] = source


def outcome_panels(user: Any, result: Any) -> list[dict[str, Any]]:
    """The panels the plan page shows for ``result`` to ``user`` (each source decides what the user may see)."""
    panels = []
    for source in _SOURCES.values():
        panel = source.panel(user, result)
        if panel is not None:
            panels.append(panel)
    return panels


def outcomes_for(result: Any) -> dict[str, list[dict[str, Any]]]:
    """Every registered source's outcomes for ``result`` (only the sources that have some)."""
    found = {key: source.outcomes(result) for key, source in _SOURCES.items()}
    return {key: rows for key, rows in found.items() if rows}


# Enterprises to approach for a result, from an app above planning (``opentto.demands``: the
# enterprises whose live demands fit the result), registered from its ``AppConfig.ready``.
_TARGETS: dict[str, Callable[[Any, Any], list[Any]]] = {}


def register_suggested_targets(key: str, targets: Callable[[Any, Any], list[Any]]) -> None:
    """Register ``targets(user, result) -> [enterprise, ...]`` under ``key`` (again: replaces it)."""
    _TARGETS[key] = targets


def suggested_targets(user: Any, result: Any) -> list[Any]:
    """Every registered source's suggested targets for ``result`` as ``user`` may see them (none
    when no app registered one)."""
    found: list[Any] = []
    for targets in _TARGETS.values():
        found.extend(targets(user, result))
    return found

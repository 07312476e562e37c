"""Guards from apps above patents that a filing's writes ask, without patents importing them.

A filing may not let go of its IP asset (unlink it, or be abandoned) while something above holds
that asset: ``opentto.financing`` registers the standing pledges in its ``AppConfig.ready``
(``register_asset_hold``). Each hold answers, for an IP asset's id, whether it holds it.
"""

from __future__ import annotations

from collections.abc import Callable

_HOLDS: dict[str, Callable[[int], bool]] = {}


def register_asset_hold(key: str, holds: Callable[[int], bool]) -> None:
    """Register ``holds(ip_asset_id) -> bool`` under ``key`` (registering a key again replaces it)."""
    _HOLDS[key] = holds


def asset_held(ip_asset_id: int) -> bool:
    """Whether any registered hold (e.g. a standing pledge) holds the IP asset."""
    return any(holds(ip_asset_id) for holds in _HOLDS.values())

"""Deals from an app above financing that a valuation's market approach reads, without financing
importing them (financing sits below landing: docs/architecture.md, "Layers").

``opentto.landing`` registers, from its ``AppConfig.ready``, the landed deals a user may see
(``register_deal_source``: ``user -> Deal queryset`` restricted to ``view``, whose ``counted()``
keeps the signed deals). Financing reads only ``pk``, ``amount_cny``, ``deal_type`` (and its
display), ``signed_on``, ``status`` and ``results`` of them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_DEALS: Callable[[Any], Any] | None = None


def register_deal_source(visible_deals: Callable[[Any], Any]) -> None:
    global _DEALS
    _DEALS = visible_deals


def visible_deals(user: Any) -> Any:
    """The landed deals ``user`` may see (a queryset with ``counted()``)."""
    if _DEALS is None:
        raise RuntimeError("no deal source is registered (opentto.landing is not installed)")
    return _DEALS(user)

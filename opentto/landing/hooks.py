"""Hooks for higher apps to hear of a deal's events (landing imports none of them; ADR 0013).

An app registers a callable in its ``AppConfig.ready``; :func:`opentto.landing.services.deal_sign`
calls each, inside its transaction, with the signed deal and the actor (the demands app keeps the
deal's matches as signed pairs for learning to rank).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_ON_SIGNED: list[Callable[..., Any]] = []


def on_deal_signed(hook: Callable[..., Any]) -> None:
    """Register ``hook(*, deal, actor)``, called when a deal is signed (once per callable)."""
    if hook not in _ON_SIGNED:
        _ON_SIGNED.append(hook)


def deal_signed(*, deal: Any, actor: Any) -> None:
    for hook in _ON_SIGNED:
        hook(deal=deal, actor=actor)

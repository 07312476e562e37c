"""Where a higher app tells rights how a result's owners share it before any 赋权.

Rights sits below landing, so it cannot read landing's co-owner agreements itself; landing registers
a provider (in its ``AppConfig.ready``) that returns the shares of the latest co-owner agreement
covering a result, or ``None``. Without a provider's answer the owners share equally.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

#: ``provider(result) -> (shares by organisation id, a description of the source) | None``
OwnerSharesProvider = Callable[[Any], "tuple[dict[int, Decimal], str] | None"]
_PROVIDERS: list[OwnerSharesProvider] = []


def register_owner_shares_provider(provider: OwnerSharesProvider) -> None:
    if provider not in _PROVIDERS:
        _PROVIDERS.append(provider)


def owner_shares_providers() -> list[OwnerSharesProvider]:
    return list(_PROVIDERS)

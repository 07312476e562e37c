"""Who may unlock an account's sign-in or turn another user's two-factor off, and who must use
two-factor: the accounts app's part of :mod:`opentto.core.permissions` (roles are read only in
the permission modules)."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from opentto.core.permissions import ADMIN, ALL, MANAGER, register, user_role

#: Actions on a user account that another user may take.
UNLOCK = "unlock"
RESET_TWO_FACTOR = "reset_two_factor"

register(
    "accounts.user",
    actions={UNLOCK, RESET_TWO_FACTOR},
    grants=[(role, ALL, (UNLOCK, RESET_TWO_FACTOR)) for role in (ADMIN, MANAGER)],
)


def two_factor_required(user: Any) -> bool:
    """Whether this user's role must use two-factor (``OPENTTO_TOTP_REQUIRED_ROLES``)."""
    role = user_role(user)
    return role is not None and role in set(getattr(settings, "OPENTTO_TOTP_REQUIRED_ROLES", ()))

"""Notifications are their recipient's (registered with :mod:`opentto.core.permissions`).

| object type | action | every signed-in user |
|---|---|---|
| notifications.notification | view, change (mark read) | their own (``own``) |
| notifications.notificationpreference | view, change | their own (``own``) |

No other grant: not even the TTO reads someone else's notifications.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Model, Q

from opentto.core.permissions import SIGNED_IN, register, user_role


def _own_notification(user: Any, model: type[Model]) -> Q | None:
    return None if user_role(user) is None else Q(recipient_id=user.pk)


def _own_preference(user: Any, model: type[Model]) -> Q | None:
    return None if user_role(user) is None else Q(user_id=user.pk)


register(
    "notifications.notification",
    actions={"view", "change"},
    constraints={"own": _own_notification},
    grants=[(role, "own", ("view", "change")) for role in SIGNED_IN],
)
register(
    "notifications.notificationpreference",
    actions={"view", "change"},
    constraints={"own": _own_preference},
    grants=[(role, "own", ("view", "change")) for role in SIGNED_IN],
)

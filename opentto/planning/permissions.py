"""Who may see deal rooms (registered with :mod:`opentto.core.permissions`): the TTO all of them,
an investor the open rooms they are invited to."""

from __future__ import annotations

from typing import Any

from django.db.models import Model, Q

from opentto.core.permissions import ALL, INVESTOR, STAFF, register, user_role


def _room_invited_open(user: Any, model: type[Model]) -> Q | None:
    """Open deal rooms the user is invited to."""
    if user_role(user) is None:
        return None
    return Q(is_open=True, pk__in=model._default_manager.filter(invites__user_id=user.pk).values("pk"))


register("planning.dealroom", actions={"view"}, constraints={"invited_open": _room_invited_open},
         grants=[*[(role, ALL, ("view",)) for role in STAFF], (INVESTOR, "invited_open", ("view",))])

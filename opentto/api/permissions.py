"""Token scopes, and the grants the API's own objects and resources ask.

A read token may only read (:class:`TokenScopePermission`). What a user may see or change is
decided by the services and ``opentto.core.permissions`` (through ``restrict``), never here; this
module registers the API's types there:

| object type | action | admin | manager | every signed-in user |
|---|---|---|---|---|
| api.apitoken | view, revoke | all | their own | their own (``own``) |
| organisations.organisation, organisations.person | add | all | all | — |

``add`` on the directory's types is the organisations app's rule (its services ask it, and the
directory's API resources name it as their ``write_permission``); it is registered here too, so
the resources work whichever app registers first (registrations of the same grant merge).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Model, Q
from django.utils.translation import gettext_lazy as _
from rest_framework import permissions
from rest_framework.request import Request

from opentto.core.permissions import ADMIN, ALL, SIGNED_IN, STAFF, register, user_role

from .models import ApiToken, TokenScopeChoices


class TokenScopePermission(permissions.BasePermission):
    message = _("This token may only read (scope “read”).")

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        if not request.user or not request.user.is_authenticated:
            return False
        token = request.auth
        if isinstance(token, ApiToken):
            return token.scope == TokenScopeChoices.WRITE
        return True


def _own_token(user: Any, model: type[Model]) -> Q | None:
    return None if user_role(user) is None else Q(user_id=user.pk)


register(
    "api.apitoken",
    actions={"view", "revoke"},
    constraints={"own": _own_token},
    grants=[
        (ADMIN, ALL, ("view", "revoke")),
        *[(role, "own", ("view", "revoke")) for role in SIGNED_IN],
    ],
)
for _object_type in ("organisations.organisation", "organisations.person"):
    register(_object_type, actions={"add"}, grants=[(role, ALL, ("add",)) for role in STAFF])

"""Token scopes: a read token may only read. What a user may see or change is decided by the
services and ``opentto.core.permissions`` (through ``restrict``), never here."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import permissions
from rest_framework.request import Request

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

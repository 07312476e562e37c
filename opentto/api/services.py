"""Writes for API tokens."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from opentto.accounts.models import User
from opentto.core.audit import audit_record
from opentto.core.permissions import allows

from .models import ApiToken, TokenScopeChoices, token_digest

#: Tokens expire after this many days unless told otherwise (0 = never).
DEFAULT_TOKEN_DAYS = 365


def token_create(
    *,
    user: User,
    scope: str = TokenScopeChoices.READ,
    name: str = "",
    days: int | None = DEFAULT_TOKEN_DAYS,
    actor: User | None,
) -> tuple[ApiToken, str]:
    """Create a token for ``user`` and return it with its key (the key is never stored)."""
    errors: dict[str, list[str]] = {}
    if scope not in TokenScopeChoices.values:
        errors["scope"] = [_("Choose the scope: read or write.")]
    if days is not None and days < 0:
        errors["days"] = [_("The validity is a number of days, 0 for no expiry.")]
    if not user.is_active:
        errors["user"] = [_("This user is not active.")]
    if errors:
        raise ValidationError(errors)
    key = secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            name=name.strip()[:100],
            prefix=key[:8],
            digest=token_digest(key),
            scope=scope,
            expires_at=timezone.now() + timedelta(days=days) if days else None,
        )
        audit_record(
            actor=actor,
            action="api_token.create",
            obj=token,
            payload={"user": user.pk, "scope": scope, "expires_at": token.expires_at},
        )
    return token, key


def token_revoke(*, token: ApiToken, actor: User | None) -> ApiToken:
    """Revoke ``token``: its owner or an administrator (``revoke`` on ``api.apitoken``); ``None``
    is the command line's operator."""
    if actor is not None and not allows(actor, token, "revoke"):
        raise PermissionError(_("A token is revoked by its owner or an administrator."))
    with transaction.atomic():
        locked = ApiToken.objects.select_for_update().get(pk=token.pk)
        if locked.revoked_at is None:
            locked.revoked_at = timezone.now()
            locked.save(update_fields=["revoked_at"])
            audit_record(actor=actor, action="api_token.revoke", obj=locked)
    return locked

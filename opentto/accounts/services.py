"""Writes on users: language, sign-in protection (lockout), two-factor authentication."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from opentto.core.audit import audit_record

from . import crypto, totp
from .models import User

#: Consecutive wrong passwords that lock an account, and for how long.
LOCKOUT_THRESHOLD = 10
LOCKOUT_MINUTES = 30
RECOVERY_CODES = 8


def lockout_threshold() -> int:
    return int(getattr(settings, "OPENTTO_LOCKOUT_THRESHOLD", LOCKOUT_THRESHOLD))


def lockout_minutes() -> int:
    return int(getattr(settings, "OPENTTO_LOCKOUT_MINUTES", LOCKOUT_MINUTES))


def user_set_language(*, user: User, language: str, actor: User) -> User:
    if language not in {code for code, _name in settings.LANGUAGES} | {""}:
        raise ValidationError({"language": [_("Choose 中文 or English.")]})
    if actor.pk != user.pk:
        raise PermissionError("a user's language is theirs to choose")
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(language=language)
        user.language = language
        audit_record(actor=actor, action="user.set_language", obj=user, payload={"language": language})
    return user


# --- Sign-in protection ----------------------------------------------------------------------------


def user_login_failed(*, user: User, request: Any = None) -> User:
    """Count a wrong password; the ``lockout_threshold()``-th in a row locks the account."""
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        locked.failed_logins = min(locked.failed_logins + 1, 32000)
        fields = ["failed_logins"]
        newly_locked = locked.failed_logins >= lockout_threshold() and not locked.is_locked
        if newly_locked:
            locked.locked_until = timezone.now() + timedelta(minutes=lockout_minutes())
            fields.append("locked_until")
        locked.save(update_fields=fields)
        audit_record(actor=None, action="user.login_failed", obj=locked, payload={"failed_logins": locked.failed_logins}, request=request)
        if newly_locked:
            audit_record(actor=None, action="user.locked", obj=locked, payload={"until": locked.locked_until}, request=request)
    user.failed_logins, user.locked_until = locked.failed_logins, locked.locked_until
    return user


def user_login_succeeded(*, user: User, request: Any = None, two_factor: bool = False) -> User:
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(failed_logins=0, locked_until=None)
        audit_record(actor=user, action="user.login", obj=user, payload={"two_factor": two_factor}, request=request)
    user.failed_logins, user.locked_until = 0, None
    return user


def user_unlock(*, user: User, actor: User) -> User:
    if not actor.is_platform_staff:
        raise PermissionError("only admins and managers unlock accounts")
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(failed_logins=0, locked_until=None)
        audit_record(actor=actor, action="user.unlock", obj=user)
    user.failed_logins, user.locked_until = 0, None
    return user


# --- Two-factor authentication (TOTP) ------------------------------------------------------------------


def _hash_code(code: str) -> str:
    return hashlib.sha256(("opentto-recovery:" + code.replace("-", "").lower()).encode()).hexdigest()


def totp_begin(*, user: User, actor: User) -> str:
    """Start (or restart) setting up two-factor: a new secret, not active until confirmed."""
    if actor.pk != user.pk:
        raise PermissionError("users set up their own two-factor authentication")
    if user.has_two_factor:
        raise ValidationError({"code": [_("Two-factor authentication is already on; turn it off first.")]})
    secret = totp.new_secret()
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(totp_secret_encrypted=crypto.encrypt(secret), totp_confirmed_at=None, totp_last_counter=None)
        audit_record(actor=actor, action="user.totp_begin", obj=user)
    user.totp_secret_encrypted = crypto.encrypt(secret)
    return secret


def totp_pending_secret(user: User) -> str:
    return crypto.decrypt(user.totp_secret_encrypted) if user.totp_secret_encrypted and not user.has_two_factor else ""


def totp_confirm(*, user: User, code: str, actor: User) -> list[str]:
    """Turn two-factor on with the first code from the app; returns one-time recovery codes."""
    if actor.pk != user.pk:
        raise PermissionError("users set up their own two-factor authentication")
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if locked.has_two_factor or not locked.totp_secret_encrypted:
            raise ValidationError({"code": [_("Start setting up two-factor authentication first.")]})
        counter = totp.verify(crypto.decrypt(locked.totp_secret_encrypted), code)
        if counter is None:
            raise ValidationError({"code": [_("That code is not right. Enter the 6 digits your app shows now.")]})
        codes = [f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _i in range(RECOVERY_CODES)]
        locked.totp_confirmed_at = timezone.now()
        locked.totp_last_counter = counter
        locked.totp_recovery_hashes = [_hash_code(c) for c in codes]
        locked.save(update_fields=["totp_confirmed_at", "totp_last_counter", "totp_recovery_hashes"])
        audit_record(actor=actor, action="user.totp_enable", obj=locked)
    user.totp_confirmed_at, user.totp_last_counter, user.totp_recovery_hashes = locked.totp_confirmed_at, counter, locked.totp_recovery_hashes
    return codes


def totp_check(*, user: User, code: str, request: Any = None) -> bool:
    """True if ``code`` is the current TOTP code (each used once) or an unused recovery code."""
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if not locked.has_two_factor:
            return False
        counter = totp.verify(crypto.decrypt(locked.totp_secret_encrypted), code, last_counter=locked.totp_last_counter)
        if counter is not None:
            locked.totp_last_counter = counter
            locked.save(update_fields=["totp_last_counter"])
            return True
        digest = _hash_code(code.strip())
        if digest in locked.totp_recovery_hashes:
            locked.totp_recovery_hashes = [h for h in locked.totp_recovery_hashes if h != digest]
            locked.save(update_fields=["totp_recovery_hashes"])
            audit_record(actor=locked, action="user.totp_recovery_code_used", obj=locked, payload={"left": len(locked.totp_recovery_hashes)}, request=request)
            return True
    audit_record(actor=None, action="user.totp_failed", obj=user, request=request)
    return False


def totp_disable(*, user: User, actor: User) -> User:
    """Turn two-factor off: by the user themselves, or by an admin for a user who lost the device."""
    if actor.pk != user.pk and not actor.is_platform_staff:
        raise PermissionError("only the user or an admin turns two-factor authentication off")
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(totp_secret_encrypted="", totp_confirmed_at=None, totp_last_counter=None, totp_recovery_hashes=[])
        audit_record(actor=actor, action="user.totp_disable", obj=user)
    user.totp_secret_encrypted, user.totp_confirmed_at, user.totp_recovery_hashes = "", None, []
    return user


def two_factor_required(user: Any) -> bool:
    """Whether this user's role must use two-factor (``OPENTTO_TOTP_REQUIRED_ROLES``)."""
    from opentto.core.permissions import user_role

    role = user_role(user)
    return role is not None and role in set(getattr(settings, "OPENTTO_TOTP_REQUIRED_ROLES", ()))

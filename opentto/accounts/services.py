"""Writes on users: language, sign-in records and locks (django-axes counts, these record and
unlock), two-factor authentication (django-otp devices: ``models.TOTPDevice`` and
``models.RecoveryCodeDevice``)."""

from __future__ import annotations

import base64
import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp.models import Device

from opentto.core.audit import audit_record
from opentto.core.permissions import allows

from . import crypto
from .models import RecoveryCode, RecoveryCodeDevice, TOTPDevice, User, recovery_code_digest
from .permissions import RESET_TWO_FACTOR, UNLOCK

#: Recovery codes issued when two-factor is turned on.
RECOVERY_CODES = 8


def user_set_language(*, user: User, language: str, actor: User) -> User:
    if language not in {code for code, _name in settings.LANGUAGES} | {""}:
        raise ValidationError({"language": [_("Choose Chinese or English.")]})
    if actor.pk != user.pk:
        raise PermissionError("a user's language is theirs to choose")
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(language=language)
        user.language = language
        audit_record(
            actor=actor, action="user.set_language", obj=user, payload={"language": language}
        )
    return user


# --- Sign-in records and locks (django-axes counts) ------------------------------------------------


def _account(username: str) -> User | None:
    return (
        User._default_manager.filter(**{User.USERNAME_FIELD: username}).first()
        if username
        else None
    )


def user_login_failed(*, username: str, password: str, locked: bool, request: Any = None) -> None:
    """Record a refused sign-in on the account it names (nothing for an unknown name). A locked
    pair is refused by axes before any password is checked: the password is hashed here all the
    same, so a locked sign-in takes as long as a wrong password (Django does the same for an
    unknown user)."""
    if locked:
        make_password(password)
    account = _account(username)
    if account is not None:
        audit_record(actor=None, action="user.login_failed", obj=account, request=request)


def user_lock_record(
    *, username: str, ip_address: str | None, failures: int, request: Any = None
) -> None:
    """Record that axes locked sign-in for this user name from this address (axes' signal)."""
    account = _account(username)
    if account is not None:
        audit_record(
            actor=None,
            action="user.locked",
            obj=account,
            payload={"ip_address": ip_address, "failures": failures},
            request=request,
        )


def user_login_succeeded(*, user: User, request: Any = None, two_factor: bool = False) -> User:
    audit_record(
        actor=user,
        action="user.login",
        obj=user,
        payload={"two_factor": two_factor},
        request=request,
    )
    return user


def user_unlock(*, user: User, actor: User) -> User:
    """Clear the failed sign-ins recorded for this account, from every address (axes' reset)."""
    from axes.utils import reset

    if not allows(actor, user, UNLOCK):
        raise PermissionError("only admins and managers unlock accounts")
    with transaction.atomic():
        cleared = reset(username=user.get_username())
        audit_record(
            actor=actor, action="user.unlock", obj=user, payload={"attempts_cleared": cleared}
        )
    return user


# --- Two-factor authentication (django-otp devices) ---------------------------------------------------


def totp_begin(*, user: User, actor: User) -> str:
    """Start (or restart) setting up two-factor: a new secret on an unconfirmed device."""
    if actor.pk != user.pk:
        raise PermissionError("users set up their own two-factor authentication")
    if user.has_two_factor:
        raise ValidationError(
            {"code": [_("Two-factor authentication is already on; turn it off first.")]}
        )
    secret = base64.b32encode(secrets.token_bytes(20)).decode().rstrip("=")
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        TOTPDevice.objects.create(
            user=user, name="authenticator", confirmed=False, key_encrypted=crypto.encrypt(secret)
        )
        audit_record(actor=actor, action="user.totp_begin", obj=user)
    return secret


def totp_pending_device(user: User) -> TOTPDevice | None:
    """The device being set up (not yet confirmed), if any."""
    return TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()


def totp_confirm(*, user: User, code: str, actor: User, request: Any = None) -> list[str]:
    """Turn two-factor on with the first code from the app; returns one-time recovery codes.
    With ``request``, the session counts as verified by the new device (``django_otp.login``)."""
    import django_otp

    if actor.pk != user.pk:
        raise PermissionError("users set up their own two-factor authentication")
    with transaction.atomic():
        device = (
            TOTPDevice.objects.select_for_update()
            .filter(user=user, confirmed=False)
            .order_by("-pk")
            .first()
        )
        if device is None or user.has_two_factor:
            raise ValidationError(
                {"code": [_("Start setting up two-factor authentication first.")]}
            )
        if not device.verify_token(code):
            raise ValidationError(
                {"code": [_("That code is not right. Enter the 6 digits your app shows now.")]}
            )
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = [f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _i in range(RECOVERY_CODES)]
        RecoveryCodeDevice.objects.filter(user=user).delete()
        recovery = RecoveryCodeDevice.objects.create(
            user=user, name="recovery codes", confirmed=True
        )
        RecoveryCode.objects.bulk_create(
            [RecoveryCode(device=recovery, digest=recovery_code_digest(c)) for c in codes]
        )
        audit_record(actor=actor, action="user.totp_enable", obj=user, request=request)
    if request is not None:
        django_otp.login(request, device)
    return codes


def two_factor_verify(*, user: User, code: str, request: Any = None) -> Device | None:
    """The device that accepts ``code`` — the app's current code (each accepted once) or an unused
    recovery code (then spent) — or ``None``. Each device throttles wrong codes (django-otp:
    1, 2, 4 … seconds before the next try)."""
    code = (code or "").strip()
    only_digits = "".join(ch for ch in code if ch.isdigit())
    # Six digits are the app's code; anything else is a recovery code (never six digits long).
    model: type[TOTPDevice] | type[RecoveryCodeDevice] = (
        TOTPDevice
        if len(only_digits) == 6 and len(code.replace(" ", "")) == 6
        else RecoveryCodeDevice
    )
    with transaction.atomic():
        device = (
            model.objects.select_for_update()
            .filter(user=user, confirmed=True)
            .order_by("pk")
            .first()
        )
        accepted = device is not None and device.verify_token(code)
        if accepted and isinstance(device, RecoveryCodeDevice):
            audit_record(
                actor=user,
                action="user.totp_recovery_code_used",
                obj=user,
                payload={"left": device.codes.count()},
                request=request,
            )
    if accepted:
        return device
    audit_record(actor=None, action="user.totp_failed", obj=user, request=request)
    return None


def two_factor_throttled(user: User) -> bool:
    """Whether the user's devices refuse codes for now (django-otp's throttling)."""
    return any(
        not device.verify_is_allowed()[0]
        for model in (TOTPDevice, RecoveryCodeDevice)
        for device in model.objects.filter(user=user, confirmed=True)
    )


def totp_disable(*, user: User, actor: User) -> User:
    """Turn two-factor off: by the user themselves, or by an admin for a user who lost the device."""
    if actor.pk != user.pk and not allows(actor, user, RESET_TWO_FACTOR):
        raise PermissionError("only the user or an admin turns two-factor authentication off")
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        RecoveryCodeDevice.objects.filter(user=user).delete()
        audit_record(actor=actor, action="user.totp_disable", obj=user)
    return user

"""Whether a session has done two-factor: the one answer every door asks (the page middleware,
the admin site, the API's session authentication).

A signed-in user's session is in one of three states: it may go on (the user gave a code in this
session, or has no two-factor device and the role does not need one), it must give a code first
(``VERIFY``: a confirmed device but no code yet — django-otp's ``user.is_verified()`` is false),
or it must set two-factor up first (``ENROL``: ``permissions.two_factor_required``)."""

from __future__ import annotations

from typing import Any, Literal

from django_otp import user_has_device

from .permissions import two_factor_required

TwoFactorStep = Literal["verify", "enrol"]
VERIFY: Literal["verify"] = "verify"
ENROL: Literal["enrol"] = "enrol"


def session_is_verified(user: Any) -> bool:
    """django-otp's flag (set by ``OTPMiddleware``); false where the middleware did not run."""
    is_verified = getattr(user, "is_verified", None)
    return bool(is_verified()) if callable(is_verified) else False


def two_factor_step(user: Any) -> TwoFactorStep | None:
    """What a signed-in session must do before it reaches anything: ``None`` (nothing),
    :data:`VERIFY` or :data:`ENROL`. Anonymous visitors: ``None`` (the views decide)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    if session_is_verified(user):
        return None
    if user_has_device(user, confirmed=True):
        return VERIFY
    if two_factor_required(user):
        return ENROL
    return None

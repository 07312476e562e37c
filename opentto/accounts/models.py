"""Users and their roles, and their two-factor devices. A role is what a user does on the
platform; the permission rules that follow from it live in the permission modules
(``opentto.core.permissions``, ``opentto.accounts.permissions``).

Two-factor devices are django-otp devices (``django_otp.models.Device``): an authenticator app
(:class:`TOTPDevice`, its secret encrypted at rest) and single-use recovery codes
(:class:`RecoveryCodeDevice`, stored as digests). docs/adr/0007-two-factor-with-django-otp.md says
why they are OpenTTO's own device models rather than django-otp's ``otp_totp``/``otp_static``."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import Any
from urllib.parse import quote, urlencode

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device, ThrottlingMixin, TimestampMixin
from django_otp.oath import TOTP

from opentto.core.roles import UserRoleChoices


class UserLanguageChoices(models.TextChoices):
    BROWSER = "", _("Browser's language")
    CHINESE = "zh-hans", "中文"
    ENGLISH = "en", "English"


class User(AbstractUser):  # type: ignore[django-manager-missing]  # the devices' related managers (django-otp is untyped)
    role = models.CharField(
        _("role"),
        max_length=16,
        choices=UserRoleChoices.choices,
        default=UserRoleChoices.ENTERPRISE,
    )
    organisation = models.ForeignKey(
        "organisations.Organisation",
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    person = models.OneToOneField(
        "organisations.Person",
        verbose_name=_("person"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="user",
    )
    language = models.CharField(
        _("language"), max_length=8, choices=UserLanguageChoices.choices, default="", blank=True
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role__in=UserRoleChoices.values), name="accounts_user_role_valid"
            )
        ]

    @property
    def has_two_factor(self) -> bool:
        """Whether two-factor is on: a confirmed authenticator app."""
        return TOTPDevice.objects.filter(user_id=self.pk, confirmed=True).exists()

    @property
    def two_factor_since(self) -> Any:
        device = (
            TOTPDevice.objects.filter(user_id=self.pk, confirmed=True)
            .order_by("created_at")
            .first()
        )
        return device.created_at if device is not None else None


# --- Two-factor devices (django-otp) ----------------------------------------------------------------


def _otp_throttle_factor() -> int:
    """Seconds before the next try after one wrong code; doubles with each further wrong code."""
    return int(getattr(settings, "OPENTTO_OTP_THROTTLE_FACTOR", 1))


class TOTPDevice(TimestampMixin, ThrottlingMixin, Device):
    """An authenticator app (RFC 6238: HMAC-SHA1, 30-second steps, 6 digits, one step of drift
    either way). The base32 secret is encrypted at rest (``opentto.accounts.crypto``); a code at
    or before ``last_t`` (the time step of the last accepted code) is refused, so no code is
    accepted twice."""

    key_encrypted = models.TextField(_("secret (encrypted)"), editable=False)
    step = models.PositiveSmallIntegerField(default=30, editable=False)
    t0 = models.BigIntegerField(default=0, editable=False)
    digits = models.PositiveSmallIntegerField(default=6, editable=False)
    tolerance = models.PositiveSmallIntegerField(default=1, editable=False)
    drift = models.SmallIntegerField(default=0, editable=False)
    last_t = models.BigIntegerField(default=-1, editable=False)

    class Meta(Device.Meta):
        verbose_name = _("authenticator app")
        verbose_name_plural = _("authenticator apps")

    @property
    def secret(self) -> str:
        """The base32 secret (what the authenticator app is given)."""
        from . import crypto

        return crypto.decrypt(self.key_encrypted)

    @property
    def bin_key(self) -> bytes:
        secret = self.secret.strip().replace(" ", "").upper()
        return base64.b32decode(secret + "=" * (-len(secret) % 8))

    def _totp(self) -> TOTP:
        totp = TOTP(self.bin_key, self.step, self.t0, self.digits, self.drift)
        totp.time = time.time()
        return totp

    def verify_token(self, token: Any) -> bool:
        allowed, _data = self.verify_is_allowed()
        if not allowed:
            return False
        digits = "".join(ch for ch in str(token or "") if ch.isdigit())
        verified = False
        if len(digits) == self.digits:
            totp = self._totp()
            verified = bool(totp.verify(int(digits), self.tolerance, self.last_t + 1))
            if verified:
                self.last_t = totp.t()
                self.throttle_reset(commit=False)
                self.set_last_used_timestamp(commit=False)
                self.save()
        if not verified:
            self.throttle_increment(commit=True)
        return verified

    def get_throttle_factor(self) -> int:
        return _otp_throttle_factor()

    def config_url(self, *, issuer: str = "OpenTTO") -> str:
        """The ``otpauth://`` address the QR code carries."""
        label = quote(f"{issuer}:{self.user.get_username()}")
        query = urlencode(
            {
                "secret": self.secret,
                "issuer": issuer,
                "algorithm": "SHA1",
                "digits": self.digits,
                "period": self.step,
            }
        )
        return f"otpauth://totp/{label}?{query}"


def recovery_code_digest(code: str) -> str:
    """The stored form of a recovery code (the form the hand-written TOTP of 2026 used, so the
    codes it issued keep working): SHA-256 of a fixed prefix and the code without its dash,
    lower-cased."""
    return hashlib.sha256(
        ("opentto-recovery:" + code.strip().replace("-", "").lower()).encode()
    ).hexdigest()


class RecoveryCodeDevice(ThrottlingMixin, Device):
    """Single-use recovery codes, kept as digests (:func:`recovery_code_digest`): a code that
    verifies is deleted in the same transaction."""

    class Meta(Device.Meta):
        verbose_name = _("recovery codes")
        verbose_name_plural = _("recovery codes")

    def verify_token(self, token: Any) -> bool:
        allowed, _data = self.verify_is_allowed()
        if not allowed:
            return False
        digest = recovery_code_digest(str(token or ""))
        match = None
        for code in self.codes.select_for_update().order_by("pk"):
            if hmac.compare_digest(code.digest, digest):
                match = code
        if match is not None:
            match.delete()
            self.throttle_reset(commit=True)
            return True
        self.throttle_increment(commit=True)
        return False

    def get_throttle_factor(self) -> int:
        return _otp_throttle_factor()


class RecoveryCode(models.Model):
    device = models.ForeignKey(RecoveryCodeDevice, on_delete=models.CASCADE, related_name="codes")
    digest = models.CharField(max_length=64, editable=False)

    class Meta:
        verbose_name = _("recovery code")
        verbose_name_plural = _("recovery codes")

    def __str__(self) -> str:
        return f"recovery code {self.pk} of device {self.device_id}"

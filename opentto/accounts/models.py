"""Users and their roles. A role is what a user does on the platform; the permission rules that
follow from it live in one place, ``opentto.core.permissions``."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class UserRoleChoices(models.TextChoices):
    ADMIN = "admin", _("Platform admin")
    MANAGER = "manager", _("TTO manager")
    INVENTOR = "inventor", _("Researcher / inventor")
    ENTERPRISE = "enterprise", _("Enterprise user")
    REVIEWER = "reviewer", _("Reviewer")
    OFFICIAL = "official", _("District official")
    INVESTOR = "investor", _("Investor / bank")


class UserLanguageChoices(models.TextChoices):
    BROWSER = "", _("Browser's language")
    CHINESE = "zh-hans", "中文"
    ENGLISH = "en", "English"


class User(AbstractUser):
    role = models.CharField(
        _("role"), max_length=16, choices=UserRoleChoices.choices, default=UserRoleChoices.ENTERPRISE
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
    # Sign-in protection: consecutive wrong passwords and the lock they lead to.
    failed_logins = models.PositiveSmallIntegerField(_("consecutive failed sign-ins"), default=0, editable=False)
    locked_until = models.DateTimeField(_("locked until"), null=True, blank=True)
    # Two-factor authentication (TOTP, RFC 6238); the secret is encrypted at rest.
    totp_secret_encrypted = models.TextField(blank=True, default="", editable=False)
    totp_confirmed_at = models.DateTimeField(_("two-factor enabled"), null=True, blank=True, editable=False)
    totp_last_counter = models.BigIntegerField(null=True, blank=True, editable=False)
    totp_recovery_hashes = models.JSONField(default=list, blank=True, editable=False)

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
        return self.totp_confirmed_at is not None and bool(self.totp_secret_encrypted)

    @property
    def is_locked(self) -> bool:
        from django.utils import timezone

        return self.locked_until is not None and self.locked_until > timezone.now()

    @property
    def is_platform_staff(self) -> bool:
        """Admins and TTO managers run the platform and see every record."""
        return self.role in {UserRoleChoices.ADMIN, UserRoleChoices.MANAGER} or self.is_superuser

"""The users' roles: what the permission module's default grants name (``opentto.core.permissions``)
and the choices of ``User.role`` (``opentto.accounts.models``). Here, below every app, so that the
permission module needs no app."""

from __future__ import annotations

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

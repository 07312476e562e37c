"""Sign-in (with throttling and lockout) and two-factor forms."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import authenticate
from django.contrib.auth.forms import AuthenticationForm
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from opentto.core.audit import request_remote_addr

from .models import User
from .services import user_login_failed

#: Failed sign-ins from one address within the window before that address is slowed down.
IP_LIMIT = 50
IP_WINDOW_SECONDS = 15 * 60


def _ip_key(request: Any) -> str:
    return f"opentto:login-fail:{request_remote_addr(request) if request is not None else 'none'}"


def ip_throttled(request: Any) -> bool:
    from django.conf import settings

    return int(cache.get(_ip_key(request), 0)) >= int(getattr(settings, "OPENTTO_LOGIN_IP_LIMIT", IP_LIMIT))


def _count_ip_failure(request: Any) -> None:
    key = _ip_key(request)
    if not cache.add(key, 1, IP_WINDOW_SECONDS):
        try:
            cache.incr(key)
        except ValueError:  # expired in between
            cache.add(key, 1, IP_WINDOW_SECONDS)


def locked_message(user: User) -> str:
    until = timezone.localtime(user.locked_until) if user.locked_until else None
    return _(
        "This account is locked after %(count)s wrong passwords. Try again after %(time)s, or ask an administrator to unlock it."
    ) % {"count": user.failed_logins, "time": formats.date_format(until, "Y-m-d H:i") if until else "—"}


class ProtectedAuthenticationMixin:
    """Counts wrong passwords per account (the tenth locks it) and per address (throttled)."""

    request: Any
    cleaned_data: dict[str, Any]
    user_cache: User | None
    throttled = False

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is None or not password:
            return self.cleaned_data
        if ip_throttled(self.request):
            self.throttled = True
            raise ValidationError(
                _("Too many failed sign-ins from your network. Wait %(minutes)s minutes and try again.") % {"minutes": IP_WINDOW_SECONDS // 60},
                code="throttled",
            )
        account = User._default_manager.filter(**{User.USERNAME_FIELD: username}).first()
        if account is not None and account.is_locked:
            _count_ip_failure(self.request)
            raise ValidationError(locked_message(account), code="locked")
        self.user_cache = authenticate(self.request, username=username, password=password)  # type: ignore[assignment]
        if self.user_cache is None:
            _count_ip_failure(self.request)
            if account is not None:
                user_login_failed(user=account, request=self.request)
                if account.is_locked:
                    raise ValidationError(locked_message(account), code="locked")
            raise self.get_invalid_login_error()  # type: ignore[attr-defined]
        self.confirm_login_allowed(self.user_cache)  # type: ignore[attr-defined]
        return self.cleaned_data


class LoginForm(ProtectedAuthenticationMixin, AuthenticationForm):
    pass


class AdminLoginForm(ProtectedAuthenticationMixin, AdminAuthenticationForm):
    pass


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code"), max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
        help_text=gettext_lazy("The 6 digits your authenticator app shows, or one of your recovery codes."),
    )


class DisableTwoFactorForm(forms.Form):
    password = forms.CharField(label=gettext_lazy("Your password"), widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise ValidationError(_("That is not your password."), code="password")
        return str(password)

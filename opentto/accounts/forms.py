"""Sign-in and two-factor forms."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import User
from .services import user_login_failed
from .throttling import refused_before_password_check


class LoginForm(AuthenticationForm):
    """Password sign-in. django-axes (the first authentication backend) refuses a locked user
    name and address before the password is checked; the form then says exactly what it says for
    an unknown user or a wrong password ("Please enter a correct username and password")."""

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        try:
            return super().clean()
        except ValidationError:
            if username is not None and password:
                user_login_failed(
                    username=username,
                    password=password,
                    locked=refused_before_password_check(self.request),
                    request=self.request,
                )
            raise


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
        help_text=gettext_lazy(
            "The 6 digits your authenticator app shows, or one of your recovery codes."
        ),
    )


class DisableTwoFactorForm(forms.Form):
    password = forms.CharField(
        label=gettext_lazy("Your password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise ValidationError(_("That is not your password."), code="password")
        return str(password)

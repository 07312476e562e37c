"""Sign-in (password, then the code when two-factor is on: django-otp devices) and the account pages under
``/account/``: overview, password, two-factor, my data."""

from __future__ import annotations

import base64
import time
from typing import Any

import django_otp
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import check_for_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from opentto.accounts.http import AuthedHttpRequest, request_user
from opentto.core.i18n import translate_path

from .forms import CodeForm, DisableTwoFactorForm, LoginForm
from .models import User
from .permissions import two_factor_required
from .services import (
    totp_begin,
    totp_confirm,
    totp_disable,
    totp_pending_device,
    two_factor_throttled,
    two_factor_verify,
    user_login_succeeded,
    user_set_language,
)
from .twofactor import VERIFY, two_factor_step

#: The password step's result, kept in the (not yet signed-in) session until the code is given.
PENDING_KEY = "opentto_2fa_pending"
PENDING_SECONDS = 300


def _language_redirect(response: HttpResponse, user: User) -> HttpResponse:
    if user.language:
        response["Location"] = translate_path(response["Location"], user.language)
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME, user.language, max_age=365 * 24 * 3600, samesite="Lax"
        )
    return response


def _safe_next(request: HttpRequest, candidate: Any) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        str(candidate), allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return str(candidate)
    return str(resolve_url(settings.LOGIN_REDIRECT_URL))


class LoginView(auth_views.LoginView):
    """Password first (django-axes counts wrong ones per user name and address); users with
    two-factor on then give the code from their app before they are signed in at all."""

    template_name = "accounts/login.html"
    redirect_authenticated_user = True
    form_class = LoginForm

    def form_valid(self, form):
        user: User = form.get_user()
        if user.has_two_factor:
            self.request.session[PENDING_KEY] = {
                "user": user.pk,
                "backend": user.backend,
                "next": self.get_success_url(),
                "at": time.time(),
            }
            return redirect("accounts:verify")
        response: HttpResponse = super().form_valid(form)
        user_login_succeeded(user=user, request=self.request)
        return _language_redirect(response, user)


@never_cache
def verify_view(request: HttpRequest) -> HttpResponse:
    """The second step: the app's code or a recovery code. Reached after the password (nobody is
    signed in yet), or by a session signed in without its code (the gate sends it here)."""
    pending = request.session.get(PENDING_KEY)
    user: User | None = None
    if request.user.is_authenticated:
        if two_factor_step(request.user) != VERIFY:
            return redirect(_safe_next(request, request.GET.get("next")))
        user = request.user
    elif pending and time.time() - float(pending.get("at", 0)) < PENDING_SECONDS:
        user = User.objects.filter(pk=pending["user"], is_active=True).first()
    if user is None:
        request.session.pop(PENDING_KEY, None)
        messages.info(request, _("Sign in with your password first."))
        return redirect("login")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        throttled = two_factor_throttled(user)  # still waiting after earlier wrong codes
        device = two_factor_verify(user=user, code=form.cleaned_data["code"], request=request)
        if device is not None:
            if request.user.is_authenticated:
                next_url = _safe_next(request, request.GET.get("next"))
            else:
                next_url = _safe_next(request, pending["next"])  # type: ignore[index]  # pending is set on this path
                login(request, user, backend=pending["backend"])  # type: ignore[index]
            django_otp.login(request, device)
            request.session.pop(PENDING_KEY, None)
            user_login_succeeded(user=user, request=request, two_factor=True)
            return _language_redirect(redirect(next_url), user)
        if throttled:
            form.add_error(
                "code",
                _("Too many wrong codes. Wait a minute, then enter the code your app shows."),
            )
        else:
            form.add_error(
                "code", _("That code is not right. Enter the 6 digits your app shows now.")
            )
    return render(
        request,
        "accounts/verify.html",
        {"form": form},
        status=422 if request.method == "POST" else 200,
    )


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:overview")

    def form_valid(self, form):
        response = super().form_valid(form)
        from opentto.core.audit import audit_record

        user = request_user(self.request)
        audit_record(actor=user, action="user.password_change", obj=user, request=self.request)
        # The session survives the password change (Django keeps it); so does its 2FA state.
        messages.success(self.request, _("Your password was changed."))
        return response


def _qr_data_uri(uri: str) -> str:
    import io

    import segno

    buffer = io.BytesIO()
    segno.make(uri, error="m").save(buffer, kind="svg", scale=5, dark="#111", light="#fff")
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


@login_required
@never_cache
def two_factor_view(request: AuthedHttpRequest) -> HttpResponse:
    user: User = request.user
    context: dict[str, Any] = {"account": user, "required": two_factor_required(user)}
    code_form = CodeForm()
    disable_form = DisableTwoFactorForm(user=user)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "begin":
                totp_begin(user=user, actor=user)
                return redirect("accounts:two_factor")
            if action == "confirm":
                code_form = CodeForm(request.POST)
                if code_form.is_valid():
                    codes = totp_confirm(
                        user=user, code=code_form.cleaned_data["code"], actor=user, request=request
                    )
                    messages.success(request, _("Two-factor authentication is on."))
                    context["recovery_codes"] = codes
            elif action == "disable":
                disable_form = DisableTwoFactorForm(request.POST, user=user)
                if disable_form.is_valid():
                    if two_factor_required(user):
                        raise PermissionDenied(_("Your role must use two-factor authentication."))
                    totp_disable(user=user, actor=user)
                    messages.success(request, _("Two-factor authentication is off."))
                    return redirect("accounts:two_factor")
        except ValidationError as exc:
            for message in exc.message_dict.get("code", exc.messages):
                code_form.add_error("code", message)
    pending = None if user.has_two_factor else totp_pending_device(user)
    if pending is not None:
        secret, uri = pending.secret, pending.config_url()
        context.update(
            {
                "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
                "qr": _qr_data_uri(uri),
                "uri": uri,
            }
        )
    context.update({"code_form": code_form, "disable_form": disable_form})
    status = 422 if request.method == "POST" and (code_form.errors or disable_form.errors) else 200
    return render(request, "accounts/two_factor.html", context, status=status)


@require_POST
def set_language_view(request: HttpRequest) -> HttpResponse:
    """Switch the UI language: remembered on the user (when signed in) and in a cookie."""
    language = request.POST.get("language", "")
    next_url = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "/"
    if not check_for_language(language) or language not in dict(settings.LANGUAGES):
        return HttpResponseRedirect(next_url)
    if request.user.is_authenticated:
        user_set_language(user=request.user, language=language, actor=request.user)
    response = HttpResponseRedirect(translate_path(next_url, language))
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME, language, max_age=365 * 24 * 3600, samesite="Lax"
    )
    return response

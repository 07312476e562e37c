"""Sign-in (password, then the code when two-factor is on: django-otp devices) and the account pages under
``/account/``: overview, password, two-factor, my data."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import django_otp
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from opentto.core.http import AuthedHttpRequest, request_user
from opentto.core.i18n import translate_path
from opentto.core.models import AuditEvent

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
)
from .twofactor import VERIFY, two_factor_step

#: The password step's result, kept in the (not yet signed-in) session until the code is given.
PENDING_KEY = "opentto_2fa_pending"
PENDING_SECONDS = 300


def _language_redirect(response: HttpResponse, user: User) -> HttpResponse:
    if user.language:
        response["Location"] = translate_path(response["Location"], user.language)
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, user.language, max_age=365 * 24 * 3600, samesite="Lax")
    return response


def _safe_next(request: HttpRequest, candidate: Any) -> str:
    if candidate and url_has_allowed_host_and_scheme(str(candidate), allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return str(candidate)
    return str(resolve_url(settings.LOGIN_REDIRECT_URL))


class LoginView(auth_views.LoginView):
    """Password first (django-axes counts wrong ones per user name and address); users with
    two-factor on then give the code from their app before they are signed in at all."""

    template_name = "accounts/login.html"
    redirect_authenticated_user = True
    form_class = LoginForm

    def form_valid(self, form):  # type: ignore[no-untyped-def]
        user: User = form.get_user()
        if user.has_two_factor:
            self.request.session[PENDING_KEY] = {"user": user.pk, "backend": user.backend, "next": self.get_success_url(), "at": time.time()}  # type: ignore[attr-defined]
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
            form.add_error("code", _("Too many wrong codes. Wait a minute, then enter the code your app shows."))
        else:
            form.add_error("code", _("That code is not right. Enter the 6 digits your app shows now."))
    return render(request, "accounts/verify.html", {"form": form}, status=422 if request.method == "POST" else 200)


@login_required
def account_view(request: AuthedHttpRequest) -> HttpResponse:
    user: User = request.user
    from opentto.access.selectors import (
        access_grants_visible,
        access_requests_visible,
        audit_events_visible,
    )

    sign_ins = audit_events_visible(user).filter(object_type="accounts.user", object_id=str(user.pk), action__in=["user.login", "user.login_failed", "user.locked"])[:10]
    return render(request, "accounts/account.html", {
        "account": user,
        "sign_ins": sign_ins,
        "two_factor_required": two_factor_required(user),
        "access_requests": access_requests_visible(user).filter(requester=user).select_related("result")[:10],
        "access_grants": access_grants_visible(user).filter(user=user).live().select_related("result"),
    })


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:overview")

    def form_valid(self, form):  # type: ignore[no-untyped-def]
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
                    codes = totp_confirm(user=user, code=code_form.cleaned_data["code"], actor=user, request=request)
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
        context.update({"secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)), "qr": _qr_data_uri(uri), "uri": uri})
    context.update({"code_form": code_form, "disable_form": disable_form})
    status = 422 if request.method == "POST" and (code_form.errors or disable_form.errors) else 200
    return render(request, "accounts/two_factor.html", context, status=status)


@login_required
@require_POST
def my_data_view(request: AuthedHttpRequest) -> HttpResponse:
    """PIPL art. 45: a copy of the signed-in person's data, as JSON."""
    from opentto.access.privacy import person_export

    user: User = request.user
    if user.person is None:
        from opentto.core.audit import audit_record

        audit_record(actor=user, action="user.export", obj=user, request=request)
        data: dict[str, Any] = {"user": {"username": user.username, "email": user.email, "role": user.role, "language": user.language,
                                         "date_joined": user.date_joined.isoformat(), "two_factor": user.has_two_factor}}
    else:
        data = person_export(person=user.person, actor=user, request=request)
    response = HttpResponse(json.dumps(data, ensure_ascii=False, indent=2), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="opentto-my-data-{user.pk}.json"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


#: Audit actions shown to a person as their consent history.
CONSENT_ACTIONS = ("person.consent", "person.withdraw_consent")


@login_required
@never_cache
def privacy_view(request: AuthedHttpRequest) -> HttpResponse:
    """PIPL self-service: the consents recorded for the signed-in person, giving and withdrawing
    consent (each an audit entry), and the copy of their data (``my_data``)."""
    from opentto.access.privacy import (
        CONSENT_VERSION,
        person_record_consent,
        person_withdraw_consent,
    )
    from opentto.access.selectors import audit_events_visible

    user: User = request.user
    person = user.person
    if request.method == "POST":
        action = request.POST.get("action")
        if person is None or person.erased_at is not None or action not in {"give", "withdraw"}:
            return HttpResponse(status=400)
        if action == "give":
            person_record_consent(person=person, actor=user, request=request)
            messages.success(request, _("Your consent was recorded."))
        else:
            person_withdraw_consent(person=person, actor=user, request=request)
            messages.success(request, _("Your consent was withdrawn; your ID and bank details were erased."))
        return redirect("accounts:privacy")
    history = (
        audit_events_visible(user).filter(object_type="organisations.person", object_id=str(person.pk), action__in=CONSENT_ACTIONS)
        .select_related("actor").order_by("-occurred_at", "-id")
        if person is not None else AuditEvent.objects.none()
    )
    return render(request, "accounts/privacy.html", {"person": person, "history": history, "consent_version": CONSENT_VERSION})

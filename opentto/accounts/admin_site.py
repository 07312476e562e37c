"""The admin site: django-otp's :class:`~django_otp.admin.OTPAdminSite` (a session that has not
given its second factor is treated as not staff), signing in through the platform's own sign-in
page — one form, one throttle (django-axes), one answer for every refusal, and the code step."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.admin import AdminSite
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django_otp.admin import OTPAdminSite

from .twofactor import two_factor_step


class OpenTTOAdminSite(OTPAdminSite):
    def __init__(self, name: str = "admin") -> None:
        super().__init__(name)

    def has_permission(self, request: HttpRequest) -> bool:
        """Staff whose session is verified by a device (django-otp's rule); a staff user with
        no device is admitted only where the role does not have to use two-factor."""
        if super().has_permission(request):
            return True
        return AdminSite.has_permission(self, request) and two_factor_step(request.user) is None

    def login(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """No password form of its own: the platform's sign-in page, then back here."""
        next_url = request.GET.get("next") or reverse("admin:index", current_app=self.name)
        if not url_has_allowed_host_and_scheme(
            next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            next_url = reverse("admin:index", current_app=self.name)
        if request.user.is_authenticated:
            if self.has_permission(request):
                return HttpResponseRedirect(next_url)
            raise PermissionDenied
        return HttpResponseRedirect(
            resolve_url(settings.LOGIN_URL) + "?" + urlencode({"next": next_url})
        )

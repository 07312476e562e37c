from __future__ import annotations

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import HttpResponse
from django.urls import translate_url


class LoginView(auth_views.LoginView):
    """Django's sign-in; afterwards the UI speaks the language the user chose last time."""

    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form):  # type: ignore[no-untyped-def]
        response: HttpResponse = super().form_valid(form)
        language = form.get_user().language
        if language:
            response["Location"] = translate_url(response["Location"], language)
            response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, max_age=365 * 24 * 3600, samesite="Lax")
        return response

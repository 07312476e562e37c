from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import check_for_language
from django.views.decorators.http import require_POST

from opentto.accounts.services import user_set_language
from opentto.core.i18n import translate_path
from opentto.results.selectors import results_visible


def home_view(request: HttpRequest) -> HttpResponse:
    public = results_visible(None).order_by("-stage_changed_at")[:6]
    return render(request, "core/home.html", {"public_results": public, "public_count": results_visible(None).count()})


@require_POST
def set_language_view(request: HttpRequest) -> HttpResponse:
    """Switch the UI language: remembered on the user (when signed in) and in a cookie."""
    language = request.POST.get("language", "")
    next_url = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        next_url = "/"
    if not check_for_language(language) or language not in dict(settings.LANGUAGES):
        return HttpResponseRedirect(next_url)
    if request.user.is_authenticated:
        user_set_language(user=request.user, language=language, actor=request.user)
    response = HttpResponseRedirect(translate_path(next_url, language))
    response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, max_age=365 * 24 * 3600, samesite="Lax")
    return response

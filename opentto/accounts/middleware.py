"""The two-factor gate in front of every page (after django-otp's ``OTPMiddleware``).

A signed-in session whose two-factor step is not done (:func:`~opentto.accounts.twofactor.two_factor_step`)
reaches only the views named in :data:`OPEN_VIEWS` — chosen by the resolved view, never by a
piece of the URL. Everything else answers with the way to the code page (or, for a role that must
use two-factor and has not set it up, the set-up page): a redirect for a page, ``HX-Redirect``
with 403 for an HTMX request, so no fragment is swapped in. The API's views decide for themselves
through their session authentication (``opentto.accounts.authentication``), so that a token is
not concerned by a browser session sent along with it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import urlencode
from rest_framework.views import APIView

from .twofactor import ENROL, two_factor_step

#: Views a session may reach before its two-factor step: the step itself, signing out, the
#: language switch and the health check. The set-up page is open only to the ENROL step.
OPEN_VIEWS = frozenset({"accounts:verify", "logout", "set_language", "healthz"})
ENROL_VIEWS = frozenset({"accounts:two_factor"})


def _is_api_view(view_func: Callable[..., Any]) -> bool:
    view_class = getattr(view_func, "cls", None) or getattr(view_func, "view_class", None)
    return isinstance(view_class, type) and issubclass(view_class, APIView)


class TwoFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        step = two_factor_step(getattr(request, "user", None))
        if step is None or _is_api_view(view_func):
            return None
        match = request.resolver_match
        view_name = match.view_name if match is not None else ""
        if view_name in OPEN_VIEWS or (step == ENROL and view_name in ENROL_VIEWS):
            return None
        if step == ENROL:
            target = reverse("accounts:two_factor")
        else:
            target = reverse("accounts:verify") + "?" + urlencode({"next": request.get_full_path()})
        if getattr(request, "htmx", False):
            response = HttpResponse(status=403)
            response["HX-Redirect"] = target
            return response
        return HttpResponseRedirect(target)

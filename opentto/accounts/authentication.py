"""The API's session authentication (the browsable API, the web pages' own fetches): a session
counts only once its two-factor step is done (:func:`opentto.accounts.twofactor.two_factor_step`).
Token authentication (``opentto.api.authentication``) is not concerned: a token is its own
credential, made by a signed-in (and verified) user."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.authentication import SessionScheme
from rest_framework import exceptions
from rest_framework.authentication import SessionAuthentication
from rest_framework.request import Request

from .twofactor import two_factor_step


class VerifiedSessionAuthentication(SessionAuthentication):
    def authenticate(self, request: Request) -> tuple[Any, None] | None:
        result = super().authenticate(request)
        if result is None:
            return None
        if two_factor_step(result[0]) is not None:
            # Not anonymous either: a password-only session reads nothing, public or not.
            raise exceptions.NotAuthenticated(_("Finish two-factor sign-in first."))
        return result


class VerifiedSessionScheme(SessionScheme):
    target_class = "opentto.accounts.authentication.VerifiedSessionAuthentication"

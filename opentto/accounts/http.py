"""The request of a signed-in user, typed (the django-stubs pattern)."""

from __future__ import annotations

from typing import cast

from django.http import HttpRequest

from .models import User


class AuthedHttpRequest(HttpRequest):
    """The request of a view that only a signed-in user reaches (``login_required``, the admin):
    its ``user`` is a :class:`~opentto.accounts.models.User`, so the view passes it to a service
    as the actor with no ``type: ignore``. An annotation only (the django-stubs pattern): Django
    still builds a plain ``HttpRequest``; a view that an anonymous visitor can reach keeps
    ``HttpRequest`` and narrows ``request.user`` itself."""

    user: User


def request_user(request: HttpRequest) -> User:
    """``request.user`` typed as a :class:`User`, for code whose signature is fixed by Django
    (``ModelAdmin`` methods take an ``HttpRequest``) and that only a signed-in user reaches."""
    return cast("User", request.user)

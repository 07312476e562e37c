from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def platform(request: HttpRequest) -> dict[str, Any]:
    return {"platform_name": settings.OPENTTO_PLATFORM_NAME}


def notifications(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from opentto.notifications.models import Notification

    return {"unread_notifications": Notification.objects.for_user(user).unread().count()}


def navigation(request: HttpRequest) -> dict[str, Any]:
    from .navigation import navigation as build

    return build(request)

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def platform(request: HttpRequest) -> dict[str, Any]:
    return {"platform_name": settings.OPENTTO_PLATFORM_NAME}


def navigation(request: HttpRequest) -> dict[str, Any]:
    from .navigation import navigation as build

    return build(request)

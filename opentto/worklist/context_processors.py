"""The header's "My work" link and its count, for signed-in users."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def worklist(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from .selectors import worklist_count

    return {"worklist_count": lambda: worklist_count(user, request=request)}

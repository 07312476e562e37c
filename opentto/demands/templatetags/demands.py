"""Panels of the demands app on other apps' pages (result page, dashboard), fetched with the
request's user."""

from __future__ import annotations

from typing import Any

from django import template

from opentto.core.permissions import permitted

from ..models import Demand
from ..selectors import dashboard_counts, result_demands

register = template.Library()


@register.inclusion_tag("demands/partials/result_panel_body.html", takes_context=True)
def who_needs_this(context: dict[str, Any], result: Any) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if not permitted(user, Demand, "view"):
        return {"show": False}
    found = result_demands(user, result)
    return {"show": True, "found": found, "result": result, "request": request}


@register.inclusion_tag("demands/partials/dashboard_panel_body.html", takes_context=True)
def demands_dashboard(context: dict[str, Any]) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if not permitted(user, Demand, "view"):
        return {"show": False}
    return {"show": True, "counts": dashboard_counts(user)}


@register.filter
def showcase_slug(result: Any) -> str:
    from opentto.results.slugs import result_slug

    return result_slug(result)

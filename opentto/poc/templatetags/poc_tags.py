from __future__ import annotations

from typing import Any

from django import template

from opentto.core.permissions import permitted

from ..figures import funnel_in_poc, poc_figures
from ..models import PocProject, PocStatusChoices

register = template.Library()


@register.filter
def poc_status(value: str) -> str:
    return str(PocStatusChoices(value).label) if value in PocStatusChoices.values else value


@register.inclusion_tag("poc/partials/funnel_row.html")
def poc_funnel_row(stage: str, viewer: Any, year: int | None = None) -> dict[str, Any]:
    """The funnel's "of which in proof of concept" line under a stage (the dashboard's figures
    fragment is cached per figure scope, which the projects' ``figures`` grant follows)."""
    shown = viewer is not None and permitted(viewer, PocProject, "figures")
    return {
        "stage": stage,
        "shown": shown,
        "count": funnel_in_poc(viewer, stage, year) if shown else 0,
    }


@register.inclusion_tag("poc/partials/dashboard_panel_body.html", takes_context=True)
def poc_dashboard_panel(context: dict[str, Any]) -> dict[str, Any]:
    request = context["request"]
    user = request.user
    if not permitted(user, PocProject, "figures"):
        return {"show": False}
    year = context.get("year")
    return {
        "show": True,
        "now": poc_figures(user),
        "year": year,
        "in_year": poc_figures(user, year) if isinstance(year, int) else None,
        "may_list": permitted(user, PocProject, "view"),
    }

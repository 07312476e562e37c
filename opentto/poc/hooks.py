"""What proof of concept tells the plan (``opentto.planning.hooks``): the plan page shows the
result's projects the viewer may see, with their status and outcome; plan creation and approval
record the outcomes in their audit events. Planning never imports this app."""

from __future__ import annotations

from typing import Any

from opentto.core.permissions import permitted
from opentto.planning.hooks import OutcomeSource, register_outcome_source

from .models import PocProject
from .services import START_STAGES


def _panel(user: Any, result: Any) -> dict[str, Any] | None:
    projects = list(
        PocProject.objects.restrict(user, "view")
        .filter(result=result)
        .order_by("-created_at", "-id")
    )
    may_propose = result.stage in START_STAGES and permitted(user, PocProject, "add")
    if not projects and not may_propose:
        return None
    return {
        "template": "poc/partials/plan_panel.html",
        "projects": projects,
        "may_propose": may_propose,
        "result": result,
    }


def _outcomes(result: Any) -> list[dict[str, Any]]:
    return [
        {"project": pk, "status": status, "outcome": outcome}
        for pk, status, outcome in PocProject.objects.filter(result=result)
        .order_by("pk")
        .values_list("pk", "status", "outcome")
    ]


def register_plan_hook() -> None:
    register_outcome_source(OutcomeSource(key="poc", panel=_panel, outcomes=_outcomes))

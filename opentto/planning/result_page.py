"""What planning adds to the result page (registered with ``opentto.results.hooks`` by
``PlanningConfig.ready``): the plan form, for a result in planning and a viewer who may land it."""

from __future__ import annotations

from typing import Any

from opentto.core.permissions import allows
from opentto.results.models import ResultStageChoices

from .forms import PlanForm


def result_page_part(user: Any, result: Any) -> dict[str, Any]:
    if result.stage == ResultStageChoices.PLANNING and allows(user, result, "land"):
        return {"plan_form": PlanForm()}
    return {}

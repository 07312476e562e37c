"""What evaluation adds to the result page (registered with ``opentto.results.hooks`` by
``EvaluationConfig.ready``): the quick form that records the outcome, for who may take the result
out of evaluation."""

from __future__ import annotations

from typing import Any

from opentto.core.permissions import allows
from opentto.results.models import ResultStageChoices

from .forms import EvaluationForm


def result_page_part(user: Any, result: Any) -> dict[str, Any]:
    if result.stage == ResultStageChoices.EVALUATION and allows(user, result, "proceed"):
        return {"evaluation_form": EvaluationForm()}
    return {}

from __future__ import annotations

from typing import Any

from django import template

from opentto.core.permissions import permitted
from opentto.results.models import Result, ResultStageChoices

from ..figures import evaluation_figures
from ..forms import EvaluationForm, RoundOpenForm
from ..models import EvaluationSummary, ReviewRound
from ..selectors import rounds_for_result, rounds_managed

register = template.Library()


@register.inclusion_tag("evaluation/partials/result_panel_body.html", takes_context=True)
def evaluation_result_panel(context: dict[str, Any], result: Result) -> dict[str, Any]:
    """The result page's evaluation section: the rounds and outcomes the viewer may see (the TTO
    every one, an owning organisation's staff the finalised rounds and the outcomes) and the actions
    the viewer may take (open a round, record a manager's override)."""
    request = context["request"]
    user = request.user
    rounds = list(rounds_for_result(user, result))
    # which of the rounds shown the viewer may run (no query when no round is shown)
    managed = (
        set(rounds_managed(user).filter(pk__in=[r.pk for r in rounds]).values_list("pk", flat=True))
        if rounds
        else set()
    )
    summaries = list(
        EvaluationSummary.objects.restrict(user, "view")
        .filter(result=result)
        .select_related("review_round")
    )
    closed = result.stage in (ResultStageChoices.WITHDRAWN, ResultStageChoices.DECLINED)
    may_record = result.stage == ResultStageChoices.EVALUATION and permitted(
        user, EvaluationSummary, "add"
    )
    return {
        "request": request,
        "result": result,
        "rounds": rounds,
        "managed": managed,
        "summaries": summaries,
        "open_form": RoundOpenForm()
        if not closed and permitted(user, ReviewRound, "add")
        else None,
        "evaluation_form": EvaluationForm() if may_record else None,
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("evaluation/partials/dashboard_panel_body.html", takes_context=True)
def evaluation_dashboard_panel(context: dict[str, Any]) -> dict[str, Any]:
    request = context["request"]
    year = context.get("year")  # the dashboard's selected year
    return {
        "request": request,
        "year": year,
        "f": evaluation_figures(request.user, year=year if isinstance(year, int) else None),
    }


@register.filter
def percent_width(value: Any) -> str:
    try:
        return f"{max(0.0, min(100.0, float(value))):.1f}"
    except (TypeError, ValueError):
        return "0"


@register.filter
def event_label(kind: str) -> str:
    from ..models import ROUND_EVENT_LABELS

    return str(ROUND_EVENT_LABELS.get(kind, kind))

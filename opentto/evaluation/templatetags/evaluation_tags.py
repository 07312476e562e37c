from __future__ import annotations

from typing import Any

from django import template

from opentto.accounts.models import UserRoleChoices
from opentto.core.permissions import is_platform_staff, user_role
from opentto.results.models import Result, ResultStageChoices

from ..figures import evaluation_figures
from ..forms import RoundOpenForm
from ..models import EvaluationSummary
from ..selectors import rounds_for_result

register = template.Library()


@register.inclusion_tag("evaluation/partials/result_panel_body.html", takes_context=True)
def evaluation_result_panel(context: dict[str, Any], result: Result) -> dict[str, Any]:
    """The result page's evaluation section: rounds, outcomes and (for managers) the actions.
    Inventors of an owning organisation see finalised rounds and outcomes; others see nothing."""
    request = context["request"]
    user = request.user
    staff = is_platform_staff(user)
    rounds = list(rounds_for_result(user, result))
    owning_inventor = (
        user_role(user) == UserRoleChoices.INVENTOR
        and getattr(user, "organisation_id", None) is not None
        and result.ownerships.filter(organisation_id=user.organisation_id).exists()
    )
    summaries = list(EvaluationSummary.objects.filter(result=result).select_related("review_round")) if (staff or owning_inventor) else []
    closed = result.stage in (ResultStageChoices.WITHDRAWN, ResultStageChoices.DECLINED)
    return {
        "request": request,
        "result": result,
        "rounds": rounds,
        "summaries": summaries,
        "is_staff": staff,
        "open_form": RoundOpenForm() if staff and not closed else None,
        "evaluation_form": context.get("evaluation_form") if staff else None,
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("evaluation/partials/dashboard_panel_body.html", takes_context=True)
def evaluation_dashboard_panel(context: dict[str, Any]) -> dict[str, Any]:
    request = context["request"]
    return {"request": request, "f": evaluation_figures(request.user)}


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

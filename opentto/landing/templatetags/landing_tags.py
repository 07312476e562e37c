from __future__ import annotations

from typing import Any

from django import template

from opentto.core.permissions import permitted
from opentto.results.models import Result, ResultStageChoices

from ..forms import DealForm
from ..models import Deal
from ..services import approved_plan_of, plan_deal_terms

register = template.Library()


@register.inclusion_tag("landing/partials/result_panel_body.html", takes_context=True)
def landing_result_panel(context: template.Context, result: Result) -> dict[str, Any]:
    """The result page's deals: those covering the result that the viewer may see (with their
    amounts), a signing form on those the viewer may sign, and the form recording a new deal for
    those who may create deals while the result is in landing."""
    request = context["request"]
    user = request.user
    deals = list(
        Deal.objects.restrict(user, "view")
        .filter(results=result)
        .select_related("counterparty")
        .prefetch_related("results")
    )
    signable = set(
        Deal.objects.restrict(user, "sign")
        .filter(pk__in=[d.pk for d in deals])
        .values_list("pk", flat=True)
    )
    landing = result.stage in {ResultStageChoices.LANDING, ResultStageChoices.LANDED}
    may_add = landing and permitted(user, Deal, "add")
    from_plan = plan_deal_terms(approved_plan_of(result)) if may_add else None
    return {
        "request": request,
        "result": result,
        "deals": deals,
        "signable": signable,
        "deal_form": DealForm(result=result, from_plan=from_plan) if may_add else None,
        "from_plan": from_plan,
        "csrf_token": context.get("csrf_token"),
    }

"""What landing adds to the result page (registered with ``opentto.results.hooks`` by
``LandingConfig.ready``): the deals of the result the viewer may see, whether they manage deals,
and the quick form of a new deal once the result is in landing or landed."""

from __future__ import annotations

from typing import Any

from opentto.core.permissions import permitted
from opentto.results.models import ResultStageChoices

from .forms import DealForm
from .models import Deal


def result_page_part(user: Any, result: Any) -> dict[str, Any]:
    manages_deals = permitted(user, Deal, "change", every_row=True)
    context: dict[str, Any] = {
        "deals": Deal.objects.restrict(user, "view")
        .filter(results=result)
        .select_related("counterparty"),
        "can_manage_deals": manages_deals,
        # The landing panel (templates/landing/partials/result_panel.html) still reads this name.
        "is_staff": manages_deals,
    }
    if result.stage in {ResultStageChoices.LANDING, ResultStageChoices.LANDED} and manages_deals:
        context["deal_form"] = DealForm(result=result)
    return context

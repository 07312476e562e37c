from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from opentto.core.permissions import permitted
from opentto.results.models import Result

from ..models import PilotInstitution, RightsApplication
from ..selectors import applications_visible, ownership_history, use_rights_in_effect

register = template.Library()


@register.inclusion_tag("rights/partials/result_panel_body.html", takes_context=True)
def rights_result_panel(context: template.Context, result: Result) -> dict[str, Any]:
    """The result page's owners with their shares (current and history) after a 赋权, the rights of
    use in effect, the applications the viewer may see, and the link to apply for those who may
    (while an owner of the result is a pilot institution)."""
    user = context["request"].user
    history = list(ownership_history(user, result))
    today = timezone.localdate()
    current = [
        s for s in history if s.valid_from <= today and (s.valid_to is None or s.valid_to > today)
    ]
    can_apply = (
        permitted(user, RightsApplication, "add")
        and PilotInstitution.objects.restrict(user, "view")
        .covering(today)
        .filter(organisation__ownerships__result=result)
        .exists()
    )
    return {
        "result": result,
        "current": current,
        "history": [s for s in history if s not in current],
        "use_rights": list(use_rights_in_effect(user, result)),
        "applications": list(applications_visible(user).filter(result=result)),
        "can_apply": can_apply,
    }

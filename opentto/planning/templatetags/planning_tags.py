"""Template helpers for planning: the result page's panel and the dashboard's panel fetch their
own data with ``request.user`` (the results and dashboard views know nothing of planning)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import template
from django.utils import timezone

from .. import selectors as sel
from ..services import four_eyes_on

register = template.Library()


@register.filter
def abs_value(value: Any) -> Any:
    try:
        return abs(value)
    except TypeError:
        return value


@register.filter
def pct(value: Any) -> str:
    """``Decimal("0.05")`` → ``5%`` (the core ``percent`` filter, kept under its planning name)."""
    from opentto.core.money import format_percent

    return format_percent(value) or "—"


@register.filter
def days_until(value: date) -> int:
    return (value - timezone.localdate()).days


@register.inclusion_tag("planning/partials/result_panel_body.html", takes_context=True)
def planning_result_panel(context: template.Context) -> dict[str, Any]:
    """The result page's planning panel: what ``sel.result_panel`` lets the user see."""
    request = context.get("request")
    result = context.get("result")
    user = getattr(request, "user", None)
    out: dict[str, Any] = {
        "result": result,
        "user": user,
        "plan_form": context.get("plan_form"),
        "visible": False,
        "four_eyes": four_eyes_on(),
    }
    panel = sel.result_panel(user, result) if result is not None else None
    if panel is not None:
        out.update(visible=True, today=timezone.localdate(), **panel)
        # A plan approved or awaiting approval is the step's outcome: the one-step form folds away.
        out["plan_settled"] = any(p.status in {"approved", "submitted"} for p in panel["plans"])
    return out


@register.inclusion_tag("planning/partials/dashboard_panel_body.html", takes_context=True)
def planning_dashboard_panel(context: template.Context) -> dict[str, Any]:
    request = context.get("request")
    figures = sel.dashboard_panel(getattr(request, "user", None))
    return {"visible": False} if figures is None else {"visible": True, **figures}


@register.simple_tag(takes_context=True)
def deadline_fee(context: Any, deadline: Any) -> Any:
    """The fee due on a deadline, priced from the fee schedule and reduced (``opentto.patents.fees``);
    the schedule is read once per page."""
    from opentto.patents.fees import FeeCatalogue, fee_for_deadline

    cache = context.render_context
    if "planning_fee_catalogue" not in cache:
        cache["planning_fee_catalogue"] = FeeCatalogue()
    return fee_for_deadline(deadline, cache["planning_fee_catalogue"])

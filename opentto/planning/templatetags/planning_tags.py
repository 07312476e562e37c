"""Template helpers for planning: the result page's panel and the dashboard's panel fetch their
own data with ``request.user`` (the results and dashboard views know nothing of planning)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django import template
from django.utils import timezone

from opentto.core.permissions import is_platform_staff

from .. import selectors as sel
from ..models import (
    DeadlineStatusChoices,
    FilingDeadline,
    FilingStatusChoices,
    PledgeLoan,
    TransferPlanStatusChoices,
)
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
    """``Decimal("0.05")`` → ``5%``."""
    try:
        number = Decimal(str(value)) * 100
    except (InvalidOperation, ValueError):
        return "—"
    text = f"{number.normalize():f}"
    return f"{text}%"


@register.filter
def days_until(value: date) -> int:
    return (value - timezone.localdate()).days


@register.inclusion_tag("planning/partials/result_panel_body.html", takes_context=True)
def planning_result_panel(context: template.Context) -> dict[str, Any]:
    request = context.get("request")
    result = context.get("result")
    user = getattr(request, "user", None)
    out: dict[str, Any] = {
        "result": result, "user": user, "plan_form": context.get("plan_form"), "visible": False, "four_eyes": four_eyes_on(),
    }
    if result is None or not sel.planning_results(user).filter(pk=result.pk).exists():
        return out
    plans = list(result.plans.exclude(status=TransferPlanStatusChoices.SUPERSEDED).select_related("approved_by").prefetch_related("options")[:3])
    today = timezone.localdate()
    out.update(
        visible=True,
        staff=is_platform_staff(user),
        plans=plans,
        deadlines=list(
            FilingDeadline.objects.filter(filing__family__result=result, status=DeadlineStatusChoices.OPEN)
            .exclude(key="term_end")
            .exclude(filing__status__in=[FilingStatusChoices.ABANDONED, FilingStatusChoices.LAPSED])
            .select_related("filing")
            .order_by("due")[:5]
        ),
        pledges=list(PledgeLoan.objects.filter(result=result).select_related("lender")[:3]) if is_platform_staff(user) else [],
        timeline=sel.result_timeline(user, result, limit=12, visible=True),
        today=today,
    )
    return out


@register.inclusion_tag("planning/partials/dashboard_panel_body.html", takes_context=True)
def planning_dashboard_panel(context: template.Context) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if not is_platform_staff(user):
        return {"visible": False}
    today = timezone.localdate()
    mine = sel.calendar_deadlines(user, manager=user, days=30)
    return {
        "visible": True,
        "overdue": mine.filter(due__lt=today).count(),
        "due_30": mine.filter(due__gte=today).count(),
        "awaiting": sel.plans_awaiting_approval(user).count(),
        "open_tasks": sel.my_open_tasks(user).count(),
    }

"""Reads for subsidies, taking the viewer.

| role | programmes | applications |
|---|---|---|
| anyone | active programmes | — |
| admin, manager, official | all | all |
| reviewer | all | those under review, and those they reviewed |
| enterprise, inventor | all | their own organisation's (as applicant) |
| others | all | — |
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum

from opentto.accounts.models import UserRoleChoices
from opentto.core.permissions import user_role

from .models import (
    Application,
    ApplicationStatusChoices,
    Programme,
    ProgrammeBudget,
    Tranche,
    TrancheStatusChoices,
)

ZERO = Decimal("0.00")


def programmes_visible(user: Any) -> QuerySet[Programme]:
    role = user_role(user)
    if role in {UserRoleChoices.ADMIN, UserRoleChoices.MANAGER, UserRoleChoices.OFFICIAL}:
        return Programme.objects.all()
    return Programme.objects.filter(is_active=True)


def applications_visible(user: Any) -> QuerySet[Application]:
    role = user_role(user)
    qs = Application.objects.select_related("programme", "applicant")
    if role in {UserRoleChoices.ADMIN, UserRoleChoices.MANAGER, UserRoleChoices.OFFICIAL}:
        return qs
    if role == UserRoleChoices.REVIEWER:
        return qs.filter(Q(status=ApplicationStatusChoices.UNDER_REVIEW) | Q(pk__in=Application.objects.filter(reviews__reviewer=user).values("pk")))
    org_id = getattr(user, "organisation_id", None)
    if role in {UserRoleChoices.ENTERPRISE, UserRoleChoices.INVENTOR} and org_id:
        return qs.filter(applicant_id=org_id)
    return qs.none()


def officials_dashboard(user: Any) -> dict[str, Any]:
    """Per programme and year: applications, recognised, approved, disbursed, remaining budget."""
    apps = applications_visible(user)
    rows = []
    for budget in ProgrammeBudget.objects.select_related("programme").order_by("programme__code", "-year"):
        scoped = apps.filter(programme=budget.programme, year=budget.year)
        by_status = dict(scoped.values_list("status").annotate(n=Count("pk")).order_by())
        counts = [(value, label, by_status.get(value, 0)) for value, label in ApplicationStatusChoices.choices]
        disbursed = Tranche.objects.filter(application__in=scoped.values("pk"), status=TrancheStatusChoices.PAID).aggregate(t=Sum("amount_cny"))["t"] or ZERO
        rows.append({
            "budget": budget,
            "applications": scoped.exclude(status=ApplicationStatusChoices.DRAFT).count(),
            "counts": counts,
            "recognised": scoped.filter(status__in=["recognised", "approved", "disbursed"]).count(),
            "approved_count": scoped.filter(status__in=["approved", "disbursed"]).count(),
            "approved_cny": budget.approved_cny,
            "disbursed_cny": disbursed,
            "remaining_cny": budget.remaining_cny,
        })
    return {"rows": rows}
